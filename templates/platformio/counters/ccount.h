// Cycle counter: the Xtensa CCOUNT special register, 32 bits, at the CPU clock.
#ifndef MCU_COUNTER_H
#define MCU_COUNTER_H

#include <stdint.h>

static inline void mcu_counter_init(void) {}

static inline uint32_t mcu_counter_read(void) {
  uint32_t c;
  __asm__ __volatile__("rsr.ccount %0" : "=a"(c));
  return c;
}

#endif  // MCU_COUNTER_H
