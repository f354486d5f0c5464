/*
 * mp.c - which processors and I/O APICs does this machine have?
 *
 * Two sources. The Intel MultiProcessor Specification 1.4 tables: a 16-byte floating pointer
 * ("_MP_") in the first KiB of the EBDA, the last KiB of base memory or the BIOS ROM
 * (0xf0000-0xfffff), pointing at a configuration table ("PCMP") of processor, bus, I/O APIC
 * and interrupt-assignment entries (MP spec ch. 4). And the ACPI MADT
 * ("APIC" table, found from the RSDP "RSD PTR "), which says the same; mp_init() asks the
 * MADT first. Runs before paging is on,
 * so any physical address can be read.
 */
#include "kernel.h"
#include "x86.h"

struct cpu cpus[NCPU];
int ncpu;
int mp_found;
int ioapic_irq14_gsi = IRQ_IDE;
static int have_apic_ids;
static u8 cpu_of_apic[256];

struct mp_fp {                          /* floating pointer structure (MP spec 4.1) */
    char sig[4];                        /* "_MP_" */
    u32 config;                         /* physical address of the configuration table */
    u8 length;                          /* in 16-byte units */
    u8 spec_rev, checksum, type;
    u8 imcrp;                           /* bit 7: IMCR present, PIC mode */
    u8 reserved[3];
} __attribute__((packed));

struct mp_conf {                        /* configuration table header (MP spec 4.2) */
    char sig[4];                        /* "PCMP" */
    u16 length;
    u8 version, checksum;
    char product[20];
    u32 oem_table;
    u16 oem_length, entries;
    u32 lapic_addr;
    u16 xlength;
    u8 xchecksum, reserved;
} __attribute__((packed));

struct mp_proc {                        /* entry type 0 (MP spec 4.3.1) */
    u8 type, apic_id, version, flags;   /* flags bit 0: enabled, bit 1: bootstrap processor */
    u32 signature, features;
    u8 reserved[8];
} __attribute__((packed));

struct mp_ioapic {                      /* entry type 2 */
    u8 type, id, version, flags;
    u32 addr;
} __attribute__((packed));

struct mp_iointr {                      /* entry type 3 */
    u8 type, intr_type;
    u16 flags;
    u8 src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));

struct mp_bus {                         /* entry type 1 */
    u8 type, bus_id;
    char name[6];
} __attribute__((packed));

static u8 sum(const void *p, u32 len)
{
    const u8 *b = p;
    u8 s = 0;
    while (len--) s += *b++;
    return s;
}

static struct mp_fp *fp_search(u32 start, u32 len)
{
    for (u32 a = start; a + sizeof(struct mp_fp) <= start + len; a += 16) {
        struct mp_fp *fp = (struct mp_fp *)a;
        if (memcmp(fp->sig, "_MP_", 4) == 0 && sum(fp, sizeof *fp) == 0) return fp;
    }
    return 0;
}

static struct mp_fp *fp_find(void)
{
    struct mp_fp *fp;
    u32 ebda = (u32)*(volatile u16 *)0x40e << 4;   /* BDA word at 0x40e: EBDA segment */
    if (ebda && (fp = fp_search(ebda, 1024))) return fp;
    u32 basemem = (u32)*(volatile u16 *)0x413 * 1024;   /* BDA word at 0x413: base memory KiB */
    if (basemem >= 1024 && (fp = fp_search(basemem - 1024, 1024))) return fp;
    return fp_search(0xf0000, 0x10000);
}

static void add_cpu(u8 apic_id, int bsp)
{
    if (ncpu >= NCPU) return;
    /* Keep the BSP as cpus[0]: it is the one running this code. */
    if (bsp && ncpu > 0) {
        cpus[ncpu] = cpus[0];
        cpus[ncpu].id = ncpu;
        cpu_of_apic[cpus[ncpu].apic_id] = (u8)ncpu;
        cpus[0].apic_id = apic_id;
        cpu_of_apic[apic_id] = 0;
    } else {
        cpus[ncpu].id = ncpu;
        cpus[ncpu].apic_id = apic_id;
        cpu_of_apic[apic_id] = (u8)ncpu;
    }
    ncpu++;
}

static int mp_parse(void)
{
    struct mp_fp *fp = fp_find();
    if (!fp || !fp->config) return 0;
    struct mp_conf *conf = (struct mp_conf *)fp->config;
    if (memcmp(conf->sig, "PCMP", 4) != 0 || sum(conf, conf->length) != 0) return 0;
    lapic_pa = conf->lapic_addr;
    int isa_bus = -1;
    u8 *p = (u8 *)(conf + 1), *end = (u8 *)conf + conf->length;
    while (p < end) {
        switch (*p) {
        case 0: {
            struct mp_proc *pr = (struct mp_proc *)p;
            if (pr->flags & 1) add_cpu(pr->apic_id, pr->flags & 2);
            p += sizeof *pr;
            break;
        }
        case 1: {
            struct mp_bus *b = (struct mp_bus *)p;
            if (memcmp(b->name, "ISA", 3) == 0) isa_bus = b->bus_id;
            p += 8;
            break;
        }
        case 2:
            ioapic_pa = ((struct mp_ioapic *)p)->addr;
            p += 8;
            break;
        case 3: {
            struct mp_iointr *e = (struct mp_iointr *)p;
            if (e->intr_type == 0 && e->src_bus == isa_bus && e->src_irq == IRQ_IDE) ioapic_irq14_gsi = e->dst_pin;
            p += 8;
            break;
        }
        case 4:
            p += 8;
            break;
        default:
            return ncpu > 0;            /* unknown entry: stop, keep what we have */
        }
    }
    /* PIC mode: route interrupts to the APIC through the IMCR (MP spec 3.6.2.1). */
    if (fp->imcrp & 0x80) {
        outb(0x22, 0x70);
        outb(0x23, inb(0x23) | 1);
    }
    return ncpu > 0;
}

/* ---- ACPI MADT (ACPI spec 5.2.12) ---- */
struct acpi_hdr {
    char sig[4];
    u32 length;
    u8 revision, checksum;
    char oem[6], oem_table[8];
    u32 oem_rev, creator, creator_rev;
} __attribute__((packed));

static int madt_parse(void)
{
    u32 rsdp = 0;
    u32 ebda = (u32)*(volatile u16 *)0x40e << 4;
    for (u32 a = ebda; ebda && a < ebda + 1024; a += 16)
        if (memcmp((void *)a, "RSD PTR ", 8) == 0 && sum((void *)a, 20) == 0) { rsdp = a; break; }
    for (u32 a = 0xe0000; !rsdp && a < 0x100000; a += 16)
        if (memcmp((void *)a, "RSD PTR ", 8) == 0 && sum((void *)a, 20) == 0) rsdp = a;
    if (!rsdp) return 0;
    struct acpi_hdr *rsdt = (struct acpi_hdr *)*(u32 *)(rsdp + 16);
    if (memcmp(rsdt->sig, "RSDT", 4) != 0) return 0;
    u32 n = (rsdt->length - sizeof *rsdt) / 4;
    u32 *tables = (u32 *)(rsdt + 1);
    for (u32 i = 0; i < n; i++) {
        struct acpi_hdr *h = (struct acpi_hdr *)tables[i];
        if (memcmp(h->sig, "APIC", 4) != 0) continue;
        lapic_pa = *(u32 *)(h + 1);
        u8 *p = (u8 *)h + sizeof *h + 8, *end = (u8 *)h + h->length;
        int first = 1;
        while (p + 2 <= end && p[1]) {
            if (p[0] == 0 && (*(u32 *)(p + 4) & 1)) {     /* processor local APIC, enabled */
                add_cpu(p[3], first);   /* the BSP is listed first (ACPI 5.2.12.1 advice) */
                first = 0;
            } else if (p[0] == 1) {     /* I/O APIC */
                ioapic_pa = *(u32 *)(p + 4);
            } else if (p[0] == 2 && p[2] == 0 && p[3] == IRQ_IDE) {   /* ISA override for IRQ 14 */
                ioapic_irq14_gsi = (int)*(u32 *)(p + 4);
            }
            p += p[1];
        }
        return ncpu > 0;
    }
    return 0;
}

void mp_init(void)
{
    /* The MADT first: firmware keeps it current (SeaBIOS under QEMU TCG may list only the
     * CPUs that answered its own start-up IPIs in the MP table); the MP table second. */
    if (madt_parse()) mp_found = 2;
    else if (mp_parse()) mp_found = 1;
    if (!ncpu) {                        /* no tables: a uniprocessor PC */
        cpus[0].id = 0;
        cpus[0].apic_id = 0;
        ncpu = 1;
    }
    have_apic_ids = 1;
}

/*
 * This CPU's struct cpu. Call with interrupts off (else the caller could move to another CPU).
 * Once a CPU has loaded its own TSS, the task register says who it is: TR = (SEG_TSS0 + id) << 3,
 * and STR is an ordinary instruction, while reading the local APIC ID is an MMIO access (a VM exit
 * under a VMM). Before that, the local APIC ID is looked up in the table mp_init() filled.
 */
struct cpu *mycpu(void)
{
    if (read_eflags() & FL_IF) panic("mycpu called with interrupts enabled");
    u16 tr = str();
    if (tr >= (SEG_TSS0 << 3)) return &cpus[(tr >> 3) - SEG_TSS0];
    if (!lapic || !have_apic_ids) return &cpus[0];
    return &cpus[cpu_of_apic[lapic_id()]];
}

int cpuid(void)
{
    return mycpu()->id;
}
