/*
 * elfplain - a plain ELF32 executable, NOT Multiboot. The linker script
 * puts _start at 0x200000; the VMM's ELF loader enters it in flat 32-bit
 * protected mode with ESP near the top of RAM (no GDT load needed here).
 * Prints "plain ELF ok\n" and exits 0 via isa-debug-exit (status 1).
 * The message lives in .data (the loader must copy it) and bss_word in
 * .bss (the loader must zero it: otherwise "FAIL: .bss not zeroed", exit 1).
 * It does not boot under `qemu-system-i386 -kernel` (no Multiboot header).
 */
#include "guest.h"

static char message[] = "plain ELF ok\n";
static volatile uint32_t bss_word;

__attribute__((noreturn, section(".text.start"))) void _start(void);

void _start(void)
{
    serial_init();
    if (bss_word != 0) {
        serial_puts("FAIL: .bss not zeroed\n");
        guest_exit(1);
    }
    serial_puts(message);
    guest_exit(0);
}
