/*
 * ptchurn - the page-table-heavy benchmark guest (C, Multiboot v1): fork-like
 * address-space churn, the workload where shadow paging and EPT differ most.
 *
 * The kernel maps the first 16 MiB (4 shared kernel page tables, supervisor).
 * Each round "forks" one of four processes: it builds that process's page
 * directory afresh (clear it, copy the kernel PDEs), fills two private page
 * tables mapping a user window at 1 GiB (0x40000000) onto frames of a pool at
 * 8 MiB (which frames rotates with the round), switches CR3 to it, writes and
 * reads back 64 user pages, changes one PTE (an mprotect-like INVLPG), reads
 * CR3 back, and returns to the kernel's address space. Every value written
 * through the user window is checked through the kernel's identity map.
 * Prints a checksum and exits 0 (status 1); a mismatch exits 1 (status 3).
 */
#include "guest.h"

#define P  0x001u
#define RW 0x002u
#define US 0x004u
#define ROUNDS 160u
#define PROCS 4u
#define USER_PDE 256u            /* 0x40000000 >> 22 */
#define USER_BASE 0x40000000u
#define POOL_PHYS 0x00800000u    /* 8 MiB: 1024 frames of user memory */
#define TOUCH 64u

static uint32_t kernel_pd[1024] __attribute__((aligned(4096)));
static uint32_t kernel_pt[4][1024] __attribute__((aligned(4096)));
static uint32_t proc_pd[PROCS][1024] __attribute__((aligned(4096)));
static uint32_t proc_pt[PROCS][2][1024] __attribute__((aligned(4096)));

static void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

void fork_process(uint32_t p, uint32_t round);
void fork_process(uint32_t p, uint32_t round)
{
    uint32_t *pd = proc_pd[p];
    for (uint32_t i = 0; i < 1024; i++) pd[i] = 0;
    for (uint32_t i = 0; i < 4; i++) pd[i] = kernel_pd[i];
    for (uint32_t t = 0; t < 2; t++) {
        uint32_t *pt = proc_pt[p][t];
        for (uint32_t i = 0; i < 1024; i++) {
            uint32_t frame = POOL_PHYS + (((t * 1024 + i) * 7 + round * 13) & 1023) * 4096;
            pt[i] = frame | P | RW | US;
        }
        pd[USER_PDE + t] = (uint32_t)(uintptr_t)pt | P | RW | US;
    }
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic; (void)mbi;
    serial_init();
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t i = 0; i < 1024; i++) kernel_pt[t][i] = ((t * 1024 + i) << 12) | P | RW;
    for (uint32_t i = 0; i < 1024; i++) kernel_pd[i] = i < 4 ? (uint32_t)(uintptr_t)kernel_pt[i] | P | RW : 0;
    write_cr3((uint32_t)(uintptr_t)kernel_pd);
    __asm__ volatile("mov %0, %%cr0\n\tjmp 1f\n1:" : : "r"(read_cr0() | 0x80010000u) : "memory");
    kprintf("ptchurn: %u rounds, %u processes, %u pages touched per round\n", ROUNDS, PROCS, TOUCH);

    uint32_t sum = 0, bad = 0;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        uint32_t p = round % PROCS;
        fork_process(p, round);
        write_cr3((uint32_t)(uintptr_t)proc_pd[p]);
        if (read_cr3() != (uint32_t)(uintptr_t)proc_pd[p]) bad++;
        for (uint32_t k = 0; k < TOUCH; k++) {
            volatile uint32_t *va = (volatile uint32_t *)(uintptr_t)(USER_BASE + k * 4096u * 17u % (2048u * 4096u) + (k & 7) * 4);
            *va = round * 0x10001u + k;
        }
        for (uint32_t k = 0; k < TOUCH; k++) {
            volatile uint32_t *va = (volatile uint32_t *)(uintptr_t)(USER_BASE + k * 4096u * 17u % (2048u * 4096u) + (k & 7) * 4);
            sum = sum * 31u + *va;
        }
        /* mprotect-like: remap page 0 of the window to another frame, INVLPG, read through it. */
        uint32_t old = proc_pt[p][0][0];
        proc_pt[p][0][0] = (POOL_PHYS + 1023u * 4096u) | P | RW | US;
        invlpg(USER_BASE);
        *(volatile uint32_t *)(uintptr_t)USER_BASE = round;
        proc_pt[p][0][0] = old;
        invlpg(USER_BASE);
        write_cr3((uint32_t)(uintptr_t)kernel_pd);
        /* Check through the identity map what the process wrote through its own tables. */
        if (*(volatile uint32_t *)(uintptr_t)(POOL_PHYS + 1023u * 4096u) != round) bad++;
        uint32_t k = round % TOUCH;
        uint32_t va = USER_BASE + k * 4096u * 17u % (2048u * 4096u) + (k & 7) * 4;
        uint32_t pte = proc_pt[p][(va >> 22) - USER_PDE][(va >> 12) & 1023];
        if (!(pte & 0x40u)) bad++; /* the dirty bit reached the guest's PTE */
        uint32_t phys = (pte & ~0xfffu) | (va & 0xfffu);
        if (*(volatile uint32_t *)(uintptr_t)phys != round * 0x10001u + k) bad++;
    }
    kprintf("ptchurn: checksum 0x%08x, %u mismatches\n", sum, bad);
    if (bad) { kprintf("FAIL\n"); guest_exit(1); }
    kprintf("ptchurn done\n");
    guest_exit(0);
}
