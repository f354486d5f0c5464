/*
 * isrStubs.s - exception stubs for vectors 0-31 shared by the C guests (demo, cpu-selftest, cpu-tasks,
 * exits): each pushes a dummy error code where the CPU pushes none (SDM Vol. 3A Table 6-1), then its
 * vector; isr_common saves the general registers and DS/ES, loads the kernel data segment and calls
 * exception_handler(frame) with DF clear (as C code expects). The frame, lowest address first:
 *   es, ds, edi, esi, ebp, esp, ebx, edx, ecx, eax (pushal), vector, error, eip, cs, eflags
 * (then esp, ss when the exception came from CPL 3). The handler may edit it (EIP, EAX, EFLAGS) before
 * isr_common returns with IRET. isr_stub_table[N] holds the address of stub N for the IDT.
 */
        .set KERNEL_DS, 0x10

        .text
.macro ISR_NOERR n
        .type   isr\n, @function
isr\n:  pushl   $0
        pushl   $\n
        jmp     isr_common
        .size   isr\n, . - isr\n
.endm
.macro ISR_ERR n
        .type   isr\n, @function
isr\n:  pushl   $\n
        jmp     isr_common
        .size   isr\n, . - isr\n
.endm
        /* The CPU pushes an error code for 8, 10-14, 17, 21, 29, 30. */
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

        .type   isr_common, @function
isr_common:
        pushal                          /* edi esi ebp esp ebx edx ecx eax */
        pushl   %ds
        pushl   %es
        movw    $KERNEL_DS, %ax
        movw    %ax, %ds
        movw    %ax, %es
        cld
        pushl   %esp                    /* the frame */
        call    exception_handler
        addl    $4, %esp
        popl    %es
        popl    %ds
        popal
        addl    $8, %esp                /* vector and error code */
        iretl
        .size   isr_common, . - isr_common

        .section .rodata
        .globl  isr_stub_table
        .p2align 2
isr_stub_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long   isr\n
        .endr
        .text
