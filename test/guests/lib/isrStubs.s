/*
 * isrStubs.s - exception stubs for vectors 0-31 shared by the C guests (cpu-selftest, exits): each
 * pushes a dummy error code where the CPU pushes none (SDM Vol. 3A Table 6-1), then its vector, saves
 * the general registers and DS/ES into a struct frame (test/guests/<guest>.c) and calls
 * exception_handler(frame); isr_stub_table lists the stubs for the IDT.
 */
        .set KERNEL_DS, 0x10

        .text
.macro ISR_NOERR n
isr\n:  pushl   $0
        pushl   $\n
        jmp     isr_common
.endm
.macro ISR_ERR n
isr\n:  pushl   $\n
        jmp     isr_common
.endm
        ISR_NOERR 0
        ISR_NOERR 1
        ISR_NOERR 2
        ISR_NOERR 3
        ISR_NOERR 4
        ISR_NOERR 5
        ISR_NOERR 6
        ISR_NOERR 7
        ISR_ERR   8
        ISR_NOERR 9
        ISR_ERR   10
        ISR_ERR   11
        ISR_ERR   12
        ISR_ERR   13
        ISR_ERR   14
        ISR_NOERR 15
        ISR_NOERR 16
        ISR_ERR   17
        ISR_NOERR 18
        ISR_NOERR 19
        ISR_NOERR 20
        ISR_ERR   21
        ISR_NOERR 22
        ISR_NOERR 23
        ISR_NOERR 24
        ISR_NOERR 25
        ISR_NOERR 26
        ISR_NOERR 27
        ISR_NOERR 28
        ISR_ERR   29
        ISR_ERR   30
        ISR_NOERR 31

isr_common:
        pushal
        pushl   %ds
        pushl   %es
        movw    $KERNEL_DS, %ax
        movw    %ax, %ds
        movw    %ax, %es
        pushl   %esp
        call    exception_handler
        addl    $4, %esp
        popl    %es
        popl    %ds
        popal
        addl    $8, %esp
        iretl

        .section .rodata
        .globl  isr_stub_table
        .p2align 2
isr_stub_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long   isr\n
        .endr
        .text
