/*
 * triple - triple-fault fixture (GNU as, Multiboot v1).
 * Prints "about to triple fault\n", loads an IDT with limit 0 (a zero
 * pseudo-descriptor) and executes int3: the gate is outside the IDT ->
 * #GP, whose gate is outside too -> #DF -> triple fault -> shutdown.
 * QEMU with -no-reboot exits with status 0 and prints nothing more.
 */
        .include "guest.inc"

        MULTIBOOT_HEADER

        .text
        .globl  _start
        .type   _start, @function
_start:
        BOOT
        call    serial_init
        movl    $msg, %esi
        call    serial_puts
        lidt    null_idt_desc
        int3
        /* Not reached. */
        movb    $1, %al
        jmp     guest_exit
        .size   _start, . - _start

        .section .rodata
msg:
        .asciz  "about to triple fault\n"
        .p2align 2
null_idt_desc:
        .word   0                       /* limit */
        .long   0                       /* base */
