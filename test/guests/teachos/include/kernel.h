/*
 * kernel.h - the kernel's shared declarations: CPUs, spinlocks, processes, traps, and the
 * functions each kernel/ file provides (one job per file).
 */
#ifndef TEACHOS_KERNEL_H
#define TEACHOS_KERNEL_H
#include <stdarg.h>
#include "types.h"
#include "mmu.h"
#include "bootinfo.h"

#define NCPU        8
#define NPROC       16
#define KSTACK_SIZE PGSIZE
#define CONSOLE_BUF 768                 /* per-process console transcript */

/* Interrupt vectors (IDT indexes). 0-31 are the CPU's exceptions (SDM Vol. 3A 6.3.1). */
#define T_PGFLT     14
#define T_IRQ0      32                  /* ISA IRQ n arrives on vector T_IRQ0 + n */
#define T_TIMER     (T_IRQ0 + 0)        /* the local APIC timer uses IRQ0's vector */
#define IRQ_COM1    4
#define IRQ_IDE     14
#define T_LAPIC_ERR (T_IRQ0 + 19)
#define T_SPURIOUS  0xff

/* The registers alltraps (kernel/trapasm.s) pushes, then what the CPU pushed. */
struct trapframe {
    u32 edi, esi, ebp, oesp, ebx, edx, ecx, eax; /* pushal */
    u16 gs, pad1, fs, pad2, es, pad3, ds, pad4;
    u32 trapno;
    u32 err;                            /* error code, or 0 pushed by the vector stub */
    u32 eip;                            /* pushed by the CPU (SDM Vol. 3A 6.12.1, Figure 6-4) */
    u16 cs, pad5;
    u32 eflags;
    u32 esp;                            /* only on a privilege change (ring 3 -> 0) */
    u16 ss, pad6;
};

/* Callee-saved registers swtch() keeps on a kernel stack; eip is swtch's return address. */
struct context {
    u32 edi, esi, ebx, ebp, eip;
};

struct spinlock {
    volatile u32 locked;
    const char *name;
    int cpu;                            /* holder's cpu index, -1 when free (for panics) */
};

struct cpu {
    int id;                             /* index into cpus[] (0 = the BSP) */
    u8 apic_id;
    volatile int started;
    struct context *scheduler;          /* swtch() here to enter this CPU's scheduler loop */
    struct tss tss;
    int ncli;                           /* depth of push_cli nesting */
    int intena;                         /* were interrupts on before the first push_cli? */
    struct proc *proc;                  /* running process, or 0 */
    u32 timer_irqs;
};

enum procstate { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
    int pid;
    enum procstate state;
    const char *name;
    pde_t *pgdir;                       /* this process's page directory (physical = virtual) */
    char *kstack;                       /* bottom of its kernel stack page */
    struct trapframe *tf;               /* user registers, on the kernel stack */
    struct context *context;
    u32 wake_tick;                      /* SLEEPING until ticks >= wake_tick */
    int killed;
    int exit_code;
    u32 preempted;                      /* times the timer interrupt took the CPU away */
    u32 fault_addr, fault_err, fault_eip;
    int faulted;                        /* killed by a user-mode exception (vector + 1) */
    u32 data_pa;                        /* physical page behind USER_DATA (isolation check) */
    int out_len;
    char out[CONSOLE_BUF];
};

/* ---- globals ---- */
extern struct cpu cpus[NCPU];
extern int ncpu;
extern volatile u32 ticks;
extern pde_t *kpgdir;
extern u32 lapic_pa, ioapic_pa;
extern int ioapic_irq14_gsi;
extern int mp_found;                    /* 1: MP table, 2: ACPI MADT, 0: none (one CPU) */
extern u32 lapic_timer_count;
extern struct bootinfo boot_info;

/* console.c */
void console_init(void);
void cprintf(const char *fmt, ...);
int vsnprintf_k(char *buf, int size, const char *fmt, va_list ap);
int snprintf_k(char *buf, int size, const char *fmt, ...);
void panic(const char *fmt, ...) __attribute__((noreturn));
void vm_exit(u32 code) __attribute__((noreturn));

/* string.c */
void *memset(void *d, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);
int memcmp(const void *a, const void *b, u32 n);
u32 strlen(const char *s);

/* spinlock.c */
void initlock(struct spinlock *lk, const char *name);
void acquire(struct spinlock *lk);
void release(struct spinlock *lk);
int holding(struct spinlock *lk);
void push_cli(void);
void pop_cli(void);

/* kalloc.c */
void kinit(u32 start, u32 end);
void *kalloc(void);
void kfree(void *p);
u32 kfree_pages(void);

/* vm.c */
void kvm_init(void);
void paging_enable(void);
void switch_kvm(void);
void switch_uvm(struct proc *p);
pte_t *walk_pgdir(pde_t *pgdir, u32 va, int alloc);
int map_page(pde_t *pgdir, u32 va, u32 pa, u32 perm);
pde_t *setup_uvm(u32 *data_pa);
int user_range_ok(pde_t *pgdir, u32 va, u32 len);
void free_uvm(pde_t *pgdir);

/* seg.c */
void seg_init(void);

/* trap.c */
void idt_init(void);
void idt_load(void);
void trap(struct trapframe *tf);

/* lapic.c */
void lapic_init(void);
void lapic_calibrate(void);
int lapic_id(void);
void lapic_eoi(void);
void lapic_start_ap(u8 apic_id, u32 addr);
u32 lapic_version(void);
extern volatile u32 *lapic;

/* ioapic.c */
void ioapic_init(void);
void ioapic_enable(int gsi, int vector, u8 apic_id);
u32 ioapic_version(void);

/* pic.c */
void pic_disable(void);

/* mp.c */
void mp_init(void);
struct cpu *mycpu(void);
int cpuid(void);

/* ide.c */
#define SCRATCH_LBA 2048                /* first sector of the image's scratch area (64 sectors) */
int ide_init(void);
int ide_rw(u32 lba, void *buf, int write);
void ide_intr(void);
extern volatile u32 ide_irqs;

/* uart.c */
void uart_init(void);
void uart_putc(char c);

/* proc.c */
void proc_init(void);
struct proc *proc_create(const char *name, void (*entry)(void));
void scheduler(void) __attribute__((noreturn));
void sched(void);
void yield(void);
void proc_exit(int code) __attribute__((noreturn));
int proc_kill(int pid);
struct proc *myproc(void);
struct proc *proc_by_pid(int pid);
void proc_tick(void);
void proc_sleep_ticks(u32 n);
int proc_live(void);
void proc_run_until_idle(void);
int proc_reap(void);
int proc_slots_used(void);
int workload_spawn(void);
void proc_console(struct proc *p, const char *s, int n);
extern struct spinlock ptable_lock;
extern struct proc proc_table[NPROC];

/* syscall.c */
void syscall(struct trapframe *tf);

/* smp.c */
void smp_start_aps(void);
void ap_main(void) __attribute__((noreturn));
void counter_work(void);
extern volatile u32 shared_counter, cpus_counted, sched_go;

/* selftest.c */
void check(const char *name, int ok);
void selftest_finish(void) __attribute__((noreturn));
void selftest_report(void);
#define WORKLOAD_CHECKS 5
extern const char *const workload_check_names[WORKLOAD_CHECKS];
void workload_checks(int ok[WORKLOAD_CHECKS]);

/* stress.c: the self-test's process workload round after round (shell command / cmdline "stress") */
void stress_note_cmdline_word(const char *word);
int stress_cmdline_rounds(void);
int stress_run(u32 rounds);

/* serialin.c (COM1 receive interrupt) and shell.c (the COM1 shell after the self-test) */
void serial_rx_drain(void);
void serial_intr(void);
int serial_rx_pending(void);
void serial_rx_enable(void);
int serial_getc(void);
int serial_rx_take(int c);
void shell_note_cmdline(const char *cmdline);
void shell_or_exit(int status) __attribute__((noreturn));
extern char __kernel_end[];

/* swtch.s */
void swtch(struct context **old, struct context *new);
#endif
