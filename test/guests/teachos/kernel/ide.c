/*
 * ide.c - IDE/ATA PIO driver for the primary master (ports 0x1f0-0x1f7, control 0x3f6),
 * 28-bit LBA, one sector per request (ATA-6: READ SECTORS 0x20, WRITE SECTORS 0x30).
 *
 * The driver sleeps until IRQ 14 instead of polling: for a read the drive interrupts when
 * the sector is in its buffer, for a write when the sector is on the medium. The CPU waits
 * with "sti; hlt" (cheap under a VMM: a halted vCPU costs nothing). Requests come from one
 * kernel thread at a time (the self-test on the BSP), so no request queue is needed.
 */
#include "kernel.h"
#include "x86.h"

#define IDE_DATA    0x1f0
#define IDE_COUNT   0x1f2
#define IDE_LBA0    0x1f3
#define IDE_LBA1    0x1f4
#define IDE_LBA2    0x1f5
#define IDE_DRIVE   0x1f6                /* bits 7,5 set, bit 6 LBA, bit 4 drive, 3:0 LBA 27:24 */
#define IDE_CMD     0x1f7                /* write: command, read: status */
#define IDE_CTRL    0x3f6                /* device control: bit 1 nIEN (1 = no interrupts) */

#define ST_BSY  0x80
#define ST_DRDY 0x40
#define ST_DF   0x20
#define ST_DRQ  0x08
#define ST_ERR  0x01

#define CMD_READ  0x20
#define CMD_WRITE 0x30

volatile u32 ide_irqs;
static volatile int ide_done;

static int ide_wait(int want_drq)
{
    u8 st = 0;
    for (u32 i = 0; i < 10000000; i++) {
        st = inb(IDE_CMD);
        if (st & ST_BSY) continue;
        if (st & (ST_ERR | ST_DF)) return -1;
        if (!want_drq || (st & ST_DRQ)) return (st & ST_DRDY) ? 0 : -1;
    }
    return -1;
}

/* Is there a drive? Then route IRQ 14 through the I/O APIC to the BSP. */
int ide_init(void)
{
    outb(IDE_DRIVE, 0xe0);              /* master, LBA */
    if (inb(IDE_CMD) == 0xff) return -1; /* floating bus: no controller */
    if (ide_wait(0) < 0) return -1;
    ioapic_enable(ioapic_irq14_gsi, T_IRQ0 + IRQ_IDE, cpus[0].apic_id);
    return 0;
}

/* Called from trap() on vector T_IRQ0 + 14. Reading the status register acknowledges the
 * drive's interrupt (ATA-6 5.2.13: INTRQ is cleared by a status read). */
void ide_intr(void)
{
    (void)inb(IDE_CMD);
    ide_irqs++;
    ide_done = 1;
}

static void wait_irq(void)
{
    cli();
    while (!ide_done)
        sti_hlt();                      /* sti; hlt: the IRQ cannot slip in between */
    sti();
}

/* Read or write one 512-byte sector. Returns 0 or -1. */
int ide_rw(u32 lba, void *buf, int write)
{
    if (ide_wait(0) < 0) return -1;
    ide_done = 0;
    outb(IDE_CTRL, 0);                  /* nIEN = 0: interrupts on */
    outb(IDE_COUNT, 1);
    outb(IDE_LBA0, lba & 0xff);
    outb(IDE_LBA1, (lba >> 8) & 0xff);
    outb(IDE_LBA2, (lba >> 16) & 0xff);
    outb(IDE_DRIVE, (u8)(0xe0 | ((lba >> 24) & 0x0f)));
    if (write) {
        outb(IDE_CMD, CMD_WRITE);
        if (ide_wait(1) < 0) return -1; /* drive asks for the data (DRQ) */
        outsl(IDE_DATA, buf, 512 / 4);
        wait_irq();                     /* interrupt: sector written */
        return ide_wait(0);
    }
    outb(IDE_CMD, CMD_READ);
    wait_irq();                         /* interrupt: sector ready in the drive's buffer */
    if (ide_wait(1) < 0) return -1;
    insl(IDE_DATA, buf, 512 / 4);
    return 0;
}
