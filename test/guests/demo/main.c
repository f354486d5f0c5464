/*
 * demo - the product's demo guest (C + a small asm entry, Multiboot v1).
 *
 * entry.s has loaded the GDT and a stack; here we install an IDT for the
 * CPU exceptions 0-31, build identity page tables for the first 16 MiB,
 * turn paging on and run a few deterministic pieces of work, printing one
 * line each. Exit: 0 via isa-debug-exit (status 1); an unexpected CPU
 * exception N prints "exception N at EIP=0x..." and exits with 0x10 + N;
 * a wrong computed result prints "FAIL: ..." and exits with 1 (status 3).
 */
#include "guest.h"

#define PRIMES_BELOW      2000
#define EXPECTED_PRIMES   303
#define CRC_BUF_SIZE      4096
#define EXPECTED_CRC32    0x4641a512u
#define HC_CONSOLE_PUTC   1 /* vmcall: eax = 1, ebx = character */

/* ---- IDT ---- */

struct isr_frame {                                    /* built by lib/isrStubs.s */
    uint32_t es, ds;                                  /* pushed by isr_common */
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax; /* pushal */
    uint32_t vector, error;                           /* pushed by the stub */
    uint32_t eip, cs, eflags;                         /* pushed by the CPU */
};

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_high;
} __attribute__((packed));

struct idt_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

extern const uint32_t isr_stub_table[32];
extern const char vmcall_insn[];

static struct idt_gate idt[32] __attribute__((aligned(8)));

/* Set around the vmcall: on a machine without a hypercall interface
 * (real hardware, QEMU TCG) vmcall raises #UD; the handler then skips it. */
static volatile int vmcall_expect_ud;
static volatile int vmcall_raised_ud;

static void idt_install(void)
{
    for (int i = 0; i < 32; i++) {
        uint32_t handler = isr_stub_table[i];
        idt[i].offset_low = (uint16_t)(handler & 0xffff);
        idt[i].selector = 0x08;
        idt[i].zero = 0;
        idt[i].type_attr = 0x8e; /* present, DPL 0, 32-bit interrupt gate */
        idt[i].offset_high = (uint16_t)(handler >> 16);
    }
    struct idt_pointer p = { sizeof idt - 1, (uint32_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

static int has_error_code(uint32_t vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
           vector == 21 || vector == 29 || vector == 30;
}

void exception_handler(struct isr_frame *f);
void exception_handler(struct isr_frame *f)
{
    if (f->vector == 6 && vmcall_expect_ud && f->eip == (uint32_t)(uintptr_t)vmcall_insn) {
        vmcall_raised_ud = 1;
        f->eip += 3; /* vmcall is 0f 01 c1 */
        f->eax = 0xffffffffu;
        return;
    }
    kprintf("exception %u at EIP=0x%08x", f->vector, f->eip);
    if (has_error_code(f->vector))
        kprintf(" error=0x%x", f->error);
    if (f->vector == 14)
        kprintf(" CR2=0x%08x", read_cr2());
    kprintf("\n");
    guest_exit(0x10 + f->vector);
}

/* ---- work ---- */

static void print_reg_chars(uint32_t r)
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(r >> (8 * i));
        serial_putc(c >= 0x20 && c < 0x7f ? c : '.');
    }
}

static void demo_fail(const char *what)
{
    kprintf("FAIL: %s\n", what);
    guest_exit(1);
}

static uint8_t composite[PRIMES_BELOW];

static uint32_t count_primes(void)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < PRIMES_BELOW; i++)
        composite[i] = i < 2;
    for (uint32_t i = 2; i * i < PRIMES_BELOW; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j < PRIMES_BELOW; j += i)
                composite[j] = 1;
    for (uint32_t i = 0; i < PRIMES_BELOW; i++)
        n += !composite[i];
    return n;
}

static uint8_t crc_buf[CRC_BUF_SIZE];

static uint32_t crc32(const uint8_t *p, uint32_t len)
{
    uint32_t crc = 0xffffffffu;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

__attribute__((noinline)) static uint32_t hypercall1(uint32_t nr, uint32_t arg)
{
    uint32_t ret;
    __asm__ volatile(".globl vmcall_insn\n"
                     "vmcall_insn:\n\t"
                     "vmcall"
                     : "=a"(ret)
                     : "a"(nr), "b"(arg)
                     : "memory");
    return ret;
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    idt_install();
    paging_enable_identity_16m();

    kprintf("vmm-debug demo guest\n");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        demo_fail("bad multiboot magic");
    kprintf("demo: multiboot ok, paging on, CR3=0x%08x\n", read_cr3());
    if (mbi->flags & MULTIBOOT_INFO_MEMORY)
        kprintf("multiboot: mem_lower=%u KiB mem_upper=%u KiB\n", mbi->mem_lower, mbi->mem_upper);

    struct cpuid_regs r = cpuid(0, 0);
    kprintf("cpuid.0: max=0x%08x vendor=", r.eax);
    print_reg_chars(r.ebx);
    print_reg_chars(r.edx);
    print_reg_chars(r.ecx);
    kprintf("\n");

    r = cpuid(1, 0);
    kprintf("cpuid.1: eax=0x%08x\n", r.eax);

    r = cpuid(0x40000000u, 0);
    kprintf("cpuid.40000000: max=0x%08x vendor=", r.eax);
    if (r.ebx == 0 && r.ecx == 0 && r.edx == 0) {
        kprintf("(none)");
    } else {
        print_reg_chars(r.ebx);
        print_reg_chars(r.ecx);
        print_reg_chars(r.edx);
    }
    kprintf("\n");

    uint32_t primes = count_primes();
    kprintf("primes below %u: %u\n", PRIMES_BELOW, primes);
    if (primes != EXPECTED_PRIMES)
        demo_fail("prime count");

    uint32_t x = 1;
    for (uint32_t i = 0; i < CRC_BUF_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        crc_buf[i] = (uint8_t)(x >> 16);
    }
    uint32_t crc = crc32(crc_buf, CRC_BUF_SIZE);
    kprintf("crc32(4 KiB): 0x%08x\n", crc);
    if (crc != EXPECTED_CRC32)
        demo_fail("crc32");

    /* Whatever the hypercall prints lands between the brackets. */
    kprintf("vmcall putc: [");
    vmcall_expect_ud = 1;
    uint32_t ret = hypercall1(HC_CONSOLE_PUTC, '!');
    vmcall_expect_ud = 0;
    if (vmcall_raised_ud)
        kprintf("] #UD (no hypercall interface)\n");
    else
        kprintf("] eax=0x%08x\n", ret);

    kprintf("demo done\n");
    guest_exit(0);
}
