/*
 * tasks_asm.s - the assembly half of the cpu-tasks guest: exception stubs
 * (vectors 0-31 but 8, which is a task gate) that build a frame and call
 * exception_handler(), and the code of the tasks the self-tests switch to:
 * task B (reached by JMP, JMPs back), task C (reached by CALL, IRETs back
 * through the previous-task link), the #DF task (reached through the IDT
 * task gate, error code on its stack) and the 16-bit-TSS task.
 */
        .set KERNEL_DS, 0x10
        .set MAIN_TSS,  0x18

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
        ISR_NOERR 29
        ISR_ERR   30
        ISR_NOERR 31

isr_common:
        pushal
        pushl   %esp
        call    exception_handler
        addl    $4, %esp
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

/* Task B: entered by JMP to its TSS; records TR, EFLAGS and CR0, then JMPs back to the main task. */
        .globl  task_b_entry
task_b_entry:
        str     b_tr
        pushfl
        popl    b_eflags
        movl    %cr0, %eax
        movl    %eax, b_cr0
        incl    b_runs
        ljmp    $MAIN_TSS, $0
        jmp     task_b_entry

/* Task C: entered by CALL (TSS or task gate); records, then IRET (NT = 1) back through the link. */
        .globl  task_c_entry
task_c_entry:
        str     c_tr
        pushfl
        popl    c_eflags
        incl    c_runs
        iretl
        jmp     task_c_entry

/* #DF task: the error code is on its stack; point the interrupted task at df_fixup, IRET back. */
        .globl  df_task_entry
df_task_entry:
        popl    df_error
        str     df_tr
        pushfl
        popl    df_eflags
        movl    df_fixup, %eax
        movl    %eax, main_tss+0x20     /* the main task's saved EIP (32-bit TSS offset 0x20) */
        incl    df_runs
        iretl
        jmp     df_task_entry

/* The 16-bit-TSS task: 32-bit code in a segment based at task16_entry (so IP fits 16 bits). */
        .globl  task16_entry
task16_entry:
        str     t16_tr
        incl    t16_runs
        iretl
        jmp     task16_entry

        .bss
        .p2align 2
        .globl  b_tr, b_eflags, b_cr0, b_runs, c_tr, c_eflags, c_runs, df_error, df_tr, df_eflags, df_runs, df_fixup, t16_tr, t16_runs
b_tr:      .long 0
b_eflags:  .long 0
b_cr0:     .long 0
b_runs:    .long 0
c_tr:      .long 0
c_eflags:  .long 0
c_runs:    .long 0
df_error:  .long 0
df_tr:     .long 0
df_eflags: .long 0
df_runs:   .long 0
df_fixup:  .long 0
t16_tr:    .long 0
t16_runs:  .long 0
