/*
 * smp - multiprocessor start-up and the APICs (Multiboot v1, C + GNU as).
 *
 * The BSP enables its local APIC (SVR), checks CPUID.1 (APIC bit, initial
 * APIC ID) and IA32_APIC_BASE, copies the real-mode trampoline below 1 MiB
 * and starts the application processors with INIT-SIPI-SIPI (all-excluding-
 * self shorthand), timing the waits with its LAPIC timer in one-shot mode and
 * HLT. The number of CPUs is probed: every AP checks in. Each AP enables its
 * own LAPIC, increments a shared counter AP_ITERS times under a spinlock
 * (XCHG) and a check-in counter with LOCK CMPXCHG, then sends a fixed IPI
 * (vector 0x40 + its APIC ID) to the BSP and halts. The BSP waits (HLT) for all IPIs,
 * checks the counter, counts 5 periodic LAPIC timer interrupts, routes ISA
 * IRQ0 (the PIT, 100 Hz) through I/O APIC pin 2 to vector 0x30 and counts 3,
 * prints PASS/FAIL lines on COM1 and exits 0 through port 0xf4 when all pass.
 * QEMU: qemu-system-i386 -smp 2 -kernel build/guests/smp.elf -serial stdio
 *   -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
 */
#include "guest.h"

#define LAPIC_BASE   0xfee00000u
#define IOAPIC_BASE  0xfec00000u
#define LAPIC_ID     0x020
#define LAPIC_VER    0x030
#define LAPIC_TPR    0x080
#define LAPIC_EOI    0x0b0
#define LAPIC_SVR    0x0f0
#define LAPIC_ESR    0x280
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0

#define VEC_TIMER   0x20
#define VEC_ONESHOT 0x21
#define VEC_PIT     0x30
#define VEC_IPI     0x40
#define VEC_SPURIOUS 0xff

#define TRAMPOLINE_BASE 0x8000u
#define AP_ITERS 2000
#define MAX_CPUS 8

extern char trampoline_start[], trampoline_end[];
extern void isr_lapic_timer(void), isr_oneshot(void), isr_ipi(void), isr_ioapic_pit(void), isr_spurious(void);

volatile uint32_t lapic_ticks, oneshot_fired, ipi_count, pit_ticks;
volatile uint32_t spin, counter, checked_in, ap_ids_seen;

static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }
static void ioapic_write(uint32_t index, uint32_t v)
{
    *(volatile uint32_t *)(IOAPIC_BASE + 0x00) = index;
    *(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}
static uint32_t ioapic_read(uint32_t index)
{
    *(volatile uint32_t *)(IOAPIC_BASE + 0x00) = index;
    return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

/* ---- IDT ---- */
struct gate { uint16_t off_lo, sel; uint8_t zero, type; uint16_t off_hi; } __attribute__((packed));
static struct gate idt[256];
static struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idt_desc;
static void set_gate(int v, void (*h)(void))
{
    uint32_t a = (uint32_t)h;
    idt[v].off_lo = a & 0xffff; idt[v].sel = 0x08; idt[v].zero = 0; idt[v].type = 0x8e; idt[v].off_hi = a >> 16;
}
static void load_idt(void) { __asm__ volatile("lidt %0" : : "m"(idt_desc)); }

/* ---- locks: XCHG spinlock, CMPXCHG counter ---- */
static void spin_lock(volatile uint32_t *l)
{
    while (__sync_lock_test_and_set(l, 1))
        while (*l)
            __asm__ volatile("pause");
}
static void spin_unlock(volatile uint32_t *l) { __sync_lock_release(l); }
static void cmpxchg_inc(volatile uint32_t *p)
{
    uint32_t old;
    do old = *p; while (__sync_val_compare_and_swap(p, old, old + 1) != old);
}

/* Wait `us` microseconds: LAPIC timer one-shot (divide by 1; the timer runs at the bus clock). */
static uint32_t bus_ticks_per_us;
static void delay_us(uint32_t us)
{
    oneshot_fired = 0;
    lapic_write(LAPIC_TIMER_DIV, 0xb);               /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, VEC_ONESHOT);       /* one-shot, unmasked */
    lapic_write(LAPIC_TIMER_INIT, us * bus_ticks_per_us);
    while (!oneshot_fired)
        __asm__ volatile("sti; hlt; cli");
}

/* Calibrate the LAPIC timer against the PIT (counter 2 gate, 1 ms), as OSes do. */
static void calibrate(void)
{
    const uint32_t start = 0xffffffffu;
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);  /* gate on, speaker off */
    outb(0x43, 0xb0);                        /* counter 2, lobyte/hibyte, mode 0 */
    outb(0x42, 1193 & 0xff); outb(0x42, 1193 >> 8); /* 1 ms */
    lapic_write(LAPIC_TIMER_DIV, 0xb);
    lapic_write(LAPIC_LVT_TIMER, 0x10000 | VEC_ONESHOT); /* masked */
    lapic_write(LAPIC_TIMER_INIT, start);
    while (!(inb(0x61) & 0x20))
        ;
    uint32_t elapsed = start - lapic_read(LAPIC_TIMER_CUR);
    lapic_write(LAPIC_TIMER_INIT, 0);
    bus_ticks_per_us = elapsed / 1000;
    if (bus_ticks_per_us == 0) bus_ticks_per_us = 1;
}

static int failures;
static void check(int ok, const char *what)
{
    kprintf("%s: %s\n", ok ? "PASS" : "FAIL", what);
    if (!ok) failures++;
}

/* ---- application processors ---- */
void ap_main(void)
{
    load_idt();
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);   /* software enable */
    uint32_t id = lapic_read(LAPIC_ID) >> 24;
    __sync_fetch_and_or(&ap_ids_seen, 1u << id);    /* LOCK OR */
    cmpxchg_inc(&checked_in);                       /* LOCK CMPXCHG */
    for (int k = 0; k < AP_ITERS; k++) {
        spin_lock(&spin);
        counter = counter + 1;
        spin_unlock(&spin);
    }
    lapic_write(LAPIC_ICR_HI, 0u << 24);            /* the BSP: APIC ID 0, physical */
    lapic_write(LAPIC_ICR_LO, VEC_IPI + id);        /* fixed, edge, no shorthand; one vector per AP so none coalesce in IRR */
}

/* ---- the bootstrap processor ---- */
__attribute__((noreturn)) void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)mbi;
    serial_init();
    kprintf("smp: multiboot %s\n", magic == MULTIBOOT_BOOTLOADER_MAGIC ? "ok" : "BAD");

    for (int v = 0; v < 256; v++) set_gate(v, isr_spurious);
    set_gate(VEC_TIMER, isr_lapic_timer);
    set_gate(VEC_ONESHOT, isr_oneshot);
    set_gate(VEC_PIT, isr_ioapic_pit);
    for (int k = 1; k < MAX_CPUS; k++) set_gate(VEC_IPI + k, isr_ipi);
    idt_desc.limit = sizeof idt - 1;
    idt_desc.base = (uint32_t)idt;
    load_idt();

    /* The 8259A pair: remap to 0x50/0x58 and mask everything (interrupts come through the APICs). */
    outb(0x20, 0x11); outb(0x21, 0x50); outb(0x21, 0x04); outb(0x21, 0x01);
    outb(0xa0, 0x11); outb(0xa1, 0x58); outb(0xa1, 0x02); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);

    struct cpuid_regs c = cpuid(1, 0);
    check((c.edx >> 9) & 1, "CPUID.1:EDX.APIC");
    check((c.ebx >> 24) == 0, "BSP initial APIC ID 0");
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1b));
    check((lo & 0xfffff000u) == LAPIC_BASE && (lo & 0x900) == 0x900, "IA32_APIC_BASE: 0xfee00000, BSP, enabled");

    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_TPR, 0);
    check((lapic_read(LAPIC_ID) >> 24) == 0 && (lapic_read(LAPIC_VER) & 0xff) >= 0x10, "local APIC ID 0, integrated xAPIC");
    check(((ioapic_read(1) >> 16) & 0xff) == 23, "I/O APIC: 24 redirection entries");

    calibrate();

    /* INIT-SIPI-SIPI to all excluding self (SDM Vol. 3A 8.4.4.1). */
    const uint32_t size = (uint32_t)(trampoline_end - trampoline_start);
    memcpy((void *)TRAMPOLINE_BASE, trampoline_start, size);
    lapic_write(LAPIC_ESR, 0);
    lapic_write(LAPIC_ICR_HI, 0);
    lapic_write(LAPIC_ICR_LO, 0x000c4500);          /* INIT, assert, all excluding self */
    delay_us(10000);
    for (int k = 0; k < 2; k++) {
        lapic_write(LAPIC_ICR_LO, 0x000c4600 | (TRAMPOLINE_BASE >> 12)); /* SIPI */
        delay_us(200);
    }
    delay_us(10000);
    uint32_t aps = checked_in;
    uint32_t cpus = aps + 1;
    kprintf("smp: %u CPUs\n", cpus);
    check(cpus >= 1 && cpus <= MAX_CPUS && ap_ids_seen == ((1u << cpus) - 2), "APs checked in with APIC IDs 1..N-1");

    /* Wait for every AP's IPI; each AP incremented the counter AP_ITERS times under the lock. */
    while (ipi_count < aps)
        __asm__ volatile("sti; hlt; cli");
    check(ipi_count == aps, "one fixed IPI from each AP");
    check(counter == aps * AP_ITERS, "shared counter under the spinlock");
    kprintf("smp: counter %u\n", counter);

    /* LAPIC timer, periodic: 1 ms period, divide by 16. */
    lapic_write(LAPIC_TIMER_DIV, 0x3);
    lapic_write(LAPIC_LVT_TIMER, 0x20000 | VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 1000 * bus_ticks_per_us / 16);
    while (lapic_ticks < 5)
        __asm__ volatile("sti; hlt; cli");
    lapic_write(LAPIC_LVT_TIMER, 0x10000 | VEC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0);
    check(lapic_ticks >= 5, "5 periodic LAPIC timer interrupts");

    /* PIT IRQ0 -> I/O APIC pin 2 (the ISA override) -> vector 0x30 on APIC 0, edge, active high. */
    ioapic_write(0x10 + 2 * 2 + 1, 0u << 24);
    ioapic_write(0x10 + 2 * 2, VEC_PIT);
    outb(0x43, 0x34); outb(0x40, 11932 & 0xff); outb(0x40, 11932 >> 8); /* 100 Hz, mode 2 */
    while (pit_ticks < 3)
        __asm__ volatile("sti; hlt; cli");
    ioapic_write(0x10 + 2 * 2, 0x10000 | VEC_PIT);
    check(pit_ticks >= 3, "PIT IRQ0 through I/O APIC pin 2");

    kprintf("smp: %s\n", failures ? "FAIL" : "PASS");
    guest_exit(failures ? 1 : 0);
}
