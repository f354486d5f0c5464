/*
 * trapasm.s - one entry stub per interrupt vector, and the common path into trap().
 *
 * The CPU pushes an error code for vectors 8, 10-14 and 17 (SDM Vol. 3A 6.13, Table 6-1);
 * the stubs push a 0 for the others so every trapframe has the same shape. alltraps saves
 * the segment and general registers, loads the kernel data segment and calls trap(tf).
 * trapret is also where a new process starts: its kernel stack is built to "return" here.
 */
        .altmacro
        .macro  vector n
        .globl  vector\n
vector\n:
        .if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17)
        .else
        pushl   $0
        .endif
        pushl   $\n
        jmp     alltraps
        .endm

        .macro  vecref n
        .long   vector\n
        .endm

        .text
        .set    i, 0
        .rept   256
        vector  %i
        .set    i, i + 1
        .endr

        .globl  alltraps
alltraps:
        pushl   %ds
        pushl   %es
        pushl   %fs
        pushl   %gs
        pushal
        movw    $0x10, %ax              /* KDATA_SEL */
        movw    %ax, %ds
        movw    %ax, %es
        pushl   %esp                    /* trap(struct trapframe *tf) */
        call    trap
        addl    $4, %esp

        .globl  trapret
trapret:
        popal
        popl    %gs
        popl    %fs
        popl    %es
        popl    %ds
        addl    $8, %esp                /* trapno and error code */
        iret

        .section .rodata
        .p2align 2
        .globl  vectors
vectors:
        .set    i, 0
        .rept   256
        vecref  %i
        .set    i, i + 1
        .endr
