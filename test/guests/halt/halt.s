/*
 * halt - a vCPU that can never wake (GNU as, Multiboot v1).
 * Prints "halting\n", then cli; hlt with interrupts disabled: only an NMI
 * could resume it (and it would halt again). Never exits by itself.
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
        cli
        .globl  halt_insn
halt_insn:
        hlt
        jmp     halt_insn
        .size   _start, . - _start

        .section .rodata
msg:
        .asciz  "halting\n"
