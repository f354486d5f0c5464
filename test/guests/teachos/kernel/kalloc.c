/*
 * kalloc.c - the physical page allocator, from the end of the kernel up to the end of RAM (at
 * most PHYS_TOP, all identity-mapped). Pages never handed out yet are taken in address order
 * from [fresh, fresh_end); freed pages go on a free list threaded through the pages themselves.
 * (Threading every page onto the list at boot would touch all of RAM: under a VMM each first
 * touch of a page is an EPT violation or a shadow page fault.)
 */
#include "kernel.h"

struct run { struct run *next; };
static struct spinlock kmem_lock;
static struct run *freelist;
static u32 fresh, fresh_end;
static u32 nfree;

void kinit(u32 start, u32 end)
{
    initlock(&kmem_lock, "kmem");
    fresh = PGROUNDUP(start);
    fresh_end = PGROUNDDOWN(end);
    nfree = fresh < fresh_end ? (fresh_end - fresh) / PGSIZE : 0;
}

void kfree(void *p)
{
    memset(p, 0x5a, PGSIZE);            /* poison: a use after free shows up as 0x5a5a5a5a */
    acquire(&kmem_lock);
    struct run *r = p;
    r->next = freelist;
    freelist = r;
    nfree++;
    release(&kmem_lock);
}

/* One zeroed 4 KiB page, or 0 when memory is exhausted. */
void *kalloc(void)
{
    acquire(&kmem_lock);
    void *page = 0;
    if (freelist) {
        page = freelist;
        freelist = freelist->next;
    } else if (fresh < fresh_end) {
        page = (void *)fresh;
        fresh += PGSIZE;
    }
    if (page) nfree--;
    release(&kmem_lock);
    if (page) memset(page, 0, PGSIZE);
    return page;
}

u32 kfree_pages(void) { return nfree; }
