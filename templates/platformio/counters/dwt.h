// Cycle counter: the Cortex-M DWT CYCCNT (Cortex-M3 and later), 32 bits, at the core clock.
// Registers are addressed directly so no CMSIS device header is needed.
#ifndef MCU_COUNTER_H
#define MCU_COUNTER_H

#include <stdint.h>

#define MCU_DEMCR (*(volatile uint32_t*)0xE000EDFCu)
#define MCU_DWT_CTRL (*(volatile uint32_t*)0xE0001000u)
#define MCU_DWT_CYCCNT (*(volatile uint32_t*)0xE0001004u)
#define MCU_DWT_LAR (*(volatile uint32_t*)0xE0001FB0u)

static inline void mcu_counter_init(void) {
  MCU_DEMCR |= (1u << 24);     // TRCENA: enable the DWT and ITM blocks
  MCU_DWT_LAR = 0xC5ACCE55u;   // unlock the DWT (needed on Cortex-M7, ignored elsewhere)
  MCU_DWT_CYCCNT = 0;
  MCU_DWT_CTRL |= 1u;          // CYCCNTENA
}

static inline uint32_t mcu_counter_read(void) { return MCU_DWT_CYCCNT; }

#endif  // MCU_COUNTER_H
