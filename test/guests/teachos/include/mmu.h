/*
 * mmu.h - IA-32 segmentation and 32-bit paging constants (SDM Vol. 3A ch. 3, 4.3, 6.11, 7.2).
 */
#ifndef TEACHOS_MMU_H
#define TEACHOS_MMU_H
#include "types.h"

/* GDT layout. Selector = index * 8 | RPL. One TSS descriptor per CPU, from SEG_TSS0 on. */
#define SEG_KCODE   1
#define SEG_KDATA   2
#define SEG_UCODE   3
#define SEG_UDATA   4
#define SEG_TSS0    5
#define KCODE_SEL   (SEG_KCODE << 3)
#define KDATA_SEL   (SEG_KDATA << 3)
#define UCODE_SEL   ((SEG_UCODE << 3) | 3)
#define UDATA_SEL   ((SEG_UDATA << 3) | 3)

/* Segment descriptor (SDM Vol. 3A 3.4.5, Figure 3-8). */
struct segdesc {
    u16 limit_lo;
    u16 base_lo;
    u8 base_mid;
    u8 access;                          /* P, DPL, S, type */
    u8 flags_limit_hi;                  /* G, D/B, L, AVL, limit 19:16 */
    u8 base_hi;
} __attribute__((packed));

/* Gate descriptor (SDM Vol. 3A 6.11, Figure 6-2). */
struct gatedesc {
    u16 off_lo;
    u16 sel;
    u8 zero;
    u8 type_attr;                       /* P, DPL, 0, type (0xE interrupt gate, 0xF trap gate) */
    u16 off_hi;
} __attribute__((packed));

/* 32-bit task-state segment (SDM Vol. 3A 7.2.1, Figure 7-2). Only SS0:ESP0 matter here:
 * the stack the CPU switches to on an interrupt or int 0x80 from ring 3. */
struct tss {
    u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u32 es, cs, ss, ds, fs, gs, ldt;
    u16 trap, iomap_base;
} __attribute__((packed));

/* Paging (SDM Vol. 3A 4.3, Tables 4-5 and 4-6). */
#define PGSIZE      4096
#define PTE_P       0x001               /* present */
#define PTE_W       0x002               /* writable */
#define PTE_U       0x004               /* user (CPL 3) may access */
#define PTE_PWT     0x008
#define PTE_PCD     0x010               /* cache disable: for MMIO */
#define PTE_ADDR(e) ((e) & ~0xfffu)
#define PDX(va)     (((u32)(va) >> 22) & 0x3ff)
#define PTX(va)     (((u32)(va) >> 12) & 0x3ff)
#define PGROUNDUP(a)   (((u32)(a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((u32)(a) & ~(PGSIZE - 1))

#define CR0_PE      0x00000001
#define CR0_WP      0x00010000          /* supervisor writes honour read-only pages */
#define CR0_PG      0x80000000

/* #PF error code bits (SDM Vol. 3A 4.7, Figure 4-12). */
#define PF_P        0x1                 /* 0: not present, 1: protection violation */
#define PF_W        0x2                 /* the access was a write */
#define PF_U        0x4                 /* the access came from CPL 3 */

typedef u32 pte_t;
typedef u32 pde_t;
#endif
