/*
 * selftest.c - PASS/FAIL bookkeeping and the end of the run: when every process has exited,
 * CPU 0 prints the process transcripts in pid order, checks what the processes did, prints
 * "teachos: N passed, M failed" and ends the VM through isa-debug-exit (0 = all passed).
 */
#include "kernel.h"
#include "syscall.h"
#include "memlayout.h"

static int passed, failed;
static const char *names[32];           /* every check, for the shell's "selftest" */
static u8 results[32];

void check(const char *name, int ok)
{
    cprintf("%s %s\n", ok ? "PASS" : "FAIL", name);
    if (passed + failed < 32) { names[passed + failed] = name; results[passed + failed] = (u8)ok; }
    if (ok) passed++;
    else failed++;
}

void selftest_report(void)
{
    for (int i = 0; i < passed + failed && i < 32; i++) cprintf("%s %s\n", results[i] ? "PASS" : "FAIL", names[i]);
    cprintf("teachos: %d passed, %d failed\n", passed, failed);
}

/* User exit-code bits (user/ulib.h) */
#define BAD_RING    1
#define BAD_PID     2
#define BAD_SLEEP   4
#define BAD_FRESH   8
#define BAD_ISOL    16
#define BAD_RESULT  32

static struct proc *pp(int pid)
{
    struct proc *p = proc_by_pid(pid);
    return p && p->state == ZOMBIE ? p : 0;
}

const char *const workload_check_names[WORKLOAD_CHECKS] = {
    "user_mode_syscalls", "user_sleep", "process_isolation", "timer_preemption", "user_page_fault",
};

/* What the six processes (workload_spawn) did, once all have exited and before they are reaped:
 * one verdict per name above. The self-test prints them as checks; every stress round (stress.c)
 * judges its processes with the same function. */
void workload_checks(int ok[WORKLOAD_CHECKS])
{
    struct proc *w[3] = { pp(PID_ALPHA), pp(PID_BETA), pp(PID_GAMMA) };
    int syscall_ok = 1, sleep_ok = 1, isol_ok = 1;
    for (int i = 0; i < 3; i++) {
        if (!w[i] || w[i]->killed || w[i]->out_len == 0) { syscall_ok = sleep_ok = isol_ok = 0; continue; }
        int code = w[i]->exit_code;
        if (code & (BAD_RING | BAD_PID | BAD_RESULT)) syscall_ok = 0;
        if (code & BAD_SLEEP) sleep_ok = 0;
        if (code & (BAD_FRESH | BAD_ISOL)) isol_ok = 0;
        for (int j = 0; j < i; j++)
            if (w[j] && w[j]->data_pa == w[i]->data_pa) isol_ok = 0;
    }
    ok[0] = syscall_ok;
    ok[1] = sleep_ok;
    ok[2] = isol_ok;

    struct proc *spin = pp(PID_SPINNER), *watch = pp(PID_WATCHER);
    ok[3] = spin && watch && spin->killed && !spin->faulted && spin->preempted > 0 && watch->exit_code == 0;

    struct proc *f = pp(PID_FAULTER);
    ok[4] = f && f->faulted == 14 + 1 && f->fault_addr == KERNEL_PHYS && f->fault_err == (PF_P | PF_U) && f->exit_code == -1;
}

void selftest_finish(void)
{
    cprintf("processes: all finished; their consoles, in pid order:\n");
    for (int pid = 1; pid <= PID_FAULTER; pid++) {
        struct proc *p = proc_by_pid(pid);
        if (!p) continue;
        p->out[p->out_len] = 0;
        if (p->state == ZOMBIE) cprintf("--- pid %d (%s), exit %d\n", p->pid, p->name, p->exit_code);
        else cprintf("--- pid %d (%s), still running\n", p->pid, p->name);
        cprintf("%s", p->out);
    }
    cprintf("---\n");

    int ok[WORKLOAD_CHECKS];
    workload_checks(ok);
    for (int i = 0; i < WORKLOAD_CHECKS; i++) check(workload_check_names[i], ok[i]);

    /* Every CPU's own local APIC timer has been interrupting it (APs idle in hlt between). */
    int timers_ok = 1;
    for (int i = 0; i < ncpu; i++)
        if (!cpus[i].started || cpus[i].timer_irqs == 0) timers_ok = 0;
    check("smp_every_cpu_timer", timers_ok);

    cprintf("teachos: %d passed, %d failed\n", passed, failed);
    shell_or_exit(failed ? 1 : 0);
}
