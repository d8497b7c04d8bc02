// ESP-IDF port of mcu_port.h: the console UART (its speed is set in sdkconfig.defaults) through stdout,
// input through the UART driver, the counter is the board's cycle counter (mcu_counter.h).
#include <stdio.h>
#include <unistd.h>

#include "driver/uart.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#include "mcu_config.h"
#include "mcu_counter.h"
#include "mcu_driver.h"
#include "mcu_port.h"

#if defined(CONFIG_ESP_CONSOLE_UART_NUM) && CONFIG_ESP_CONSOLE_UART_NUM >= 0
#define MCU_CONSOLE_UART static_cast<uart_port_t>(CONFIG_ESP_CONSOLE_UART_NUM)
#else
#define MCU_CONSOLE_UART UART_NUM_0
#endif

void mcu_port_init(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);  // CONFIG_ESP_CONSOLE_UART_BAUDRATE sets the speed
  vTaskDelay(pdMS_TO_TICKS(500));  // give the host's serial reader time to open the port
  mcu_counter_init();
}

void mcu_port_write(const char* s, size_t n) {
  fwrite(s, 1, n, stdout);
  fflush(stdout);
}

size_t mcu_port_read(char* buf, size_t cap) {
  // The UART driver (a receive interrupt and buffer) is installed when input is first read, i.e. only
  // by validation firmware: profiling runs are never interrupted by it.
  static bool installed = false;
  if (!installed) {
    if (uart_driver_install(MCU_CONSOLE_UART, 2048, 0, 0, NULL, 0) != ESP_OK) return 0;
    installed = true;
  }
  uint8_t* p = reinterpret_cast<uint8_t*>(buf);
  if (uart_read_bytes(MCU_CONSOLE_UART, p, 1, portMAX_DELAY) != 1) return 0;
  size_t n = 1;
  size_t buffered = 0;
  if (cap > 1 && uart_get_buffered_data_len(MCU_CONSOLE_UART, &buffered) == ESP_OK && buffered > 0) {
    const size_t more = buffered < cap - 1 ? buffered : cap - 1;
    const int got = uart_read_bytes(MCU_CONSOLE_UART, p + 1, more, 0);
    if (got > 0) n += static_cast<size_t>(got);
  }
  return n;
}

uint64_t mcu_port_counter(void) { return mcu_counter_read(); }

void mcu_port_exit(int status) {
  (void)status;
  fflush(stdout);
  for (;;) vTaskDelay(pdMS_TO_TICKS(1000));
}

extern "C" void app_main(void) { mcu_driver_run(); }
