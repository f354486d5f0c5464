/*
 * exits_asm.s - the assembly half of the exits guest: exception stubs for
 * vectors 0-31 that build a struct frame and call exception_handler(), the
 * PIT IRQ0 handler (vector 0x20), the target task of the task-switch test,
 * and a COM1 receive handler (vector 0x24).
 */
        .set KERNEL_DS, 0x10
        .set TSS_A_SEL, 0x18

        .text
/* The exception stubs (isr0-isr31, isr_common, isr_stub_table) are in test/guests/lib/isrStubs.s. */

/* IRQ0 (PIT): count, remember the EIP it interrupted, non-specific EOI. */
        .globl  irq0_handler, ticks, tick_eip
irq0_handler:
        pushl   %eax
        incl    ticks
        movl    4(%esp), %eax
        movl    %eax, tick_eip
        movb    $0x20, %al
        outb    %al, $0x20
        popl    %eax
        iretl

/* The NMI handler (vector 2): count and track nesting; the first one sends a second self-NMI,
   which must wait for this handler's IRET (NMI blocking, SDM 6.7.1). */
        .globl  nmi_handler, nmi_count, nmi_depth, nmi_max_depth
nmi_handler:
        pushal
        incl    nmi_depth
        movl    nmi_depth, %eax
        cmpl    nmi_max_depth, %eax
        jbe     1f
        movl    %eax, nmi_max_depth
1:      incl    nmi_count
        cmpl    $1, nmi_count
        jne     2f
        call    send_self_nmi
        /* a while with NMIs blocked: the second one is held, not nested */
        movl    $2000, %ecx
3:      loop    3b
2:      decl    nmi_depth
        popal
        iretl

/* Task B for the task-switch test: entered by a far JMP to its TSS, goes back to task A's TSS. */
        .globl  task_b_entry, task_b_runs
task_b_entry:
        incl    task_b_runs
        ljmp    $TSS_A_SEL, $0
        jmp     task_b_entry

/* One instruction each, then RET: C calls them through try_insn(fn, length), and a fault resumes at
   the RET (the exception handler's fixup). EAX/ECX/EDX are the caller's arguments. */
        .globl  do_ud2, do_rdpmc, do_rdtscp, do_xsetbv, do_vmxon, do_vmread, do_monitor, do_mwait
        .globl  do_invd, do_wbinvd, do_pause
do_ud2:     ud2
            ret
do_rdpmc:   rdpmc
            ret
do_rdtscp:  rdtscp
            ret
do_xsetbv:  xsetbv
            ret
do_vmxon:   vmxon (%eax)
            ret
do_vmread:  vmread %eax, %ecx
            ret
do_monitor: monitor
            ret
do_mwait:   mwait
            ret
do_invd:    invd
            ret
do_wbinvd:  wbinvd
            ret
do_pause:   pause
            ret

/* IRQ4 (COM1 received data, vector 0x24): take the byte, non-specific EOI. */
        .globl  irq4_handler, com1_rx, com1_rx_count
irq4_handler:
        pushl   %eax
        pushl   %edx
        movw    $0x3fd, %dx
        inb     %dx, %al
        testb   $1, %al
        jz      1f
        movw    $0x3f8, %dx
        inb     %dx, %al
        movb    %al, com1_rx
        incl    com1_rx_count
1:      movb    $0x20, %al
        outb    %al, $0x20
        popl    %edx
        popl    %eax
        iretl
