/* Cortex-M start-up for the emulated boards (QEMU mps2-an386/an500, netduinoplus2): vector table,
 * .data/.bss set-up, FPU enable, faults; then the mcunets driver. A port that counts with SysTick
 * defines SysTick_Handler; the others get the empty one here. */
#include <stdint.h>

#include "mcu_driver.h"
#include "mcu_port.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
void Reset_Handler(void);
void SysTick_Handler(void);
static void Fault_Handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++) *dst = 0;
    SCB_CPACR |= 0xFu << 20; /* CP10 and CP11 full access: the FPU. */
    __asm volatile("dsb\n\tisb" ::: "memory");
    mcu_driver_run();
    mcu_port_exit(0);
}

__attribute__((weak)) void SysTick_Handler(void)
{
}

static void Fault_Handler(void)
{
    static const char msg[] = "@mcu error msg=hard_fault\n";
    mcu_port_write(msg, sizeof msg - 1);
    mcu_port_exit(1);
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) static const vector_t vectors[16] = {
    (vector_t)(uintptr_t)&_estack,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    0, 0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
};
