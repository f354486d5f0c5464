/*
 * hello - the smallest fixture (pure GNU as, Multiboot v1).
 * Sets a stack, loads a GDT, prints "Hello from the guest\n" on COM1,
 * executes CPUID leaf 0 once, then writes 0 to isa-debug-exit (status 1).
 * The serial routines are in ../lib/serial.s.
 */
        .include "guest.inc"

        MULTIBOOT_HEADER
        BOOT_DATA                       /* gdt, gdt_desc, stack_top */

        .text
        .globl  _start
        .type   _start, @function
_start:
        cli
        cld
        movl    $stack_top, %esp        /* Multiboot leaves no stack */
        lgdt    gdt_desc                /* code 0x08, data 0x10 */
        ljmp    $KERNEL_CS, $reload_cs  /* reload CS from our GDT */
reload_cs:
        movw    $KERNEL_DS, %cx
        movw    %cx, %ds
        movw    %cx, %es
        movw    %cx, %fs
        movw    %cx, %gs
        movw    %cx, %ss
        movl    $stack_top, %esp

        call    serial_init
        movl    $hello_msg, %esi
        call    serial_puts

        xorl    %eax, %eax              /* CPUID leaf 0: max leaf + vendor */
        cpuid

        movb    $0, %al                 /* success: exit status (0 << 1) | 1 = 1 */
        jmp     guest_exit
        .size   _start, . - _start

        .section .rodata
hello_msg:
        .asciz  "Hello from the guest\n"
