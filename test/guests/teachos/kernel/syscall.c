/*
 * syscall.c - the system calls behind int 0x80. Arguments arrive in the user's registers,
 * saved in the trapframe: EAX = number, EBX/ECX/EDX = arguments; the result goes back in EAX.
 * Pointers from ring 3 are checked against the process's page table before the kernel
 * touches them.
 */
#include "kernel.h"
#include "syscall.h"

static int sys_write(struct proc *p, u32 buf, u32 len)
{
    if (len > 256 || !user_range_ok(p->pgdir, buf, len)) return -1;
    proc_console(p, (const char *)buf, (int)len);
    return (int)len;
}

static int sys_preempted(int pid)
{
    struct proc *q = proc_by_pid(pid);
    return q ? (int)q->preempted : -1;
}

void syscall(struct trapframe *tf)
{
    struct proc *p = myproc();
    int r;
    switch (tf->eax) {
    case SYS_write:     r = sys_write(p, tf->ebx, tf->ecx); break;
    case SYS_getpid:    r = p->pid; break;
    case SYS_yield:     yield(); r = 0; break;
    case SYS_sleep:     proc_sleep_ticks(tf->ebx); r = 0; break;
    case SYS_exit:      proc_exit((int)tf->ebx);
    case SYS_kill:      r = proc_kill((int)tf->ebx); break;
    case SYS_preempted: r = sys_preempted((int)tf->ebx); break;
    case SYS_uptime:    r = (int)ticks; break;
    default:            r = -1; break;
    }
    tf->eax = (u32)r;
}
