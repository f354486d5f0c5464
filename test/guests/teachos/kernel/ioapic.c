/*
 * ioapic.c - the I/O APIC (Intel 82093AA datasheet): routes device interrupts (here: IDE,
 * IRQ 14) to a local APIC. Two registers in MMIO: IOREGSEL (+0x00) selects, IOWIN (+0x10)
 * reads/writes. Redirection entry n is registers 0x10 + 2n (low) and 0x11 + 2n (high).
 */
#include "kernel.h"

#define REG_ID      0x00
#define REG_VER     0x01
#define REG_TABLE   0x10
#define RED_MASKED  0x00010000

u32 ioapic_pa = 0xfec00000;

static u32 ioapic_read(u32 reg)
{
    volatile u32 *io = (volatile u32 *)ioapic_pa;
    io[0] = reg;
    return io[4];
}

static void ioapic_write(u32 reg, u32 v)
{
    volatile u32 *io = (volatile u32 *)ioapic_pa;
    io[0] = reg;
    io[4] = v;
}

u32 ioapic_version(void) { return ioapic_read(REG_VER); }

/* Mask every input: nothing reaches a CPU until a driver asks for its line. */
void ioapic_init(void)
{
    int max = (ioapic_read(REG_VER) >> 16) & 0xff;
    for (int i = 0; i <= max; i++) {
        ioapic_write(REG_TABLE + 2 * i, RED_MASKED | (u32)(T_IRQ0 + i));
        ioapic_write(REG_TABLE + 2 * i + 1, 0);
    }
}

/* Input gsi -> vector on the CPU with this APIC ID: fixed delivery, physical destination,
 * edge-triggered, active high (ISA defaults, MP spec 1.4 Table 4-10). */
void ioapic_enable(int gsi, int vector, u8 apic_id)
{
    ioapic_write(REG_TABLE + 2 * gsi, (u32)vector);
    ioapic_write(REG_TABLE + 2 * gsi + 1, (u32)apic_id << 24);
}
