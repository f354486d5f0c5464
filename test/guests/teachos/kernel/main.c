/*
 * main.c - kmain: bring the machine up one layer at a time, checking each layer before the
 * next one depends on it. Every check prints one PASS or FAIL line on COM1. Only the BSP
 * prints, in a fixed order, so the output is the same whatever the timing between CPUs.
 */
#include "kernel.h"
#include "x86.h"
#include "memlayout.h"
#include "syscall.h"

struct bootinfo boot_info;
static u32 phys_end;                    /* end of usable RAM from 1 MiB, at most PHYS_TOP */
u32 counter_expected(void);

void user_alpha(void), user_beta(void), user_gamma(void);
void user_spinner(void), user_watcher(void), user_faulter(void);

/* Our boot sector left struct bootinfo at 0x1000; a Multiboot loader left its information
 * structure (Multiboot 0.6.96 section 3.3) at `info`: convert its memory map. Paging is off. */
/* The six user processes of the self-test, in pid order (include/syscall.h PID_*); every stress
 * round (stress.c) starts the same six again. Returns how many were created. */
int workload_spawn(void)
{
    static const struct { const char *name; void (*entry)(void); } progs[] = {
        { "alpha", user_alpha }, { "beta", user_beta }, { "gamma", user_gamma },
        { "spinner", user_spinner }, { "watcher", user_watcher }, { "faulter", user_faulter },
    };
    int n = 0;
    for (u32 i = 0; i < sizeof progs / sizeof progs[0]; i++) n += proc_create(progs[i].name, progs[i].entry) != 0;
    return n;
}

static void take_boot_info(u32 magic, u32 info)
{
    if (magic != MULTIBOOT_MAGIC) {
        memcpy(&boot_info, (void *)BOOTINFO_ADDR, sizeof boot_info);
        return;
    }
    u32 *mbi = (u32 *)info;
    boot_info.magic = BOOTINFO_MAGIC;
    boot_info.flags = BI_FLAG_MB;
    if (mbi[0] & (1 << 2)) shell_note_cmdline((const char *)mbi[4]); /* flags bit 2: cmdline valid */
    if (!(mbi[0] & (1 << 6))) return;   /* flags bit 6: mmap_length/mmap_addr valid */
    u32 p = mbi[12], end = mbi[12] + mbi[11];
    int n = 0;
    while (p < end && n < 32) {         /* entries: size, base (64), length (64), type */
        u32 size = *(u32 *)p;
        memcpy(&boot_info.e820[n], (void *)(p + 4), 20);
        n++;
        p += size + 4;
    }
    boot_info.e820_count = (u16)n;
}

static void test_boot(void)
{
    struct bootinfo *bi = &boot_info;
    if (bi->flags & BI_FLAG_MB) cprintf("boot: from a Multiboot loader\n");
    else cprintf("boot: from the teachos boot sector, %u kernel sectors read with INT 13h %s\n", bi->kernel_sectors,
                 bi->flags & BI_FLAG_CHS ? "AH=02h (CHS)" : "AH=42h (LBA)");
    check("boot_loader", bi->magic == BOOTINFO_MAGIC &&
                             ((bi->kernel_sectors > 0 && (bi->flags & (BI_FLAG_LBA | BI_FLAG_CHS))) || (bi->flags & BI_FLAG_MB)));
    /* The usable range that starts at or below 1 MiB bounds the page allocator (at most
     * PHYS_TOP, the part the kernel maps); the self-test needs 8 MiB of it. */
    int n = bi->e820_count;
    for (int i = 0; i < n && i < 32; i++) {
        struct e820_entry *e = &bi->e820[i];
        if (e->type != E820_RAM || e->base > KERNEL_PHYS || e->base + e->length <= KERNEL_PHYS) continue;
        u64 end = e->base + e->length;
        phys_end = end > PHYS_TOP ? PHYS_TOP : (u32)end;
    }
    check("boot_e820", n >= 2 && phys_end >= 0x800000);
    if (phys_end < 0x800000) panic("less than 8 MiB of usable RAM from 1 MiB up (E820)");
}

/* With A20 masked, bit 20 of every address is forced to 0, so 0x7f0000 would alias 0x6f0000. */
static void test_a20(void)
{
    volatile u32 *lo = (volatile u32 *)0x6f0000, *hi = (volatile u32 *)0x7f0000;
    u32 save_lo = *lo, save_hi = *hi;
    *lo = 0x11111111;
    *hi = 0x22222222;
    int ok = *lo == 0x11111111 && *hi == 0x22222222;
    *lo = save_lo;
    *hi = save_hi;
    check("a20", ok);
}

/* Paging on: identity map works, and a second mapping of one physical page (an alias)
 * sees the same bytes; after unmapping + INVLPG the alias's PTE is gone. */
static void test_paging(void)
{
    u32 alias = 0x80000000;
    char *page = kalloc();
    int ok = (read_cr0() & CR0_PG) && read_cr3() == (u32)kpgdir && page;
    if (ok) {
        map_page(kpgdir, alias, (u32)page, PTE_W);
        invlpg(alias);
        page[100] = 42;
        *(volatile char *)(alias + 200) = 7;
        ok = *(volatile char *)(alias + 100) == 42 && page[200] == 7;
        *walk_pgdir(kpgdir, alias, 0) = 0;
        invlpg(alias);
        kfree(page);
    }
    check("paging", ok);
}

static void test_segments(void)
{
    u16 cs, ss;
    __asm__ volatile("movw %%cs, %0; movw %%ss, %1" : "=r"(cs), "=r"(ss));
    check("gdt_tss", cs == KCODE_SEL && ss == KDATA_SEL && str() == (SEG_TSS0 << 3));
}

static void test_timer(void)
{
    u32 t0 = ticks;
    while (ticks - t0 < 3)
        sti_hlt();
    check("lapic_timer", ticks - t0 >= 3);
}

static void test_ide(void)
{
    static u8 buf[512], back[512];
    int ok = ide_init() == 0;
    check("ide_present", ok);
    for (int i = 0; i < 512; i++) buf[i] = (u8)(i * 7 + 3);
    memcpy(buf, "teachos ide write test", 22);
    u32 irqs0 = ide_irqs;
    int wr = ok && ide_rw(SCRATCH_LBA, buf, 1) == 0;
    int rd = wr && ide_rw(SCRATCH_LBA, back, 0) == 0;
    check("ide_write_read", rd && memcmp(buf, back, 512) == 0);
    /* the build put a signature in the next sector: reads see what is on the disk */
    rd = ok && ide_rw(SCRATCH_LBA + 1, back, 0) == 0;
    check("ide_read_image", rd && memcmp(back, "TEACHOS SCRATCH SECTOR", 22) == 0);
    check("ide_irq14_ioapic", ide_irqs - irqs0 >= 3);
}

static void test_smp(void)
{
    int up = 1;
    for (int i = 1; i < ncpu; i++) up += cpus[i].started != 0;
    cprintf("smp: %d cpu(s) from the %s, %d started\n", ncpu,
            mp_found == 1 ? "MP table" : mp_found == 2 ? "ACPI MADT" : "default (no tables)", up);
    check("smp_tables", mp_found != 0);
    check("smp_all_cpus_started", up == ncpu);
    counter_work();
    while (cpus_counted < (u32)up)
        sti_hlt();
    cprintf("smp: shared counter %u (expected %u)\n", shared_counter, (u32)up * 1000);
    check("smp_counter_under_lock", shared_counter == counter_expected() && up == ncpu);
}

void kmain(u32 magic, u32 info)
{
    take_boot_info(magic, info);
    console_init();
    cprintf("teachos: a small SMP teaching kernel\n");
    test_boot();
    test_a20();
    mp_init();

    kinit((u32)__kernel_end, phys_end);
    kvm_init();
    paging_enable();
    test_paging();

    seg_init();
    idt_init();
    test_segments();

    proc_init();
    cpus[0].started = 1;
    pic_disable();
    lapic_init();
    ioapic_init();
    sti();
    test_timer();
    test_ide();

    smp_start_aps();
    test_smp();

    cli();
    workload_spawn();
    cprintf("processes: 6 created, scheduling on %d cpu(s)\n", ncpu);
    sched_go = 1;
    scheduler();
}
