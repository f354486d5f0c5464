/*
 * proc.c - processes and the round-robin scheduler (the shape of xv6's proc.c).
 *
 * Every CPU runs scheduler(): it picks the next RUNNABLE process after the last one picked
 * (a global round-robin cursor), switches to its address space and kernel stack, and runs
 * it until it yields (system call, sleep, exit, or the timer's end of its time slice). One
 * lock, ptable_lock, protects every process's state and the cursor; it is held across the
 * context switch and released by the other side (forkret or the code after sched()).
 */
#include "kernel.h"
#include "x86.h"
#include "memlayout.h"

struct spinlock ptable_lock;
struct proc proc_table[NPROC];
static int rr_next;
static int live;                        /* created and not yet exited */
#define WATCHDOG_TICKS 1000             /* 10 s of machine time; a normal run needs a few ticks */
extern void trapret(void);

void proc_init(void) { initlock(&ptable_lock, "ptable"); }

struct proc *myproc(void)
{
    push_cli();
    struct proc *p = mycpu()->proc;
    pop_cli();
    return p;
}

struct proc *proc_by_pid(int pid)
{
    for (int i = 0; i < NPROC; i++)
        if (proc_table[i].state != UNUSED && proc_table[i].pid == pid) return &proc_table[i];
    return 0;
}

/* A new process that starts in ring 3 at entry, with its own address space. */
struct proc *proc_create(const char *name, void (*entry)(void))
{
    acquire(&ptable_lock);
    struct proc *p = 0;
    for (int i = 0; i < NPROC; i++)
        if (proc_table[i].state == UNUSED) { p = &proc_table[i]; break; }
    if (!p) { release(&ptable_lock); return 0; }
    /* The lowest pid no process holds: the self-test's six get 1..6, and so does every round of
     * the stress workload (stress.c), whose processes are reaped before the next round starts. */
    int pid = 1;
    while (proc_by_pid(pid)) pid++;
    p->state = EMBRYO;
    p->pid = pid;
    release(&ptable_lock);

    p->name = name;
    p->kstack = kalloc();
    p->pgdir = setup_uvm(&p->data_pa);
    if (!p->kstack || !p->pgdir) panic("proc_create: out of memory");

    /* The kernel stack, top down: trapframe (the user registers iret will load), the
     * address of trapret, and a context whose eip is forkret - so the first swtch() to
     * this process "returns" into forkret, then trapret, then iret into ring 3. */
    char *sp = p->kstack + KSTACK_SIZE;
    sp -= sizeof *p->tf;
    p->tf = (struct trapframe *)sp;
    memset(p->tf, 0, sizeof *p->tf);
    p->tf->cs = UCODE_SEL;
    p->tf->ds = p->tf->es = p->tf->fs = p->tf->gs = p->tf->ss = UDATA_SEL;
    p->tf->eflags = FL_IF;
    p->tf->esp = USER_STACK_TOP;
    p->tf->eip = (u32)entry;
    sp -= 4;
    *(u32 *)sp = (u32)trapret;
    sp -= sizeof *p->context;
    p->context = (struct context *)sp;
    memset(p->context, 0, sizeof *p->context);
    extern void forkret(void);
    p->context->eip = (u32)forkret;

    acquire(&ptable_lock);
    p->state = RUNNABLE;
    live++;
    release(&ptable_lock);
    return p;
}

/* A new process's first code in the kernel: still holding ptable_lock from scheduler(). */
void forkret(void)
{
    release(&ptable_lock);
}

int proc_live(void) { return live; }

/* One turn of the scheduler loop: run the next RUNNABLE process after the cursor until it gives
 * the CPU back. Caller holds ptable_lock. Returns the process that ran, or 0. */
static struct proc *run_next(struct cpu *c)
{
    struct proc *run = 0;
    for (int n = 0; n < NPROC; n++) {
        struct proc *p = &proc_table[(rr_next + n) % NPROC];
        if (p->state == RUNNABLE) { run = p; break; }
    }
    if (run) {
        rr_next = (int)(run - proc_table + 1) % NPROC;
        c->proc = run;
        switch_uvm(run);
        run->state = RUNNING;
        swtch(&c->scheduler, run->context);
        switch_kvm();
        c->proc = 0;
    }
    return run;
}

void scheduler(void)
{
    struct cpu *c = mycpu();
    c->proc = 0;
    for (;;) {
        sti();
        acquire(&ptable_lock);
        struct proc *run = run_next(c);
        if (!run && c->id == 0 && live == 0 && sched_go) {
            release(&ptable_lock);
            selftest_finish();
        }
        /* Watchdog: a broken timer, kill or scheduler must end in FAIL lines, not a hang. */
        if (c->id == 0 && sched_go && ticks >= WATCHDOG_TICKS) {
            release(&ptable_lock);
            cprintf("watchdog: %d process(es) still running after %d ticks\n", live, WATCHDOG_TICKS);
            selftest_finish();
        }
        release(&ptable_lock);
        if (!run) sti_hlt();            /* idle until the next interrupt */
    }
}

/* CPU 0 from the shell (stress.c): schedule like scheduler() until every process has exited,
 * then return. No watchdog here: a stress run may last as long as the user wants. */
void proc_run_until_idle(void)
{
    cli();                              /* mycpu() wants interrupts off; the loop turns them on */
    struct cpu *c = mycpu();
    c->proc = 0;
    for (;;) {
        sti();
        acquire(&ptable_lock);
        struct proc *run = run_next(c);
        if (!run && live == 0) {
            release(&ptable_lock);
            return;
        }
        release(&ptable_lock);
        if (!run) sti_hlt();
    }
}

/* xv6's wait() for every child at once: free each exited process's address space and kernel
 * stack and clear its slot (the next proc_create starts from zeroes). The CPU that ran it has
 * switched to the kernel page directory and off its kernel stack before it released
 * ptable_lock (scheduler), so nothing uses them any more. Returns how many were reaped. */
int proc_reap(void)
{
    int n = 0;
    acquire(&ptable_lock);
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &proc_table[i];
        if (p->state != ZOMBIE) continue;
        free_uvm(p->pgdir);
        kfree(p->kstack);
        memset(p, 0, sizeof *p);        /* state UNUSED */
        n++;
    }
    release(&ptable_lock);
    return n;
}

/* Process-table slots in use (any state but UNUSED). */
int proc_slots_used(void)
{
    int n = 0;
    acquire(&ptable_lock);
    for (int i = 0; i < NPROC; i++) n += proc_table[i].state != UNUSED;
    release(&ptable_lock);
    return n;
}

/* Give the CPU back to scheduler(). Caller holds ptable_lock only and changed p->state. */
void sched(void)
{
    struct proc *p = myproc();
    struct cpu *c = mycpu();
    if (!holding(&ptable_lock)) panic("sched: ptable_lock not held");
    if (c->ncli != 1) panic("sched: %d locks held", c->ncli);
    if (p->state == RUNNING) panic("sched: process still RUNNING");
    if (read_eflags() & FL_IF) panic("sched: interruptible");
    int intena = c->intena;
    swtch(&p->context, c->scheduler);
    mycpu()->intena = intena;           /* we may come back on another CPU */
}

void yield(void)
{
    acquire(&ptable_lock);
    myproc()->state = RUNNABLE;
    sched();
    release(&ptable_lock);
}

void proc_sleep_ticks(u32 n)
{
    acquire(&ptable_lock);
    struct proc *p = myproc();
    p->wake_tick = ticks + n;
    p->state = SLEEPING;
    sched();
    release(&ptable_lock);
}

/* Timer tick on CPU 0: advance time, wake the sleepers whose time has come. */
void proc_tick(void)
{
    acquire(&ptable_lock);
    ticks++;
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &proc_table[i];
        if (p->state == SLEEPING && (int)(ticks - p->wake_tick) >= 0) p->state = RUNNABLE;
    }
    release(&ptable_lock);
}

/* The process is done. It stays a ZOMBIE (with its exit code and console) for the report, or until
 * proc_reap frees it (stress rounds). */
void proc_exit(int code)
{
    struct proc *p = myproc();
    acquire(&ptable_lock);
    p->exit_code = code;
    p->state = ZOMBIE;
    live--;
    sched();
    panic("zombie %d ran again", p->pid);
}

int proc_kill(int pid)
{
    acquire(&ptable_lock);
    struct proc *p = proc_by_pid(pid);
    int r = -1;
    if (p && p->state != ZOMBIE) {
        p->killed = 1;
        if (p->state == SLEEPING) p->state = RUNNABLE;
        r = 0;
    }
    release(&ptable_lock);
    return r;
}

/* Append to p's console transcript (printed in pid order at the end, so the output does not
 * depend on how the processes interleaved on the CPUs). */
void proc_console(struct proc *p, const char *s, int n)
{
    for (int i = 0; i < n && p->out_len < CONSOLE_BUF - 1; i++)
        p->out[p->out_len++] = s[i];
}
