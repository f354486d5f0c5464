/*
 * lapic.c - the local APIC (SDM Vol. 3A ch. 10): per-CPU timer, EOI, and the inter-processor
 * interrupts that start the other CPUs. Registers are 32-bit MMIO at 0xfee00000, 16 bytes
 * apart (Table 10-1).
 */
#include "kernel.h"
#include "x86.h"

#define ID      0x020
#define VER     0x030
#define TPR     0x080
#define EOI     0x0b0
#define SVR     0x0f0                   /* spurious-interrupt vector register */
#define  SVR_ENABLE 0x100
#define ESR     0x280
#define ICRLO   0x300
#define  ICR_INIT    0x00000500
#define  ICR_STARTUP 0x00000600
#define  ICR_DELIVS  0x00001000         /* delivery status: send pending */
#define  ICR_ASSERT  0x00004000
#define ICRHI   0x310
#define TIMER   0x320                   /* LVT timer */
#define  LVT_PERIODIC 0x00020000
#define  LVT_MASKED   0x00010000
#define LINT0   0x350
#define LINT1   0x360
#define ERROR   0x370
#define TICR    0x380                   /* timer initial count */
#define TCCR    0x390                   /* timer current count */
#define TDCR    0x3e0                   /* timer divide configuration */
#define  TDCR_DIV1 0x0b

#define PIT_HZ          1193182
#define CALIB_MS        2
#define TIMER_HZ        100

volatile u32 *lapic;
u32 lapic_pa = 0xfee00000;
u32 lapic_timer_count;                  /* initial count for one tick (1/TIMER_HZ s) */

static u32 lapic_read(u32 reg) { return lapic[reg / 4]; }
static void lapic_write(u32 reg, u32 v) { lapic[reg / 4] = v; }

int lapic_id(void) { return lapic ? (int)(lapic_read(ID) >> 24) : 0; }
u32 lapic_version(void) { return lapic_read(VER); }
void lapic_eoi(void) { lapic_write(EOI, 0); }

/*
 * How fast does the APIC timer count? Let the PIT's channel 2 (1.193182 MHz) run down
 * CALIB_MS milliseconds in mode 0 (OUT2 rises at terminal count, seen in port 0x61 bit 5)
 * and see how far the APIC timer counted meanwhile. Under QEMU that is wall-clock time,
 * under the vmm-debug VMM virtual time (instruction count): either way ticks are 10 ms of
 * the machine's own time. BSP only, paging on, interrupts off.
 */
void lapic_calibrate(void)
{
    u32 pit_count = PIT_HZ * CALIB_MS / 1000;
    lapic_write(TDCR, TDCR_DIV1);
    lapic_write(TIMER, LVT_MASKED | T_TIMER);
    outb(0x61, (u8)((inb(0x61) & ~0x02) | 0x01));   /* gate 2 on, speaker off */
    outb(0x43, 0xb0);                   /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(0x42, pit_count & 0xff);
    outb(0x42, (u8)(pit_count >> 8));
    lapic_write(TICR, 0xffffffff);
    /* Poll OUT2 now and then, not back to back: each IN is a VM exit under a VMM. */
    for (u32 spins = 0; !(inb(0x61) & 0x20) && spins < 1000000; spins++)
        for (int k = 0; k < 32; k++)
            pause();
    u32 elapsed = 0xffffffff - lapic_read(TCCR);
    lapic_write(TICR, 0);
    lapic_timer_count = elapsed * (1000 / CALIB_MS) / TIMER_HZ;
    if (lapic_timer_count < 1000) lapic_timer_count = 1000000;  /* no usable PIT: a fixed count */
}

/* Per-CPU set-up: enable the APIC, a periodic timer on T_TIMER, mask LINT0/1. */
void lapic_init(void)
{
    lapic = (volatile u32 *)lapic_pa;
    lapic_write(SVR, SVR_ENABLE | T_SPURIOUS);
    lapic_write(LINT0, LVT_MASKED);
    lapic_write(LINT1, LVT_MASKED);
    lapic_write(ERROR, T_LAPIC_ERR);
    lapic_write(ESR, 0);                /* back-to-back writes clear the error status */
    lapic_write(ESR, 0);
    lapic_write(EOI, 0);                /* acknowledge anything outstanding */
    lapic_write(TPR, 0);                /* accept every priority class */
    if (!lapic_timer_count) lapic_calibrate();
    lapic_write(TDCR, TDCR_DIV1);
    lapic_write(TIMER, LVT_PERIODIC | T_TIMER);
    lapic_write(TICR, lapic_timer_count);
}

static void wait_icr_idle(void)
{
    for (int i = 0; i < 1000000 && (lapic_read(ICRLO) & ICR_DELIVS); i++)
        pause();
}

static void short_delay(void)
{
    for (volatile int i = 0; i < 2000; i++)
        ;
}

/* Wait at least n timer ticks (BSP, interrupts may be off on entry: they are on after). */
static void wait_ticks(u32 n)
{
    u32 until = ticks + n + 1;
    while ((int)(ticks - until) < 0)
        sti_hlt();
}

/*
 * INIT-SIPI-SIPI (SDM Vol. 3A 8.4.4.1, "Typical BSP Initialization Sequence"): an INIT IPI,
 * 10 ms, then two STARTUP IPIs whose vector is the trampoline's page number; the AP starts
 * in real mode at vector << 12.
 */
void lapic_start_ap(u8 apic_id, u32 addr)
{
    lapic_write(ICRHI, (u32)apic_id << 24);
    lapic_write(ICRLO, ICR_INIT | ICR_ASSERT);
    wait_icr_idle();
    wait_ticks(1);                      /* >= 10 ms */
    for (int i = 0; i < 2; i++) {
        lapic_write(ICRHI, (u32)apic_id << 24);
        lapic_write(ICRLO, ICR_STARTUP | ICR_ASSERT | (addr >> 12));
        wait_icr_idle();
        short_delay();                  /* >= 200 us */
    }
}
