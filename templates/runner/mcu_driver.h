/* The mcunets driver's entry point (mcu_driver.c), called by the board's own entry point (main,
 * Reset_Handler, setup, app_main) once the board is up. It ends in mcu_port_exit(). */
#ifndef MCU_DRIVER_H
#define MCU_DRIVER_H

#ifdef __cplusplus
extern "C" {
#endif

void mcu_driver_run(void);

#ifdef __cplusplus
}
#endif

#endif /* MCU_DRIVER_H */
