/*
 * guest.h - tiny freestanding helpers shared by the C guest fixtures:
 * port I/O, COM1 serial output, a printf-like kprintf, isa-debug-exit,
 * CPUID and control registers, identity-mapped paging.
 *
 * Guest conventions (see test/guests/README.md):
 *   COM1 16550 at 0x3f8, polled on LSR (0x3fd) bit 5 (THR empty).
 *   isa-debug-exit at 0xf4: writing v ends the VM with status (v << 1) | 1.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define COM1_PORT       0x3f8
#define DEBUG_EXIT_PORT 0xf4

/* ---- port I/O ---- */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* ---- CPU ---- */
struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}
static inline uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
static inline uint32_t read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
static inline uint32_t read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

/* ---- Multiboot v1 (the part the fixtures read) ---- */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_INFO_MEMORY      0x00000001u
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower; /* KiB below 1 MiB, valid if flags bit 0 */
    uint32_t mem_upper; /* KiB above 1 MiB, valid if flags bit 0 */
};

/* ---- guest.c ---- */
void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
/* %c %s %d %u %x %p %%, optional '0' flag and width: "%08x". */
void kvprintf(const char *fmt, va_list ap);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes `value` to isa-debug-exit: exit status (value << 1) | 1. */
__attribute__((noreturn)) void guest_exit(uint32_t value);

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

/* ---- results.c (linked into the self-test fixtures: cpu-selftest, cpu-tasks, exits) ---- */
/* "PASS name" or "FAIL name: detail" lines on COM1, counted; test_summary_exit prints
 * "<guest>: N passed, M failed" and exits 0 when none failed. */
extern int test_passes, test_failures;
void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define CHECK(name, cond, ...) do { if (cond) pass(name); else fail(name, __VA_ARGS__); } while (0)
__attribute__((noreturn)) void test_summary_exit(const char *guest);

/* ---- paging.c ---- */
/* Identity-maps the first 16 MiB with 4 KiB pages (page directory and
 * page tables in .bss) and turns on CR0.PG | CR0.WP. */
void paging_enable_identity_16m(void);

/* ---- entry.s: the C fixtures' entry point calls this ---- */
__attribute__((noreturn)) void kmain(uint32_t magic, const struct multiboot_info *mbi);

#endif
