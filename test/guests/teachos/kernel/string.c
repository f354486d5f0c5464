/* string.c - the few libc routines the kernel uses (gcc may also call memset/memcpy itself).
 * memset and memcpy are one string instruction each (rep stosb / rep movsb): a whole page in
 * one instruction, which an emulator or VMM can execute as a block. */
#include "kernel.h"

void *memset(void *d, int c, u32 n)
{
    void *r = d;
    __asm__ volatile("cld; rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory", "cc");
    return r;
}

void *memcpy(void *d, const void *s, u32 n)
{
    void *r = d;
    __asm__ volatile("cld; rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory", "cc");
    return r;
}

int memcmp(const void *a, const void *b, u32 n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

u32 strlen(const char *s)
{
    u32 n = 0;
    while (s[n]) n++;
    return n;
}
