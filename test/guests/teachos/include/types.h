/* types.h - fixed-width integer types for a freestanding kernel (no libc). */
#ifndef TEACHOS_TYPES_H
#define TEACHOS_TYPES_H
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef u32 uintptr;
#define NULL ((void *)0)
#endif
