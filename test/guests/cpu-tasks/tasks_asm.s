/*
 * tasks_asm.s - the assembly half of the cpu-tasks guest: the code of the
 * tasks the self-tests switch to: task B (reached by JMP, JMPs back), task C
 * (reached by CALL, IRETs back through the previous-task link), the #DF task
 * (reached through the IDT task gate, error code on its stack) and the
 * 16-bit-TSS task. The exception stubs (isr0-isr31, isr_common,
 * isr_stub_table) are in test/guests/lib/isrStubs.s (vector 8 is a task gate
 * here, so its stub is not used).
 */
        .set MAIN_TSS,  0x18

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
