/*
 * ud - invalid-opcode fixture (GNU as, Multiboot v1).
 * Installs an IDT whose vector 6 (#UD) gate points at ud_handler, then
 * executes SSE `movaps %xmm0, %xmm1` (0f 28 c8), which the VMM's CPU does
 * not implement; with CR4.OSFXSR = 0 real hardware and QEMU raise #UD too.
 * The handler prints "#UD at 0x<faulting EIP>\n" (8 hex digits, taken from
 * the exception frame; fixed by the link: the address of ud_insn) and
 * exits with 6 via isa-debug-exit (status 13).
 */
        .include "guest.inc"

        MULTIBOOT_HEADER

        .set IDT_ENTRIES, 32
        .set UD_VECTOR,   6

        .text
        .globl  _start
        .type   _start, @function
_start:
        BOOT
        call    serial_init

        /* IDT gate 6: 32-bit interrupt gate, selector 0x08, DPL 0. */
        movl    $ud_handler, %eax
        movw    %ax, idt + UD_VECTOR * 8 + 0    /* offset 15:0 */
        movw    $KERNEL_CS, idt + UD_VECTOR * 8 + 2
        movw    $0x8e00, idt + UD_VECTOR * 8 + 4
        shrl    $16, %eax
        movw    %ax, idt + UD_VECTOR * 8 + 6    /* offset 31:16 */
        lidt    idt_desc

        .globl  ud_insn
ud_insn:
        .byte   0x0f, 0x28, 0xc8        /* movaps %xmm0, %xmm1 */

        /* Not reached: the handler exits. */
        movb    $1, %al
        jmp     guest_exit
        .size   _start, . - _start

        .type   ud_handler, @function
ud_handler:
        movl    $ud_msg, %esi
        call    serial_puts
        movl    (%esp), %eax            /* #UD pushes no error code: EIP */
        call    serial_puthex32
        movb    $'\n', %al
        call    serial_putc
        movb    $UD_VECTOR, %al
        jmp     guest_exit
        .size   ud_handler, . - ud_handler

        .section .rodata
ud_msg:
        .asciz  "#UD at 0x"

        .data
        .p2align 3
idt:
        .fill   IDT_ENTRIES * 8, 1, 0
        .p2align 2
        .word   0
idt_desc:
        .word   IDT_ENTRIES * 8 - 1
        .long   idt
