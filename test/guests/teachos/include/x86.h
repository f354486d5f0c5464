/*
 * x86.h - the handful of privileged instructions a kernel needs, as inline functions.
 * Each one is a single instruction; under a VMM several of them (out/in, mov to CR3, hlt)
 * are the "sensitive" ones that cause VM exits.
 */
#ifndef TEACHOS_X86_H
#define TEACHOS_X86_H
#include "types.h"

static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

/* rep insl / rep outsl: move `count` dwords between a port and memory (the IDE data port). */
static inline void insl(u16 port, void *addr, u32 count)
{
    __asm__ volatile("cld; rep insl" : "+D"(addr), "+c"(count) : "d"(port) : "memory", "cc");
}
static inline void outsl(u16 port, const void *addr, u32 count)
{
    __asm__ volatile("cld; rep outsl" : "+S"(addr), "+c"(count) : "d"(port) : "cc");
}

static inline u32 read_eflags(void) { u32 f; __asm__ volatile("pushfl; popl %0" : "=r"(f)); return f; }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
/* sti's one-instruction interrupt shadow makes "sti; hlt" atomic: no wakeup is lost between them. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

/* Atomic exchange: xchg with a memory operand is locked without a LOCK prefix (SDM Vol. 2B XCHG). */
static inline u32 xchg(volatile u32 *addr, u32 v)
{
    __asm__ volatile("xchgl %0, %1" : "+m"(*addr), "+r"(v) : : "memory");
    return v;
}

static inline u32 read_cr0(void) { u32 v; __asm__ volatile("movl %%cr0, %0" : "=r"(v)); return v; }
static inline void write_cr0(u32 v) { __asm__ volatile("movl %0, %%cr0" : : "r"(v) : "memory"); }
static inline u32 read_cr2(void) { u32 v; __asm__ volatile("movl %%cr2, %0" : "=r"(v)); return v; }
static inline u32 read_cr3(void) { u32 v; __asm__ volatile("movl %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(u32 v) { __asm__ volatile("movl %0, %%cr3" : : "r"(v) : "memory"); }
static inline void invlpg(u32 va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

struct pseudo_desc {
    u16 limit;
    u32 base;
} __attribute__((packed));

static inline void lgdt(void *base, u16 size)
{
    struct pseudo_desc d = { (u16)(size - 1), (u32)base };
    __asm__ volatile("lgdt %0" : : "m"(d));
}
static inline void lidt(void *base, u16 size)
{
    struct pseudo_desc d = { (u16)(size - 1), (u32)base };
    __asm__ volatile("lidt %0" : : "m"(d));
}
static inline void ltr(u16 sel) { __asm__ volatile("ltr %0" : : "r"(sel)); }
static inline u16 str(void) { u16 s; __asm__ volatile("str %0" : "=r"(s)); return s; }

#define FL_IF 0x200                     /* EFLAGS.IF */
#endif
