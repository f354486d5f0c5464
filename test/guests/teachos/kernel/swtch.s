/*
 * swtch(struct context **old, struct context *new) - the context switch.
 * Push the callee-saved registers on the current kernel stack, save the stack pointer in
 * *old, load new as the stack pointer and pop its registers; "ret" then continues wherever
 * the other thread last called swtch() (or at forkret for a new process).
 */
        .text
        .globl  swtch
swtch:
        movl    4(%esp), %eax
        movl    8(%esp), %edx
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        movl    %esp, (%eax)
        movl    %edx, %esp
        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret
