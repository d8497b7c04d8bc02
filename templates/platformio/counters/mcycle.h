// Cycle counter: the standard RISC-V mcycle CSR (low 32 bits), at the core clock.
#ifndef MCU_COUNTER_H
#define MCU_COUNTER_H

#include <stdint.h>

static inline void mcu_counter_init(void) {}

static inline uint32_t mcu_counter_read(void) {
  uint32_t c;
  __asm__ __volatile__("csrr %0, mcycle" : "=r"(c));
  return c;
}

#endif  // MCU_COUNTER_H
