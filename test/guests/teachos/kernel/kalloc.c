/*
 * kalloc.c - the physical page allocator: a free list threaded through the free pages
 * themselves, from the end of the kernel up to the end of RAM (at most PHYS_TOP, all
 * identity-mapped).
 */
#include "kernel.h"

struct run { struct run *next; };
static struct spinlock kmem_lock;
static struct run *freelist;
static u32 nfree;
static void free_page(void *p);

void kinit(u32 start, u32 end)
{
    initlock(&kmem_lock, "kmem");
    /* Free from the top down so kalloc() hands out ascending addresses (easier to read). */
    for (u32 pa = PGROUNDDOWN(end) - PGSIZE; pa >= PGROUNDUP(start); pa -= PGSIZE)
        free_page((void *)pa);
}

static void free_page(void *p)
{
    acquire(&kmem_lock);
    struct run *r = p;
    r->next = freelist;
    freelist = r;
    nfree++;
    release(&kmem_lock);
}

void kfree(void *p)
{
    memset(p, 0x5a, PGSIZE);            /* poison: a use after free shows up as 0x5a5a5a5a */
    free_page(p);
}

/* One zeroed 4 KiB page, or 0 when memory is exhausted. */
void *kalloc(void)
{
    acquire(&kmem_lock);
    struct run *r = freelist;
    if (r) { freelist = r->next; nfree--; }
    release(&kmem_lock);
    if (r) memset(r, 0, PGSIZE);
    return r;
}

u32 kfree_pages(void) { return nfree; }
