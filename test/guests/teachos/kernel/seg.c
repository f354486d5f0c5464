/*
 * seg.c - the GDT: flat kernel and user code/data segments (the protection that matters is
 * the DPL: ring 3 code cannot load a DPL 0 segment) and one TSS per CPU, which tells the CPU
 * which stack to use when an interrupt arrives in ring 3 (SDM Vol. 3A 7.2, 6.12.1).
 */
#include "kernel.h"
#include "x86.h"

static struct segdesc gdt[SEG_TSS0 + NCPU];

static struct segdesc make_seg(u32 base, u32 limit, u8 access, u8 flags)
{
    struct segdesc d;
    d.limit_lo = limit & 0xffff;
    d.base_lo = base & 0xffff;
    d.base_mid = (base >> 16) & 0xff;
    d.access = access;
    d.flags_limit_hi = (u8)((flags << 4) | ((limit >> 16) & 0xf));
    d.base_hi = (base >> 24) & 0xff;
    return d;
}

/* Called on every CPU: builds the shared GDT once (BSP), then loads it and this CPU's TSS. */
void seg_init(void)
{
    struct cpu *c = mycpu();
    if (c->id == 0) {
        /* access: P | DPL | S=1 | type (0xA execute/read, 0x2 read/write); flags: G=1, D=1 */
        gdt[SEG_KCODE] = make_seg(0, 0xfffff, 0x9a, 0xc);
        gdt[SEG_KDATA] = make_seg(0, 0xfffff, 0x92, 0xc);
        gdt[SEG_UCODE] = make_seg(0, 0xfffff, 0xfa, 0xc);
        gdt[SEG_UDATA] = make_seg(0, 0xfffff, 0xf2, 0xc);
    }
    c->tss.ss0 = KDATA_SEL;
    c->tss.iomap_base = sizeof(struct tss);   /* no I/O bitmap: ring 3 in/out -> #GP */
    /* 32-bit available TSS: type 9, S=0, byte granularity (SDM Vol. 3A 7.2.2) */
    gdt[SEG_TSS0 + c->id] = make_seg((u32)&c->tss, sizeof(struct tss) - 1, 0x89, 0x0);
    lgdt(gdt, sizeof gdt);
    __asm__ volatile(
        "ljmp %0, $1f\n1:\n"
        "movw %w1, %%ds\n movw %w1, %%es\n movw %w1, %%ss\n"
        "movw %w2, %%fs\n movw %w2, %%gs\n"
        : : "i"(KCODE_SEL), "r"(KDATA_SEL), "r"(0) : "memory");
    ltr((u16)((SEG_TSS0 + c->id) << 3));
}
