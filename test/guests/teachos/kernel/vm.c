/*
 * vm.c - paging (SDM Vol. 3A 4.3, 32-bit paging with 4 KiB pages).
 *
 * The kernel page directory maps physical addresses 0..PHYS_TOP at the same virtual addresses
 * (supervisor only) and the two APIC pages uncached. Every process gets its own page
 * directory: the kernel's page directory entries copied in (so the kernel's page tables are
 * shared, and the kernel runs unchanged after a CR3 switch), plus its user pages at
 * 0x40000000 and up (include/memlayout.h) with the U bit set.
 */
#include "kernel.h"
#include "x86.h"
#include "memlayout.h"

pde_t *kpgdir;
extern char __utext_start[], __utext_end[], __utext_lma[];

/* The page-table entry for va, creating the page table if alloc (0 if absent). */
pte_t *walk_pgdir(pde_t *pgdir, u32 va, int alloc)
{
    pde_t *pde = &pgdir[PDX(va)];
    pte_t *pt;
    if (*pde & PTE_P) {
        pt = (pte_t *)PTE_ADDR(*pde);
    } else {
        if (!alloc || !(pt = kalloc())) return 0;
        /* Permissions are the AND of PDE and PTE bits: make the PDE permissive,
         * let each PTE decide (SDM Vol. 3A 4.6.1). */
        *pde = (u32)pt | PTE_P | PTE_W | PTE_U;
    }
    return &pt[PTX(va)];
}

int map_page(pde_t *pgdir, u32 va, u32 pa, u32 perm)
{
    pte_t *pte = walk_pgdir(pgdir, va, 1);
    if (!pte) return -1;
    if (*pte & PTE_P) panic("map_page: remap of %p", va);
    *pte = PTE_ADDR(pa) | perm | PTE_P;
    return 0;
}

void kvm_init(void)
{
    kpgdir = kalloc();
    if (!kpgdir) panic("kvm_init: out of memory");
    /* Page 0 stays unmapped so a NULL pointer dereference faults. */
    for (u32 pa = PGSIZE; pa < PHYS_TOP; pa += PGSIZE)
        if (map_page(kpgdir, pa, pa, PTE_W) < 0) panic("kvm_init: out of memory");
    map_page(kpgdir, ioapic_pa, ioapic_pa, PTE_W | PTE_PCD | PTE_PWT);
    map_page(kpgdir, lapic_pa, lapic_pa, PTE_W | PTE_PCD | PTE_PWT);
    /* Kernel page tables must not be reachable from ring 3: clear U in the kernel PDEs. */
    for (int i = 0; i < 1024; i++)
        if (kpgdir[i] & PTE_P) kpgdir[i] &= ~PTE_U;
}

void paging_enable(void)
{
    write_cr3((u32)kpgdir);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

void switch_kvm(void) { write_cr3((u32)kpgdir); }

/* Run p next on this CPU: its kernel stack for ring 3 -> 0 transitions, its address space. */
void switch_uvm(struct proc *p)
{
    push_cli();
    struct cpu *c = mycpu();
    c->tss.ss0 = KDATA_SEL;
    c->tss.esp0 = (u32)p->kstack + KSTACK_SIZE;
    write_cr3((u32)p->pgdir);
    pop_cli();
}

/*
 * A new process address space: kernel PDEs, the shared user code read-only at USER_TEXT
 * (the physical pages of .utext inside the kernel image), one private data page and one
 * private stack page. *data_pa receives the data page's physical address.
 */
pde_t *setup_uvm(u32 *data_pa)
{
    pde_t *pgdir = kalloc();
    if (!pgdir) return 0;
    for (int i = 0; i < 1024; i++) pgdir[i] = kpgdir[i];
    u32 text_size = PGROUNDUP(__utext_end - __utext_start);
    for (u32 off = 0; off < text_size; off += PGSIZE)
        if (map_page(pgdir, USER_TEXT + off, (u32)__utext_lma + off, PTE_U) < 0) return 0;
    void *data = kalloc(), *stack = kalloc();
    if (!data || !stack) return 0;
    map_page(pgdir, USER_DATA, (u32)data, PTE_U | PTE_W);
    map_page(pgdir, USER_STACK_TOP - PGSIZE, (u32)stack, PTE_U | PTE_W);
    *data_pa = (u32)data;
    return pgdir;
}

/* Is [va, va+len) user memory that ring 3 may read in this address space? */
int user_range_ok(pde_t *pgdir, u32 va, u32 len)
{
    if (va < USER_BASE || va >= USER_TOP || len > USER_TOP - va) return 0;
    for (u32 a = PGROUNDDOWN(va); a < va + len; a += PGSIZE) {
        pte_t *pte = walk_pgdir(pgdir, a, 0);
        if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U)) return 0;
    }
    return 1;
}

/*
 * Free a process address space made by setup_uvm: its private pages (the writable user
 * mappings), the page tables of its user PDEs, and the page directory. The shared code pages
 * (read-only, inside the kernel image) and the kernel's page tables (the PDEs copied from
 * kpgdir) stay. Nobody may run on pgdir any more.
 */
void free_uvm(pde_t *pgdir)
{
    for (int i = 0; i < 1024; i++) {
        if (!(pgdir[i] & PTE_P) || pgdir[i] == kpgdir[i]) continue;
        pte_t *pt = (pte_t *)PTE_ADDR(pgdir[i]);
        for (int j = 0; j < 1024; j++)
            if ((pt[j] & (PTE_P | PTE_W)) == (PTE_P | PTE_W)) kfree((void *)PTE_ADDR(pt[j]));
        kfree(pt);
    }
    kfree(pgdir);
}
