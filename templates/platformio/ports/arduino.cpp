// Arduino framework port (STM32duino on the Nucleo boards) of mcu_port.h: Serial is the ST-LINK
// virtual COM port, the counter is the board's cycle counter (mcu_counter.h).
#include <Arduino.h>

#include "mcu_config.h"
#include "mcu_counter.h"
#include "mcu_driver.h"
#include "mcu_port.h"

void mcu_port_init(void) {
  Serial.begin(MCU_SERIAL_BAUD);
  const unsigned long start = millis();
  while (!Serial && millis() - start < 2000) {
  }
  delay(500);  // give the host's serial reader time to open the port after a reset
  mcu_counter_init();
}

void mcu_port_write(const char* s, size_t n) {
  Serial.write(reinterpret_cast<const uint8_t*>(s), n);
  Serial.flush();  // wait until sent: no transmit interrupt may land in a timed inference
}

size_t mcu_port_read(char* buf, size_t cap) {
  while (Serial.available() <= 0) {
  }
  size_t n = 0;
  while (n < cap && Serial.available() > 0) {
    const int c = Serial.read();
    if (c < 0) break;
    buf[n++] = static_cast<char>(c);
    if (c == '\n') break;
  }
  return n;
}

uint64_t mcu_port_counter(void) { return mcu_counter_read(); }

void mcu_port_exit(int status) {
  (void)status;
  Serial.flush();
  for (;;) delay(1000);
}

#if MCU_RUNTIME_IS_TFLM
// TFLM's log sink; the library's own is compiled out with ARDUINO_EXCLUDE_CODE (docs/firmware.md).
// TFLM changed its signature in July 2023 (tflite-micro ef0a7b0) from DebugLog(const char* s) to
// DebugLog(const char* format, va_list args), in the commit that removed micro_string.h: that header's
// include guard tells which one the installed library declares. Including debug_log.h makes any other
// mismatch a compile error rather than a call with the wrong arguments. The pinned
// Chirale_TensorFlowLite v2.0.0 (TFLM of early 2023) declares the first.
#include <stdarg.h>
#include <stdio.h>

#include "tensorflow/lite/micro/debug_log.h"
#if __has_include("tensorflow/lite/micro/micro_string.h")
#include "tensorflow/lite/micro/micro_string.h"
#endif

#ifdef TENSORFLOW_LITE_MICRO_MICRO_STRING_H_
extern "C" void DebugLog(const char* s) { Serial.print(s); }
#else
extern "C" int DebugVsnprintf(char* buffer, size_t buf_size, const char* format, va_list vlist) {
  return vsnprintf(buffer, buf_size, format, vlist);
}

extern "C" void DebugLog(const char* format, va_list args) {
  char line[256];
  DebugVsnprintf(line, sizeof line, format, args);
  Serial.print(line);
}
#endif
#endif

void setup() { mcu_driver_run(); }

void loop() {}
