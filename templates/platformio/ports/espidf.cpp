// ESP-IDF port: the console UART (its speed is set in sdkconfig.defaults) through stdout.
#include <stdio.h>
#include <unistd.h>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#include "mcu_config.h"
#include "mcu_port.h"

void mcu_port_init(unsigned long baud) {
  (void)baud;  // CONFIG_ESP_CONSOLE_UART_BAUDRATE
  setvbuf(stdout, NULL, _IOLBF, 0);
  vTaskDelay(pdMS_TO_TICKS(500));  // give the host's serial reader time to open the port
}

void mcu_port_write(const char* s, size_t n) {
  fwrite(s, 1, n, stdout);
  fflush(stdout);
}

void mcu_port_idle(void) {
  fflush(stdout);
  for (;;) vTaskDelay(pdMS_TO_TICKS(1000));
}

extern "C" void app_main(void) {
  mcu_port_init(MCU_SERIAL_BAUD);
  mcu_benchmark();
  mcu_port_idle();
}
