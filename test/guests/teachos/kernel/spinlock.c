/*
 * spinlock.c - xchg-based spinlocks. Interrupts stay off on this CPU while it holds any
 * lock (push_cli/pop_cli nest), so an interrupt handler that takes the same lock cannot
 * deadlock against the code it interrupted.
 */
#include "kernel.h"
#include "x86.h"

void initlock(struct spinlock *lk, const char *name)
{
    lk->locked = 0;
    lk->name = name;
    lk->cpu = -1;
}

int holding(struct spinlock *lk)
{
    push_cli();
    int r = lk->locked && lk->cpu == cpuid();
    pop_cli();
    return r;
}

void acquire(struct spinlock *lk)
{
    push_cli();
    if (lk->locked && lk->cpu == cpuid()) panic("acquire: %s already held by this cpu", lk->name);
    while (xchg(&lk->locked, 1) != 0)
        pause();
    __sync_synchronize();               /* no load/store moves above the acquire */
    lk->cpu = cpuid();
}

void release(struct spinlock *lk)
{
    if (!(lk->locked && lk->cpu == cpuid())) panic("release: %s not held", lk->name);
    lk->cpu = -1;
    __sync_synchronize();               /* the critical section's stores are visible first */
    __asm__ volatile("movl $0, %0" : "+m"(lk->locked));
    pop_cli();
}

void push_cli(void)
{
    u32 ef = read_eflags();
    cli();
    struct cpu *c = mycpu();
    if (c->ncli == 0) c->intena = (ef & FL_IF) != 0;
    c->ncli++;
}

void pop_cli(void)
{
    if (read_eflags() & FL_IF) panic("pop_cli: interrupts enabled");
    struct cpu *c = mycpu();
    if (--c->ncli < 0) panic("pop_cli: unbalanced");
    if (c->ncli == 0 && c->intena) sti();
}
