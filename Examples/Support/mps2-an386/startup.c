/* Minimal start-up for the Arm MPS2-AN386 board (Cortex-M4F) as QEMU emulates
 * it (qemu-system-arm -M mps2-an386). Shared by the EmbeddedC and
 * EmbeddedSwift examples. The C library (newlib with semihosting, "rdimon")
 * provides _start, which clears .bss, sets up stdio over semihosting, runs
 * main and passes its status to exit(); this file only provides the vector
 * table and turns the FPU on before any floating-point instruction runs. */
#include <stdint.h>

extern uint32_t __stack_top;
extern void _start(void);

void Reset_Handler(void);
void Fault_Handler(void);

void Reset_Handler(void)
{
    /* CPACR: full access to coprocessors 10 and 11, the FPU. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
    _start();
    for (;;) {
    }
}

/* Any fault stops here; QEMU's -d int shows which one. */
void Fault_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top, /* initial stack pointer */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
};
