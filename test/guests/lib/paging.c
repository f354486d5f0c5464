/*
 * paging.c - identity-map the first 16 MiB with 4 KiB pages and enable
 * paging. The page directory and the four page tables live in .bss,
 * page-aligned. Every page is present, writable, supervisor.
 */
#include "guest.h"

#define PTE_P  0x001u
#define PTE_RW 0x002u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u

#define MAPPED_TABLES 4 /* 4 x 4 MiB = 16 MiB */

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[MAPPED_TABLES][1024] __attribute__((aligned(4096)));

void paging_enable_identity_16m(void)
{
    for (uint32_t t = 0; t < MAPPED_TABLES; t++)
        for (uint32_t i = 0; i < 1024; i++)
            page_tables[t][i] = ((t * 1024 + i) << 12) | PTE_P | PTE_RW;
    for (uint32_t i = 0; i < 1024; i++)
        page_directory[i] = i < MAPPED_TABLES ? (uint32_t)(uintptr_t)page_tables[i] | PTE_P | PTE_RW : 0;

    __asm__ volatile("mov %0, %%cr3" : : "r"(page_directory) : "memory");
    uint32_t cr0 = read_cr0() | CR0_PG | CR0_WP;
    __asm__ volatile("mov %0, %%cr0\n\t"
                     "jmp 1f\n"
                     "1:"
                     :
                     : "r"(cr0)
                     : "memory");
}
