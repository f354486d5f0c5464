/*
 * trap.c - the IDT and the C side of every interrupt, exception and system call.
 *
 * Exceptions and IRQs use interrupt gates (IF cleared on entry); int 0x80 is a trap gate
 * with DPL 3 so ring 3 may invoke it (SDM Vol. 3A 6.12.1.1) and interrupts stay enabled
 * while the system call runs.
 */
#include "kernel.h"
#include "x86.h"
#include "syscall.h"

static struct gatedesc idt[256];
extern u32 vectors[];
volatile u32 ticks;

static const char *const exc_names[] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound",
    "#UD invalid opcode", "#NM no FPU", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF FPU error", "#AC alignment check", "#MC machine check",
    "#XM SIMD", "#VE virtualization",
};

static void set_gate(int n, u32 handler, int trap_gate, int dpl)
{
    idt[n].off_lo = handler & 0xffff;
    idt[n].sel = KCODE_SEL;
    idt[n].zero = 0;
    idt[n].type_attr = (u8)(0x80 | (dpl << 5) | (trap_gate ? 0xf : 0xe));
    idt[n].off_hi = handler >> 16;
}

void idt_init(void)
{
    for (int i = 0; i < 256; i++) set_gate(i, vectors[i], 0, 0);
    set_gate(T_SYSCALL, vectors[T_SYSCALL], 1, 3);
    idt_load();
}

void idt_load(void) { lidt(idt, sizeof idt); }

/* A fault in ring 3 kills the process; the kernel notes why (the self-test checks it). */
static void user_fault(struct trapframe *tf)
{
    struct proc *p = myproc();
    char msg[128];
    p->faulted = (int)tf->trapno + 1;
    p->fault_err = tf->err;
    p->fault_eip = tf->eip;
    if (tf->trapno == T_PGFLT) {
        p->fault_addr = read_cr2();
        snprintf_k(msg, sizeof msg, "kernel: pid %d (%s): page fault at 0x%08x, error 0x%x, eip 0x%08x: killed\n",
                   p->pid, p->name, p->fault_addr, tf->err, tf->eip);
    } else {
        snprintf_k(msg, sizeof msg, "kernel: pid %d (%s): %s, error 0x%x, eip 0x%08x: killed\n", p->pid, p->name,
                   tf->trapno < 21 ? exc_names[tf->trapno] : "exception", tf->err, tf->eip);
    }
    proc_console(p, msg, (int)strlen(msg));
    p->killed = 1;
}

void trap(struct trapframe *tf)
{
    struct proc *p = myproc();
    int from_user = (tf->cs & 3) == 3;

    if (tf->trapno == T_SYSCALL) {
        if (p->killed) proc_exit(-1);
        syscall(tf);
        if (p->killed) proc_exit(-1);
        return;
    }

    switch (tf->trapno) {
    case T_TIMER:
        mycpu()->timer_irqs++;
        if (cpuid() == 0) proc_tick();  /* one CPU keeps the time: ticks and sleepers */
        lapic_eoi();
        break;
    case T_IRQ0 + IRQ_IDE:
        ide_intr();
        lapic_eoi();
        break;
    case T_IRQ0 + IRQ_COM1:
        serial_intr();
        lapic_eoi();
        break;
    case T_IRQ0 + 7:
    case T_SPURIOUS:
        /* Spurious interrupts need no EOI (SDM Vol. 3A 10.9). */
        break;
    case T_LAPIC_ERR:
        lapic_eoi();
        break;
    default:
        if (from_user && p) {
            user_fault(tf);
            break;
        }
        panic("%s (vector %d) in the kernel on cpu %d: eip 0x%08x, error 0x%x, cr2 0x%08x",
              tf->trapno < 21 ? exc_names[tf->trapno] : "unexpected interrupt", tf->trapno, cpuid(),
              tf->eip, tf->err, read_cr2());
    }

    if (p && p->killed && from_user) proc_exit(-1);
    /* Round robin: a timer interrupt that lands in ring 3 ends the process's time slice. */
    if (p && p->state == RUNNING && tf->trapno == T_TIMER && from_user) {
        p->preempted++;
        yield();
    }
    if (p && p->killed && from_user) proc_exit(-1);
}
