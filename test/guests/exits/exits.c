/*
 * exits - one guest that makes the VMM take every VM exit it enables (issue 4, "Proof") and checks
 * what the guest sees: CPUID, HLT, the interrupt and NMI windows, the VMX-preemption timer, task
 * switches, CR and DR accesses, MSRs, the TSC, RDPMC, INVD/WBINVD, MONITOR/MWAIT, PAUSE, XSETBV, VMX
 * instructions, #UD and #PF, INVLPG, unbacked guest-physical memory, local APIC MMIO, descriptor
 * tables, the VMCALL ABI including HC_MMU_UPDATE, and (with input on COM1) the external-interrupt kick.
 * Each check prints "PASS name" or "FAIL name: detail"; the output must be the same under --mmu ept,
 * shadow-lazy and shadow-eager and with or without --vmx-exits rdtsc,pause,desc, because none of that
 * may change what the guest sees. Exit 0 when every check passed.
 *
 * The multiboot command line "pvmmu" makes the page-table churn at the end use HC_MMU_UPDATE instead
 * of writing the page-table entries itself (same output; test/cli/exits.test.ts compares the exits).
 */
#include "guest.h"

/* ---- descriptors ---- */
#define KCS 0x08
#define KDS 0x10
#define TSS_A 0x18
#define TSS_B 0x20

struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
} __attribute__((packed));

static uint64_t gdt[5];
static uint64_t idt[256];
static struct tss32 tss_a, tss_b;
static uint8_t stack_b[4096] __attribute__((aligned(16)));
static struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdt_desc, idt_desc;

extern const uint32_t isr_stub_table[32];
extern void irq0_handler(void), irq4_handler(void), nmi_handler(void), task_b_entry(void);
extern void do_ud2(void), do_rdpmc(void), do_rdtscp(void), do_xsetbv(void), do_vmxon(void), do_vmread(void);
extern void do_monitor(void), do_mwait(void), do_invd(void), do_wbinvd(void), do_pause(void);
extern volatile uint32_t ticks, tick_eip, nmi_count, nmi_max_depth, task_b_runs;
extern char iw_marker[];
volatile uint32_t ticks, tick_eip, nmi_count, nmi_depth, nmi_max_depth, task_b_runs, com1_rx_count;
volatile uint8_t com1_rx;

static uint64_t seg(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000);
    return ((uint64_t)hi << 32) | lo;
}
static uint64_t intr_gate(uint32_t off)
{
    return ((uint64_t)((off & 0xffff0000) | 0x8e00) << 32) | (off & 0xffff) | ((uint32_t)KCS << 16);
}

/* ---- exceptions ---- */
struct frame {
    uint32_t es, ds, edi, esi, ebp, esp0, ebx, edx, ecx, eax, vector, error, eip, cs, eflags;
};
volatile uint32_t fixup_eip;
static volatile uint32_t exc_vector, exc_error, exc_count, exc_cr2, exc_dr6, exc_eip;

static uint32_t read_dr6(void) { uint32_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); return v; }
static uint32_t read_dr7(void) { uint32_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); return v; }
static void write_dr6(uint32_t v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }
static void write_dr7(uint32_t v) { __asm__ volatile("mov %0, %%dr7" : : "r"(v)); }
static uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

void exception_handler(struct frame *f);
void exception_handler(struct frame *f)
{
    exc_vector = f->vector; exc_error = f->error; exc_eip = f->eip; exc_cr2 = read_cr2();
    exc_count++;
    if (f->vector == 1) {
        exc_dr6 = read_dr6();
        write_dr6(0);
        write_dr7(0x400);
        f->eflags |= 0x10000u; /* RF: a fault-like #DB resumes without hitting again */
        if (!fixup_eip) return;  /* a trap (data breakpoint): the instruction completed */
    }
    if (fixup_eip) { f->eip = fixup_eip; fixup_eip = 0; return; }
    kprintf("FAIL unexpected: exception %u error=0x%x at eip=0x%08x cr2=0x%08x\n", f->vector, f->error, f->eip, read_cr2());
    guest_exit(1);
}
static void reset_exc(void) { exc_vector = 0xff; exc_error = 0xdead; exc_count = 0; exc_cr2 = 0; exc_dr6 = 0; }

struct regs { uint32_t eax, ecx, edx; };
/* Call a one-instruction routine (the instruction is `len` bytes, then RET); a fault resumes at the RET. */
static struct regs try_insn(void (*fn)(void), uint32_t len, uint32_t eax, uint32_t ecx, uint32_t edx)
{
    struct regs r;
    reset_exc();
    fixup_eip = (uint32_t)fn + len;
    __asm__ volatile("call *%3" : "=a"(r.eax), "=c"(r.ecx), "=d"(r.edx) : "S"(fn), "0"(eax), "1"(ecx), "2"(edx) : "memory", "cc");
    fixup_eip = 0;
    return r;
}
static void expect_exc(const char *name, uint32_t vec, int32_t err)
{
    if (exc_count != 1) { fail(name, "expected exception %u, got %u exceptions", vec, exc_count); return; }
    if (exc_vector != vec) { fail(name, "expected vector %u, got %u (error 0x%x)", vec, exc_vector, exc_error); return; }
    if (err >= 0 && exc_error != (uint32_t)err) { fail(name, "vector %u: error code 0x%x, expected 0x%x", vec, exc_error, err); return; }
    pass(name);
}
static void expect_none(const char *name)
{
    CHECK(name, exc_count == 0, "unexpected exception %u (error 0x%x)", exc_vector, exc_error);
}

/* ---- paging: identity 16 MiB (4 PTs) plus one test page table for 1 GiB .. 1 GiB + 4 MiB ---- */
#define PTE_P 1u
#define PTE_RW 2u
#define TEST_VA 0x40000000u
#define POOL_PAGES 64
#define LAPIC 0xfee00000u
static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pts[4][1024] __attribute__((aligned(4096)));
static uint32_t test_pt[1024] __attribute__((aligned(4096)));
static uint32_t apic_pt[1024] __attribute__((aligned(4096))); /* 0xfec00000 .. 0xffffffff: the local APIC page */
static uint32_t pool[POOL_PAGES][1024] __attribute__((aligned(4096)));

static void paging_on(void)
{
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t i = 0; i < 1024; i++) pts[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_RW;
    for (uint32_t i = 0; i < 4; i++) pd[i] = (uint32_t)pts[i] | PTE_P | PTE_RW;
    pd[TEST_VA >> 22] = (uint32_t)test_pt | PTE_P | PTE_RW;
    apic_pt[(LAPIC >> 12) & 0x3ff] = LAPIC | PTE_P | PTE_RW | 0x10; /* PCD */
    pd[LAPIC >> 22] = (uint32_t)apic_pt | PTE_P | PTE_RW;
    for (uint32_t k = 0; k < POOL_PAGES; k++) pool[k][0] = 0x7a00 + k; /* each pool frame's tag */
    __asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory");
    __asm__ volatile("mov %0, %%cr0\n\tjmp 1f\n1:" : : "r"(read_cr0() | 0x80010000u) : "memory");
}
static void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static uint32_t peek(uint32_t va) { return *(volatile uint32_t *)va; }

/* ---- hypercalls (docs/notes/exits.md) ---- */
#define HC_CONSOLE_PUTC 1
#define HC_MMU_UPDATE 3
struct mmu_update { uint32_t pte_gpa; uint32_t val; };
static int32_t vmcall(uint32_t nr, uint32_t b, uint32_t c, uint32_t *edx_out)
{
    uint32_t a = nr, d = 0;
    __asm__ volatile("vmcall" : "+a"(a), "+d"(d) : "b"(b), "c"(c) : "memory");
    if (edx_out) *edx_out = d;
    return (int32_t)a;
}

/* ---- devices ---- */
static void pic_pit_init(void)
{
    outb(0x20, 0x11); outb(0xa0, 0x11); outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02); outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xfe); outb(0xa1, 0xff);          /* IRQ0 only */
    outb(0x43, 0x34); outb(0x40, 1193 & 0xff); outb(0x40, 1193 >> 8); /* 1 kHz, mode 2 */
}
static uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC + reg); }
static void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC + reg) = v; }
void send_self_nmi(void);
void send_self_nmi(void)
{
    lapic_write(0x310, 0);
    lapic_write(0x300, 4u << 8); /* delivery mode NMI, physical destination APIC 0 (itself; the self shorthand is for fixed IPIs only) */
}
static void spin(uint32_t n) { __asm__ volatile("1: loop 1b" : "+c"(n) : : "cc"); }

/* ---- the checks ---- */
static void test_cpuid(void)
{
    struct cpuid_regs c1 = cpuid(1, 0), hv = cpuid(0x40000000, 0), sig = cpuid(0x40000001, 0), e1 = cpuid(0x80000001, 0);
    CHECK("cpuid_hypervisor_bit", c1.ecx >> 31, "CPUID.1:ECX = 0x%08x", c1.ecx);
    char v[13];
    memcpy(v, &hv.ebx, 4); memcpy(v + 4, &hv.ecx, 4); memcpy(v + 8, &hv.edx, 4); v[12] = 0;
    int same = 1;
    for (int k = 0; k < 12; k++) if (v[k] != "vmm-debug VT"[k]) same = 0;
    CHECK("cpuid_vendor_leaf", same && hv.eax >= 0x40000001, "max 0x%08x vendor %s", hv.eax, v);
    CHECK("cpuid_interface_leaf", sig.eax == 0x444d4d56 && sig.ebx == 2, "eax 0x%08x ebx %u", sig.eax, sig.ebx);
    /* What the VMM hides must stay hidden: VMX (no nested), MONITOR, XSAVE/OSXSAVE, RDTSCP. */
    CHECK("cpuid_hidden_features", !(c1.ecx & ((1u << 5) | (1u << 3) | (1u << 26) | (1u << 27))) && !(e1.edx & (1u << 27)) && (c1.edx & 0x30) == 0x30,
          "1:ECX 0x%08x 1:EDX 0x%08x 80000001:EDX 0x%08x", c1.ecx, c1.edx, e1.edx);
}

static void test_timer(void)
{
    uint32_t t0 = ticks;
    for (int k = 0; k < 3; k++) __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
    CHECK("hlt_wakes_on_pit", ticks >= t0 + 3, "ticks %u -> %u", t0, ticks);
    /* Interrupt window: IRQ0 becomes pending while IF = 0; STI's shadow covers the NOP, so the
       interrupt arrives exactly at iw_marker (SDM 6.8.3). */
    spin(300000);
    t0 = ticks;
    __asm__ volatile("sti\n\tnop\n\t.globl iw_marker\niw_marker:\n\tcli" ::: "memory");
    CHECK("interrupt_window", ticks == t0 + 1 && tick_eip == (uint32_t)iw_marker, "ticks %u -> %u, interrupted at 0x%08x (marker 0x%08x)", t0, ticks, tick_eip, (uint32_t)iw_marker);
    /* Spinning with IF = 1: the VMX-preemption timer gives the VMM the tick's deadline. */
    t0 = ticks;
    __asm__ volatile("sti" ::: "memory");
    for (uint32_t n = 0; n < 2000000 && ticks < t0 + 2; n++) __asm__ volatile("" ::: "memory");
    __asm__ volatile("cli" ::: "memory");
    CHECK("ticks_while_spinning", ticks >= t0 + 2, "ticks %u -> %u", t0, ticks);
}

static void test_nmi(void)
{
    lapic_write(0xf0, 0x1ff); /* software enable, spurious vector 0xff */
    send_self_nmi();
    for (uint32_t n = 0; n < 100000 && nmi_count < 2; n++) __asm__ volatile("" ::: "memory");
    CHECK("nmi_window", nmi_count == 2 && nmi_max_depth == 1, "%u NMIs, deepest nesting %u", nmi_count, nmi_max_depth);
    uint32_t v1 = lapic_read(0x30), v2 = lapic_read(0x30), id = lapic_read(0x20);
    CHECK("lapic_mmio_reads", (v1 & 0xff) == 0x14 && v1 == v2 && id == 0, "version 0x%08x / 0x%08x, id 0x%08x", v1, v2, id);
}

static void test_task_switch(void)
{
    tss_b.eip = (uint32_t)task_b_entry; tss_b.esp = (uint32_t)(stack_b + sizeof stack_b);
    tss_b.cs = KCS; tss_b.ss = tss_b.ds = tss_b.es = tss_b.fs = tss_b.gs = KDS;
    tss_b.eflags = 2; tss_b.cr3 = read_cr3(); tss_b.iomap = sizeof tss_b;
    tss_a.cr3 = read_cr3(); /* a task switch never saves CR3 into the old TSS, it only loads it (SDM 7.3) */
    __asm__ volatile("ljmp $0x20, $0" ::: "memory");
    CHECK("task_switch_round_trip", task_b_runs == 1, "task B ran %u times", task_b_runs);
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    CHECK("task_register_back_to_a", tr == TSS_A, "TR 0x%x", tr);
}

static void test_cr(void)
{
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~0x20u)); /* NE: host-owned (forced to 1 in the real CR0) */
    uint32_t back = read_cr0();
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    CHECK("cr0_reads_back_own_value", back == (cr0 & ~0x20u) && read_cr0() == cr0, "wrote 0x%08x, read 0x%08x", cr0 & ~0x20u, back);
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 0x18u)); /* PSE (host-owned under shadow paging) and DE */
    back = read_cr4();
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    CHECK("cr4_reads_back_own_value", back == (cr4 | 0x18u) && read_cr4() == cr4, "wrote 0x%08x, read 0x%08x", cr4 | 0x18u, back);
    CHECK("cr3_reads_back_own_value", read_cr3() == (uint32_t)pd, "CR3 0x%08x, page directory 0x%08x", read_cr3(), (uint32_t)pd);
    uint16_t msw;
    __asm__ volatile("smsw %0" : "=r"(msw));
    CHECK("smsw_reads_shadow", msw == (uint16_t)cr0, "SMSW 0x%04x, CR0 0x%08x", msw, cr0);
    static const uint32_t bad[2] = { 1u << 13, 1u << 18 }; /* VMXE (no VMX in CPUID), OSXSAVE (no XSAVE) */
    static const char *const names[2] = { "cr4_vmxe_gp", "cr4_osxsave_gp" };
    for (int k = 0; k < 2; k++) {
        reset_exc();
        __asm__ volatile("movl $1f, fixup_eip\n\tmov %0, %%cr4\n1:" : : "r"(cr4 | bad[k]) : "memory");
        fixup_eip = 0;
        expect_exc(names[k], 13, 0);
        if (read_cr4() != cr4) fail(names[k], "CR4 changed to 0x%08x", read_cr4());
    }
}

static volatile uint32_t bp_var;
static void test_dr(void)
{
    uint32_t v;
    __asm__ volatile("mov %1, %%dr0\n\tmov %%dr0, %0" : "=r"(v) : "r"(0x12345678u));
    uint32_t v3;
    __asm__ volatile("mov %1, %%dr3\n\tmov %%dr3, %0" : "=r"(v3) : "r"(0xcafe0000u));
    CHECK("dr0_dr3_read_back", v == 0x12345678u && v3 == 0xcafe0000u, "DR0 0x%08x DR3 0x%08x", v, v3);
    write_dr7(0x400 | (3u << 16)); /* RW0 = 11, L0 off: nothing armed */
    CHECK("dr7_reads_back", read_dr7() == (0x400 | (3u << 16)), "DR7 0x%08x", read_dr7());
    write_dr6(0);
    CHECK("dr6_fixed_bits", read_dr6() == 0xffff0ff0u, "DR6 0x%08x", read_dr6());
    __asm__ volatile(".byte 0x0f, 0x21, 0xe0" : "=a"(v)); /* mov %dr4, %eax: DR6 while CR4.DE = 0 */
    CHECK("dr4_aliases_dr6", v == 0xffff0ff0u, "DR4 0x%08x", v);
    uint32_t cr4 = read_cr4();
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | 8u));
    reset_exc();
    __asm__ volatile("movl $1f, fixup_eip\n\t.byte 0x0f, 0x21, 0xe0\n1:" : : : "eax", "memory");
    fixup_eip = 0;
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    expect_exc("dr4_with_cr4_de_ud", 6, -1);
    /* General detect: DR7.GD = 1 makes the next MOV DR a #DB with DR6.BD (SDM 17.2.4). */
    write_dr7(0x400 | 0x2000);
    reset_exc();
    __asm__ volatile("movl $1f, fixup_eip\n\tmov %%dr0, %%eax\n1:" : : : "eax", "memory");
    fixup_eip = 0;
    CHECK("dr7_general_detect", exc_count == 1 && exc_vector == 1 && (exc_dr6 & 0x2000) && !(read_dr7() & 0x2000), "%u exceptions, vector %u, DR6 0x%08x", exc_count, exc_vector, exc_dr6);
    /* A data write breakpoint armed through the emulated DR0/DR7 hits (#DB trap, DR6.B0). */
    __asm__ volatile("mov %0, %%dr0" : : "r"((uint32_t)&bp_var));
    reset_exc();
    write_dr7(0x400 | 1u | (1u << 16) | (3u << 18)); /* L0, RW0 = write, LEN0 = 4 bytes */
    bp_var = 1;
    write_dr7(0x400);
    CHECK("dr0_data_breakpoint", exc_count == 1 && exc_vector == 1 && (exc_dr6 & 1), "%u exceptions, vector %u, DR6 0x%08x", exc_count, exc_vector, exc_dr6);
}

static uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

static void test_msr(void)
{
    wrmsr(0x174, KCS); wrmsr(0x175, 0x00123450); wrmsr(0x176, 0x00654320);
    CHECK("sysenter_msrs_read_back", rdmsr(0x174) == KCS && rdmsr(0x175) == 0x00123450 && rdmsr(0x176) == 0x00654320,
          "0x%x 0x%x 0x%x", (uint32_t)rdmsr(0x174), (uint32_t)rdmsr(0x175), (uint32_t)rdmsr(0x176));
    uint64_t pat = rdmsr(0x277);
    wrmsr(0x277, 0x0007040600070406ull ^ 0x100);
    CHECK("pat_reads_back", rdmsr(0x277) == (0x0007040600070406ull ^ 0x100), "PAT 0x%08x", (uint32_t)rdmsr(0x277));
    wrmsr(0x277, pat);
    static const char *const names[3] = { "rdmsr_unknown_gp", "wrmsr_unknown_gp", "wrmsr_efer_reserved_gp" };
    for (int k = 0; k < 3; k++) {
        reset_exc();
        if (k == 0) __asm__ volatile("movl $1f, fixup_eip\n\trdmsr\n1:" : : "c"(0x12345u) : "eax", "edx", "memory");
        if (k == 1) __asm__ volatile("movl $1f, fixup_eip\n\twrmsr\n1:" : : "c"(0x12345u), "a"(0), "d"(0) : "memory");
        if (k == 2) __asm__ volatile("movl $1f, fixup_eip\n\twrmsr\n1:" : : "c"(0xc0000080u), "a"(1), "d"(0) : "memory");
        fixup_eip = 0;
        expect_exc(names[k], 13, 0);
    }
}

static void test_tsc(void)
{
    uint64_t t1 = rdtsc(), t2 = rdtsc();
    CHECK("rdtsc_monotonic", t2 > t1, "0x%08x then 0x%08x", (uint32_t)t1, (uint32_t)t2);
    const uint64_t base = 0x500000007ull;
    wrmsr(0x10, base); /* moves the guest's TSC (TSC_OFFSET) */
    uint64_t t3 = rdtsc(), m = rdmsr(0x10), t4 = rdtsc();
    CHECK("tsc_write_moves_offset", t3 >= base && t3 < base + 100000 && t3 < m && m < t4, "wrote 0x%x_%08x: rdtsc 0x%x_%08x, rdmsr 0x%x_%08x",
          (uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(t3 >> 32), (uint32_t)t3, (uint32_t)(m >> 32), (uint32_t)m);
    try_insn(do_rdtscp, 3, 0, 0, 0);
    expect_exc("rdtscp_ud", 6, -1);
}

static void test_instructions(void)
{
    try_insn(do_rdpmc, 2, 0, 0, 0);
    expect_exc("rdpmc_gp_no_pmu", 13, 0);
    static volatile uint32_t cached = 0x5a5a5a5a;
    try_insn(do_invd, 2, 0, 0, 0);
    CHECK("invd", exc_count == 0 && cached == 0x5a5a5a5a, "%u exceptions, memory 0x%08x", exc_count, cached);
    try_insn(do_wbinvd, 2, 0, 0, 0);
    expect_none("wbinvd");
    try_insn(do_monitor, 3, (uint32_t)&cached, 0, 0);
    expect_none("monitor");
    try_insn(do_mwait, 3, 0, 0, 0);
    expect_none("mwait_returns");
    for (int k = 0; k < 100; k++) try_insn(do_pause, 2, 0, 0, 0);
    expect_none("pause");
    try_insn(do_xsetbv, 3, 0, 0, 0);
    expect_exc("xsetbv_ud_without_xsave", 6, -1);
    static uint64_t region __attribute__((aligned(4096)));
    try_insn(do_vmxon, 4, (uint32_t)&region, 0, 0);
    expect_exc("vmxon_ud_no_nested_vmx", 6, -1);
    try_insn(do_vmread, 3, 0x4402, 0, 0);
    expect_exc("vmread_ud", 6, -1);
    try_insn(do_ud2, 2, 0, 0, 0);
    expect_exc("ud2_reinjected", 6, -1);
    outb(0x80, 0x42);
    CHECK("io_empty_port_all_ones", inl(0x6e0) == 0xffffffffu, "inl 0x6e0 = 0x%08x", inl(0x6e0));
}

static void test_desc(void)
{
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g, i;
    uint16_t ldt = 0xffff, tr = 0;
    __asm__ volatile("sgdt %0\n\tsidt %1\n\tsldt %2\n\tstr %3" : "=m"(g), "=m"(i), "=r"(ldt), "=r"(tr));
    CHECK("sgdt_sidt_sldt_str", g.base == gdt_desc.base && g.limit == gdt_desc.limit && i.base == idt_desc.base && i.limit == idt_desc.limit && ldt == 0 && tr == TSS_A,
          "GDT 0x%08x/%x IDT 0x%08x/%x LDT 0x%x TR 0x%x", g.base, g.limit, i.base, i.limit, ldt, tr);
    __asm__ volatile("lgdt %0\n\tlidt %1\n\tlldt %2" : : "m"(gdt_desc), "m"(idt_desc), "r"((uint16_t)0));
    __asm__ volatile("sgdt %0\n\tsidt %1" : "=m"(g), "=m"(i));
    CHECK("lgdt_lidt_lldt", g.base == gdt_desc.base && i.base == idt_desc.base, "GDT 0x%08x IDT 0x%08x", g.base, i.base);
}

static void test_paging(void)
{
    /* #PF on a not-present page: reflected to the guest under shadow paging, direct under EPT. */
    reset_exc();
    __asm__ volatile("movl $1f, fixup_eip\n\tmovl $1, (%0)\n1:" : : "r"(TEST_VA + 0x3ff000) : "memory");
    fixup_eip = 0;
    CHECK("page_fault_not_present", exc_count == 1 && exc_vector == 14 && exc_error == 2 && exc_cr2 == TEST_VA + 0x3ff000,
          "%u exceptions, vector %u error 0x%x CR2 0x%08x", exc_count, exc_vector, exc_error, exc_cr2);
    /* INVLPG: a remapped page shows its new frame after INVLPG. */
    test_pt[0] = (uint32_t)pool[0] | PTE_P | PTE_RW;
    invlpg(TEST_VA);
    uint32_t a = peek(TEST_VA);
    test_pt[0] = (uint32_t)pool[1] | PTE_P | PTE_RW;
    invlpg(TEST_VA);
    uint32_t b = peek(TEST_VA);
    CHECK("invlpg_remap", a == 0x7a00 && b == 0x7a01, "before 0x%x after 0x%x", a, b);
    /* Guest-physical memory no memslot backs: reads see the empty bus, writes vanish. */
    test_pt[1] = 0xe0000000u | PTE_P | PTE_RW;
    invlpg(TEST_VA + 0x1000);
    uint32_t r1 = peek(TEST_VA + 0x1000);
    *(volatile uint32_t *)(TEST_VA + 0x1000) = 0x1234;
    uint32_t r2 = peek(TEST_VA + 0x1000);
    CHECK("unbacked_gpa_all_ones", r1 == 0xffffffffu && r2 == 0xffffffffu, "read 0x%08x, after a write 0x%08x", r1, r2);
    test_pt[1] = 0;
    invlpg(TEST_VA + 0x1000);
}

static struct mmu_update req[POOL_PAGES];
static void test_hypercalls(void)
{
    int32_t r = vmcall(HC_CONSOLE_PUTC, '*', 0, 0);
    vmcall(HC_CONSOLE_PUTC, '\n', 0, 0);
    CHECK("hc_console_putc", r == 0, "returned %d", r);
    r = vmcall(0x7777, 0, 0, 0);
    CHECK("hc_unknown_enosys", r == -1000, "returned %d", r);
    /* HC_MMU_UPDATE: 16 PTEs of the test page table in one call; the TLB is still the guest's business. */
    for (uint32_t k = 0; k < 16; k++) { req[k].pte_gpa = (uint32_t)&test_pt[16 + k]; req[k].val = (uint32_t)pool[15 - k] | PTE_P | PTE_RW; }
    r = vmcall(HC_MMU_UPDATE, (uint32_t)req, 16, 0);
    uint32_t bad = 0;
    for (uint32_t k = 0; k < 16; k++) {
        invlpg(TEST_VA + (16 + k) * 4096);
        if (test_pt[16 + k] != ((uint32_t)pool[15 - k] | PTE_P | PTE_RW) || (peek(TEST_VA + (16 + k) * 4096) & 0xffff) != 0x7a00 + 15 - k) bad++;
    }
    CHECK("hc_mmu_update_batch", r == 16 && bad == 0, "returned %d, %u entries wrong", r, bad);
    uint32_t at = 99;
    req[0].pte_gpa = (uint32_t)&test_pt[40]; req[0].val = 0;
    req[1].pte_gpa = (uint32_t)&test_pt[41] + 2; req[1].val = 0; /* misaligned: refused */
    r = vmcall(HC_MMU_UPDATE, (uint32_t)req, 2, &at);
    CHECK("hc_mmu_update_einval", r == -22 && at == 1, "returned %d, failing entry %u", r, at);
    r = vmcall(HC_MMU_UPDATE, TEST_VA + 0x3fe000, 1, 0); /* the request list is not mapped */
    CHECK("hc_mmu_update_efault", r == -14, "returned %d", r);
    r = vmcall(HC_MMU_UPDATE, (uint32_t)req, 4096, 0);
    CHECK("hc_mmu_update_too_many", r == -22, "returned %d", r);
}

/* Page-table churn: ROUNDS times remap POOL_PAGES pages, by hand or with HC_MMU_UPDATE. */
#define ROUNDS 24
static void churn(int pv)
{
    uint32_t sum = 0, wrong = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        for (uint32_t k = 0; k < POOL_PAGES; k++) {
            /* A set up front, as an OS may for a page it is about to use: a shadow entry can then be made at once. */
            uint32_t val = (uint32_t)pool[(k + r) % POOL_PAGES] | PTE_P | PTE_RW | 0x20;
            if (pv) { req[k].pte_gpa = (uint32_t)&test_pt[256 + k]; req[k].val = val; }
            else test_pt[256 + k] = val;
        }
        if (pv && vmcall(HC_MMU_UPDATE, (uint32_t)req, POOL_PAGES, 0) != POOL_PAGES) wrong++;
        __asm__ volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory"); /* flush the TLB: a new "process" */
        for (uint32_t k = 0; k < POOL_PAGES; k++) {
            uint32_t va = TEST_VA + (256 + k) * 4096;
            uint32_t tag = peek(va) & 0xffff;
            if (tag != 0x7a00 + (k + r) % POOL_PAGES) wrong++;
            sum = sum * 31 + tag;
        }
    }
    CHECK("page_table_churn", wrong == 0 && sum == 0x909a5000u, "%u wrong, checksum 0x%08x", wrong, sum);
}

/* The external-interrupt exit (1) is the VMM's kick when input arrives (the UART raises IRQ4 while
   the vCPU runs): spin with COM1's receive interrupt on, long enough for the CLI to pass its input. */
static void test_com1_input(void)
{
    outb(0x3fc, 0x0b);   /* MCR: DTR, RTS and OUT2, which gates the UART interrupt onto IRQ4 on a PC */
    outb(0x3f9, 0x01);   /* IER: received data available */
    outb(0x21, 0xef);    /* PIC: IRQ4 only */
    __asm__ volatile("sti" ::: "memory");
    spin(6000000);
    __asm__ volatile("cli" ::: "memory");
    outb(0x3f9, 0x00);
    if (com1_rx_count) CHECK("com1_rx_interrupt_after_kick", com1_rx == 'x', "received 0x%02x", (unsigned char)com1_rx);
    else kprintf("INFO com1 input: none (give the VM input to see the external-interrupt exit)\n");
}

static int has_arg(const struct multiboot_info *mbi, const char *word)
{
    if (!(mbi->flags & 4)) return 0;
    const char *s = (const char *)((const uint32_t *)mbi)[4];
    for (; *s; s++) {
        int k = 0;
        while (word[k] && s[k] == word[k]) k++;
        if (!word[k]) return 1;
    }
    return 0;
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    kprintf("exits: one guest, every VM exit the VMM enables\n");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) { kprintf("FAIL multiboot magic 0x%08x\n", magic); guest_exit(1); }
    int pv = has_arg(mbi, "pvmmu");
    gdt[0] = 0;
    gdt[1] = seg(0, 0xfffff, 0x9b, 0xc);
    gdt[2] = seg(0, 0xfffff, 0x93, 0xc);
    gdt[3] = seg((uint32_t)&tss_a, sizeof tss_a - 1, 0x89, 0);
    gdt[4] = seg((uint32_t)&tss_b, sizeof tss_b - 1, 0x89, 0);
    gdt_desc.limit = sizeof gdt - 1; gdt_desc.base = (uint32_t)gdt;
    for (int v = 0; v < 32; v++) idt[v] = intr_gate(isr_stub_table[v]);
    idt[2] = intr_gate((uint32_t)nmi_handler);
    idt[0x20] = intr_gate((uint32_t)irq0_handler);
    idt[0x24] = intr_gate((uint32_t)irq4_handler);
    idt_desc.limit = sizeof idt - 1; idt_desc.base = (uint32_t)idt;
    tss_a.iomap = sizeof tss_a;
    __asm__ volatile("lgdt %0\n\tlidt %1\n\tmovw $0x18, %%ax\n\tltr %%ax" : : "m"(gdt_desc), "m"(idt_desc) : "eax", "memory");
    paging_on();
    pic_pit_init();

    test_cpuid();
    test_timer();
    test_nmi();
    test_task_switch();
    test_cr();
    test_dr();
    test_msr();
    test_tsc();
    test_instructions();
    test_desc();
    test_paging();
    test_hypercalls();
    churn(pv);
    test_com1_input();

    test_summary_exit("exits");
}
