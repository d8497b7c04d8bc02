// What the benchmark driver needs from the board's framework: a serial console and an entry point.
// ports/arduino.cpp and ports/espidf.cpp implement it; the cycle counter is in mcu_counter.h.
#ifndef MCU_PORT_H
#define MCU_PORT_H

#include <stddef.h>

void mcu_port_init(unsigned long baud);
void mcu_port_write(const char* s, size_t n);
// Called once the report is printed; parks the board.
void mcu_port_idle(void);
// The driver's entry point, called by the port once the framework is up.
void mcu_benchmark(void);

#endif  // MCU_PORT_H
