/*
 * memlayout.h - the teachos physical and virtual memory map.
 *
 * Physical (identity-mapped for the kernel, supervisor-only):
 *   0x00000000  page 0: left unmapped so a NULL dereference faults
 *   0x00001000  boot info from the boot sector (E820 map)
 *   0x00007c00  boot sector
 *   0x00008000  AP start-up trampoline (SIPI vector 0x08), copied here by the BSP
 *   0x00010000  kernel as read by the boot sector (then copied to 1 MiB)
 *   0x00100000  kernel image: .text .rodata .data, then the user programs' code (.utext),
 *               then .bss; free pages from the end of the kernel up to PHYS_TOP
 *   0xfec00000  I/O APIC, 0xfee00000 local APIC (uncached)
 * Per process (user, ring 3):
 *   0x40000000  user code (.utext), shared read-only by every process
 *   0x40400000  one private data page (struct udata)
 *   0x407ff000  one private stack page, growing down from 0x40800000
 */
#ifndef TEACHOS_MEMLAYOUT_H
#define TEACHOS_MEMLAYOUT_H

#define KERNEL_PHYS     0x00100000
#define PHYS_TOP        0x01000000      /* the kernel maps and allocates the first 16 MiB */
#define TRAMPOLINE_PA   0x00008000
#define LAPIC_PA        0xfee00000
#define IOAPIC_PA       0xfec00000

#define USER_TEXT       0x40000000
#define USER_DATA       0x40400000
#define USER_STACK_TOP  0x40800000
#define USER_BASE       USER_TEXT
#define USER_TOP        USER_STACK_TOP
#endif
