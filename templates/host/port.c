/* mcunets port for the host: stdout/stdin console, nanoseconds from CLOCK_MONOTONIC. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mcu_driver.h"
#include "mcu_port.h"

void mcu_port_init(void)
{
}

void mcu_port_write(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
    fflush(stdout);
}

size_t mcu_port_read(char *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, cap);
        if (n >= 0) return (size_t)n;
    }
}

uint64_t mcu_port_counter(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mcu_port_exit(int status)
{
    fflush(stdout);
    exit(status);
}

int main(void)
{
    mcu_driver_run();
    return 0;
}
