// Cycle counter: the ESP32-C3/C6 machine performance counter (CSR 0x7e2), which ESP-IDF enables at
// start-up and reads in esp_cpu_get_cycle_count(); these RISC-V chips have no standard mcycle CSR.
#ifndef MCU_COUNTER_H
#define MCU_COUNTER_H

#include <stdint.h>

#include "esp_cpu.h"

static inline void mcu_counter_init(void) {}

static inline uint32_t mcu_counter_read(void) {
  return static_cast<uint32_t>(esp_cpu_get_cycle_count());
}

#endif  // MCU_COUNTER_H
