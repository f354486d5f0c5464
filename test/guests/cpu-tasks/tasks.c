/*
 * cpu-tasks - hardware task switching self-tests (SDM Vol. 3A 7.3-7.4,
 * issue 3): JMP to a TSS and back, CALL to a TSS and through a task gate
 * with IRET back through the previous-task link (EFLAGS.NT), the busy bit,
 * CR0.TS, #DF through a task gate in the IDT (as Linux i386 does) with the
 * error code on the new task's stack, a 16-bit TSS, and the checks that
 * fault before the switch: a TSS limit below 0x67 (#TS), a busy TSS (#GP),
 * IRET to a TSS that is not busy (#TS). Prints "PASS name" / "FAIL name:
 * detail" on COM1 and exits through isa-debug-exit with 0 when every test
 * passed. The same binary passes under QEMU (qemu-system-i386 -kernel).
 */
#include "guest.h"

#define KCS 0x08
#define KDS 0x10
#define MAIN_TSS 0x18
#define TSS_B 0x20
#define TSS_C 0x28
#define GATE_C 0x30
#define TSS_DF 0x38
#define TSS_SMALL 0x40
#define TSS_16 0x48
#define CS_16 0x50
#define TSS_SPARE 0x58

struct tss32 {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap;
} __attribute__((packed));
struct tss16 {
    uint16_t link, sp0, ss0, sp1, ss1, sp2, ss2, ip, flags;
    uint16_t ax, cx, dx, bx, sp, bp, si, di, es, cs, ss, ds, ldt;
} __attribute__((packed));

static uint64_t gdt[12];
static uint64_t idt[256];
struct tss32 main_tss;
static struct tss32 tss_b, tss_c, tss_df, tss_small, tss_spare;
static struct tss16 tss_16;
static uint8_t stack_b[4096] __attribute__((aligned(16)));
static uint8_t stack_c[4096] __attribute__((aligned(16)));
static uint8_t stack_df[4096] __attribute__((aligned(16)));

extern const uint32_t isr_stub_table[32];
extern void task_b_entry(void), task_c_entry(void), df_task_entry(void), task16_entry(void);
extern volatile uint32_t b_tr, b_eflags, b_cr0, b_runs, c_tr, c_eflags, c_runs;
extern volatile uint32_t df_error, df_tr, df_eflags, df_runs, df_fixup, t16_tr, t16_runs;

static uint64_t seg(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000);
    return ((uint64_t)hi << 32) | lo;
}
static uint64_t gate(uint16_t sel, uint32_t off, uint32_t type, uint32_t dpl)
{
    uint32_t lo = (off & 0xffff) | ((uint32_t)sel << 16);
    uint32_t hi = (off & 0xffff0000) | (1u << 15) | (dpl << 13) | (type << 8);
    return ((uint64_t)hi << 32) | lo;
}
static uint32_t desc_type(uint16_t sel) { return (uint32_t)(gdt[sel >> 3] >> 40) & 0x1f; }

static void init_task(struct tss32 *t, void (*entry)(void), uint8_t *stack, uint32_t size)
{
    t->eip = (uint32_t)entry;
    t->eflags = 0x2;
    t->esp = (uint32_t)(stack + size);
    t->cs = KCS;
    t->ss = t->ds = t->es = t->fs = t->gs = KDS;
    t->iomap = sizeof *t;
}

static void load_tables(void)
{
    init_task(&tss_b, task_b_entry, stack_b, sizeof stack_b);
    init_task(&tss_c, task_c_entry, stack_c, sizeof stack_c);
    init_task(&tss_df, df_task_entry, stack_df, sizeof stack_df);
    init_task(&tss_small, task_b_entry, stack_b, sizeof stack_b);
    init_task(&tss_spare, task_b_entry, stack_b, sizeof stack_b);
    main_tss.iomap = sizeof main_tss;
    tss_16.ip = 0;
    tss_16.flags = 0x2;
    tss_16.cs = CS_16;
    tss_16.ss = tss_16.ds = tss_16.es = KDS;
    tss_16.sp = 0x800;
    gdt[0] = 0;
    gdt[1] = seg(0, 0xfffff, 0x9b, 0xc);
    gdt[2] = seg(0, 0xfffff, 0x93, 0xc);
    gdt[3] = seg((uint32_t)&main_tss, sizeof main_tss - 1, 0x89, 0);
    gdt[4] = seg((uint32_t)&tss_b, sizeof tss_b - 1, 0x89, 0);
    gdt[5] = seg((uint32_t)&tss_c, sizeof tss_c - 1, 0x89, 0);
    gdt[6] = gate(TSS_C, 0, 0x5, 0);                       /* task gate -> TSS C */
    gdt[7] = seg((uint32_t)&tss_df, sizeof tss_df - 1, 0x89, 0);
    gdt[8] = seg((uint32_t)&tss_small, 0x50, 0x89, 0);      /* limit below 0x67 */
    gdt[9] = seg((uint32_t)&tss_16, sizeof tss_16 - 1, 0x81, 0); /* 16-bit TSS, available */
    gdt[10] = seg((uint32_t)task16_entry, 0xffff, 0x9b, 0x4);    /* 32-bit code based at the task's entry */
    gdt[11] = seg((uint32_t)&tss_spare, sizeof tss_spare - 1, 0x89, 0);
    for (int v = 0; v < 32; v++) idt[v] = gate(KCS, isr_stub_table[v], 0xe, 0);
    idt[8] = gate(TSS_DF, 0, 0x5, 0);                       /* #DF through a task gate */
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) g = { sizeof gdt - 1, (uint32_t)gdt }, i = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x08, $1f\n1:\t"
                     "movw $0x10, %%ax\n\t"
                     "movw %%ax, %%ds\n\tmovw %%ax, %%es\n\tmovw %%ax, %%fs\n\tmovw %%ax, %%gs\n\tmovw %%ax, %%ss\n\t"
                     "movw $0x18, %%ax\n\tltr %%ax" : : "m"(g) : "eax", "memory");
    __asm__ volatile("lidt %0" : : "m"(i));
}

/* ---- exceptions (vectors 0-31 but #DF) ---- */
struct frame { uint32_t es, ds, edi, esi, ebp, esp0, ebx, edx, ecx, eax, vector, error, eip, cs, eflags; }; /* lib/isrStubs.s */
volatile uint32_t fixup_eip;
static volatile uint32_t exc_vector, exc_error, exc_eip, exc_count;
void exception_handler(struct frame *f);
void exception_handler(struct frame *f)
{
    exc_vector = f->vector; exc_error = f->error; exc_eip = f->eip;
    exc_count++;
    f->eflags &= ~0x4000u; /* a fault of IRET with NT = 1 returns without NT */
    if (fixup_eip) { f->eip = fixup_eip; fixup_eip = 0; return; }
    kprintf("FAIL unexpected: exception %u error=0x%x at eip=0x%08x\n", f->vector, f->error, f->eip);
    guest_exit(1);
}
static void reset_exc(void) { exc_vector = 0xff; exc_error = 0xdead; exc_eip = 0; exc_count = 0; }
static void expect(const char *name, uint32_t vec, uint32_t err)
{
    if (exc_count != 1) { fail(name, "expected exception %u, got %u exceptions", vec, exc_count); return; }
    if (exc_vector != vec || exc_error != err) { fail(name, "vector %u error 0x%x, expected %u error 0x%x", exc_vector, exc_error, vec, err); return; }
    pass(name);
}
static uint32_t read_eflags(void) { uint32_t v; __asm__ volatile("pushfl\n\tpopl %0" : "=r"(v)); return v; }
static uint16_t read_tr(void) { uint16_t v; __asm__ volatile("str %0" : "=r"(v)); return v; }
static void clts(void) { __asm__ volatile("clts"); }

static void test_jmp(void)
{
    uint32_t ebx_before = 0x12345678, ebx_after;
    clts();
    /* EBX survives in the main TSS across the round trip. */
    __asm__ volatile("ljmp $0x20, $0" : "=b"(ebx_after) : "b"(ebx_before) : "memory");
    uint32_t cr0 = read_cr0();
    if (b_runs == 1 && (b_tr & 0xffff) == TSS_B && !(b_eflags & 0x4000) && (b_cr0 & 8) && ebx_after == ebx_before &&
        read_tr() == MAIN_TSS && desc_type(TSS_B) == 0x09 && desc_type(MAIN_TSS) == 0x0b && (cr0 & 8))
        pass("task_jmp_tss_and_back");
    else
        fail("task_jmp_tss_and_back", "runs=%u tr=0x%x nt=%u ts=%u ebx=0x%x tr_now=0x%x type B=0x%x main=0x%x cr0=0x%x", b_runs, b_tr & 0xffff,
             (b_eflags >> 14) & 1, (b_cr0 >> 3) & 1, ebx_after, read_tr(), desc_type(TSS_B), desc_type(MAIN_TSS), cr0);
    clts();
}

static void test_call(void)
{
    __asm__ volatile("lcall $0x28, $0" ::: "memory");
    uint32_t fl = read_eflags();
    if (c_runs == 1 && (c_tr & 0xffff) == TSS_C && (c_eflags & 0x4000) && tss_c.link == MAIN_TSS && !(fl & 0x4000) &&
        desc_type(TSS_C) == 0x09 && desc_type(MAIN_TSS) == 0x0b && read_tr() == MAIN_TSS)
        pass("task_call_tss_iret_back_nt");
    else
        fail("task_call_tss_iret_back_nt", "runs=%u tr=0x%x nt in task=%u link=0x%x nt after=%u type C=0x%x main=0x%x",
             c_runs, c_tr & 0xffff, (c_eflags >> 14) & 1, tss_c.link, (fl >> 14) & 1, desc_type(TSS_C), desc_type(MAIN_TSS));
    /* Through the task gate: the task resumes after its IRET (its EIP was saved in its TSS). */
    __asm__ volatile("lcall $0x30, $0" ::: "memory");
    if (c_runs == 2 && (c_tr & 0xffff) == TSS_C && desc_type(TSS_C) == 0x09) pass("task_call_through_task_gate");
    else fail("task_call_through_task_gate", "runs=%u tr=0x%x type C=0x%x", c_runs, c_tr & 0xffff, desc_type(TSS_C));
    clts();
}

static void test_tss16(void)
{
    __asm__ volatile("lcall $0x48, $0" ::: "memory");
    if (t16_runs == 1 && (t16_tr & 0xffff) == TSS_16 && tss_16.link == MAIN_TSS && desc_type(TSS_16) == 0x01 && read_tr() == MAIN_TSS)
        pass("task_call_16bit_tss");
    else
        fail("task_call_16bit_tss", "runs=%u tr=0x%x link=0x%x type=0x%x", t16_runs, t16_tr & 0xffff, tss_16.link, desc_type(TSS_16));
    clts();
}

static void test_double_fault_task_gate(void)
{
    uint64_t saved = idt[13];
    idt[13] &= ~(1ull << 47); /* #GP gate not present: #GP -> #NP -> #DF */
    __asm__ volatile("movl $1f, df_fixup\n\t"
                     "movw %w0, %%ds\n"
                     "1:\tmovw $0x10, %%ax\n\tmovw %%ax, %%ds" : : "r"(0x3f8) : "eax", "memory");
    idt[13] = saved;
    if (df_runs == 1 && df_error == 0 && (df_tr & 0xffff) == TSS_DF && (df_eflags & 0x4000) && tss_df.link == MAIN_TSS &&
        desc_type(TSS_DF) == 0x09 && read_tr() == MAIN_TSS)
        pass("double_fault_through_task_gate");
    else
        fail("double_fault_through_task_gate", "runs=%u error=0x%x tr=0x%x nt=%u link=0x%x type=0x%x", df_runs, df_error, df_tr & 0xffff,
             (df_eflags >> 14) & 1, tss_df.link, desc_type(TSS_DF));
    clts();
}

static void test_checks(void)
{
    reset_exc();
    __asm__ volatile("movl $1f, fixup_eip\n\tljmp $0x40, $0\n1:" ::: "memory");
    expect("ts_tss_limit_below_67h", 10, TSS_SMALL);
    if (desc_type(TSS_SMALL) != 0x09) fail("ts_leaves_tss_available", "type 0x%x", desc_type(TSS_SMALL)); else pass("ts_leaves_tss_available");

    reset_exc();
    __asm__ volatile("movl $1f, fixup_eip\n\tljmp $0x18, $0\n1:" ::: "memory");
    expect("jmp_busy_tss_gp", 13, MAIN_TSS);

    /* IRET with NT = 1 whose link names an available (not busy) TSS: #TS(link). */
    reset_exc();
    main_tss.link = TSS_SPARE;
    __asm__ volatile("movl $1f, fixup_eip\n\t"
                     "pushfl\n\torl $0x4000, (%%esp)\n\tpopfl\n\t"
                     "iretl\n1:" ::: "memory");
    main_tss.link = 0;
    expect("iret_nt_link_not_busy_ts", 10, TSS_SPARE);
    if (read_eflags() & 0x4000) fail("iret_fault_nt_cleared", "NT still set"); else pass("iret_fault_nt_cleared");
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic; (void)mbi;
    serial_init();
    kprintf("cpu-tasks: hardware task switching\n");
    load_tables();
    test_jmp();
    test_call();
    test_tss16();
    test_double_fault_task_gate();
    test_checks();
    test_summary_exit("cpu-tasks");
}
