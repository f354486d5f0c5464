/*
 * io - I/O-exit fixture (GNU as, Multiboot v1). Each step is one kind of
 * port access:
 *   outb 0x42 -> 0x80          POST code
 *   inb  0x3fd                 UART LSR
 *   rep outsb "rep!\n" -> 0x3f8 (ecx = 5)
 *   outw 0xbeef -> 0x6e0       unused port: the write goes nowhere
 *   inl  0x6e0                 unused port: an empty bus reads all-ones
 * then prints the inl value and whether it was all-ones; exits 0 (status 1).
 */
        .include "guest.inc"

        MULTIBOOT_HEADER

        .set POST_PORT,   0x80
        .set UNUSED_PORT, 0x6e0

        .text
        .globl  _start
        .type   _start, @function
_start:
        BOOT
        call    serial_init
        movl    $start_msg, %esi
        call    serial_puts

        movb    $0x42, %al
        outb    %al, $POST_PORT         /* out imm8 port */

        movw    $COM1_LSR, %dx
        inb     %dx, %al                /* in dx port */

        movl    $rep_msg, %esi
        movl    $rep_msg_len, %ecx
        movw    $COM1, %dx
        cld
        rep outsb                       /* string I/O, 5 iterations */

        movw    $0xbeef, %ax
        movw    $UNUSED_PORT, %dx
        outw    %ax, %dx                /* 16-bit out */

        inl     %dx, %eax               /* 32-bit in from an empty port */
        movl    %eax, %ebx

        movl    $inl_msg, %esi
        call    serial_puts
        movl    %ebx, %eax
        call    serial_puthex32
        movl    $all_ones_msg, %esi
        cmpl    $0xffffffff, %ebx
        je      1f
        movl    $not_all_ones_msg, %esi
1:      call    serial_puts

        movl    $done_msg, %esi
        call    serial_puts
        movb    $0, %al
        jmp     guest_exit
        .size   _start, . - _start

        .section .rodata
start_msg:
        .asciz  "io: start\n"
rep_msg:
        .ascii  "rep!\n"
        .set    rep_msg_len, . - rep_msg
inl_msg:
        .asciz  "io: inl 0x06e0 = 0x"
all_ones_msg:
        .asciz  " (all-ones)\n"
not_all_ones_msg:
        .asciz  " (NOT all-ones)\n"
done_msg:
        .asciz  "io done\n"
