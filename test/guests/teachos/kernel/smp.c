/*
 * smp.c - bringing up the application processors, and the shared-counter exercise.
 *
 * The BSP starts the APs one at a time, in MP-table order, so CPU numbering is the same on
 * every boot: copy the trampoline below 1 MiB, leave it a stack, the entry point and the
 * kernel page directory, send INIT-SIPI-SIPI, wait for the AP to say it started. Each CPU
 * (BSP included) then increments one shared counter COUNTER_ROUNDS times under a spinlock,
 * with a deliberate gap between the load and the store: without the lock, updates would be
 * lost as soon as two CPUs overlap.
 */
#include "kernel.h"
#include "x86.h"
#include "memlayout.h"

#define COUNTER_ROUNDS 1000

extern char tramp_start[], tramp_end[], tramp_stack[], tramp_entry[], tramp_pgdir[];
volatile u32 shared_counter, cpus_counted, sched_go;
static struct spinlock counter_lock = { 0, "counter", -1 };

#define TRAMP_SLOT(sym) ((volatile u32 *)(TRAMPOLINE_PA + (u32)((sym) - tramp_start)))

void counter_work(void)
{
    for (int i = 0; i < COUNTER_ROUNDS; i++) {
        acquire(&counter_lock);
        u32 v = shared_counter;
        for (volatile int d = 0; d < 3; d++)
            ;
        shared_counter = v + 1;
        release(&counter_lock);
    }
    acquire(&counter_lock);
    cpus_counted++;
    release(&counter_lock);
}

u32 counter_expected(void) { return (u32)ncpu * COUNTER_ROUNDS; }

void smp_start_aps(void)
{
    memcpy((void *)TRAMPOLINE_PA, tramp_start, (u32)(tramp_end - tramp_start));
    for (int i = 1; i < ncpu; i++) {
        struct cpu *c = &cpus[i];
        char *stack = kalloc();
        if (!stack) panic("smp: out of memory");
        *TRAMP_SLOT(tramp_stack) = (u32)stack + PGSIZE;
        *TRAMP_SLOT(tramp_entry) = (u32)ap_main;
        *TRAMP_SLOT(tramp_pgdir) = (u32)kpgdir;
        lapic_start_ap(c->apic_id, TRAMPOLINE_PA);
        u32 deadline = ticks + 100;     /* 1 s */
        while (!c->started && (int)(ticks - deadline) < 0)
            sti_hlt();
    }
}

/* An AP's first C code (from the trampoline): paging is on with the kernel page directory. */
void ap_main(void)
{
    lapic_init();                       /* first, so mycpu() can find this CPU by APIC ID */
    seg_init();
    idt_load();
    struct cpu *c = mycpu();
    __atomic_store_n(&c->started, 1, __ATOMIC_SEQ_CST);
    sti();
    counter_work();
    while (!sched_go)
        sti_hlt();
    cli();
    scheduler();
}
