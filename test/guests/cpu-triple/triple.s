/*
 * cpu-triple - double fault, then triple fault (GNU as, Multiboot v1).
 * 1. A #GP whose IDT gate is not present: delivering it raises #NP, and two
 *    contributory exceptions make a #DF (SDM Table 6-5). The #DF handler
 *    checks its error code (0) and prints "PASS double_fault_delivered".
 * 2. The handler then marks the #DF gate not present and faults again:
 *    #GP -> #NP -> #DF -> #NP while delivering #DF -> triple fault ->
 *    shutdown. QEMU with -no-reboot exits with status 0.
 */
        .include "guest.inc"

        MULTIBOOT_HEADER

        .text
        .globl  _start, df_handler
        .type   _start, @function
_start:
        BOOT
        call    serial_init
        movl    $msg_start, %esi
        call    serial_puts
        /* IDT: 32 gates, only #DF (8) present (interrupt gate to df_handler). */
        movl    $df_handler, %eax
        movw    %ax, idt + 8*8
        movw    $KERNEL_CS, idt + 8*8 + 2
        movw    $0x8e00, idt + 8*8 + 4
        shrl    $16, %eax
        movw    %ax, idt + 8*8 + 6
        lidt    idt_desc
        movw    $0x1f8, %ax             /* beyond the GDT limit: #GP(0x1f8) */
        movw    %ax, %ds
        /* Not reached. */
        movl    $msg_fail, %esi
        call    serial_puts
        movb    $1, %al
        jmp     guest_exit
        .size   _start, . - _start

df_handler:
        movw    $KERNEL_DS, %ax
        movw    %ax, %ds
        popl    %eax                    /* the #DF error code: always 0 */
        testl   %eax, %eax
        jnz     1f
        movl    $msg_pass, %esi
        call    serial_puts
        movl    $msg_next, %esi
        call    serial_puts
        andw    $0x7fff, idt + 8*8 + 4  /* #DF gate not present */
        movw    $0x1f8, %ax
        movw    %ax, %ds                /* #GP -> #NP -> #DF -> #NP: triple fault */
1:      movl    $msg_fail, %esi
        call    serial_puts
        movb    $1, %al
        jmp     guest_exit

        .section .rodata
msg_start:
        .asciz  "cpu-triple: #GP with its gate not present\n"
msg_pass:
        .asciz  "PASS double_fault_delivered\n"
msg_next:
        .asciz  "cpu-triple: #DF gate not present, faulting again\n"
msg_fail:
        .asciz  "FAIL cpu-triple: still running\n"

        .data
        .p2align 3
idt:    .fill   32, 8, 0
idt_end:
        .p2align 2
        .word   0
idt_desc:
        .word   idt_end - idt - 1
        .long   idt
