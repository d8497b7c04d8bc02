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
extern "C" void DebugLog(const char* s) { Serial.print(s); }
#endif

void setup() { mcu_driver_run(); }

void loop() {}
