// Arduino framework port (STM32duino on the Nucleo boards): Serial is the ST-LINK virtual COM port.
#include <Arduino.h>

#include "mcu_config.h"
#include "mcu_port.h"

void mcu_port_init(unsigned long baud) {
  Serial.begin(baud);
  const unsigned long start = millis();
  while (!Serial && millis() - start < 2000) {
  }
  delay(500);  // give the host's serial reader time to open the port after a reset
}

void mcu_port_write(const char* s, size_t n) { Serial.write(reinterpret_cast<const uint8_t*>(s), n); }

void mcu_port_idle(void) {
  Serial.flush();
  for (;;) delay(1000);
}

#if MCU_RUNTIME_IS_TFLM
// TFLM's log sink; the library's own is compiled out with ARDUINO_EXCLUDE_CODE (docs/firmware.md).
extern "C" void DebugLog(const char* s) { Serial.print(s); }
#endif

void setup() {
  mcu_port_init(MCU_SERIAL_BAUD);
  mcu_benchmark();
  mcu_port_idle();
}

void loop() {}
