/*
 * bootinfo.h - what the boot sector (boot/boot.s) hands the kernel, at physical 0x1000.
 * The layout is fixed by boot.s: keep the two in step.
 */
#ifndef TEACHOS_BOOTINFO_H
#define TEACHOS_BOOTINFO_H
#include "types.h"

#define BOOTINFO_ADDR   0x1000
#define BOOTINFO_MAGIC  0x31534f54      /* 'TOS1' */
#define BI_FLAG_LBA     0x01            /* INT 13h AH=42h read at least one sector */
#define BI_FLAG_CHS     0x02            /* INT 13h AH=02h was needed */
#define BI_FLAG_MB      0x04            /* booted by a Multiboot loader, not our boot sector */
#define MULTIBOOT_MAGIC 0x2badb002      /* EAX from a Multiboot loader */

/* One E820 address range descriptor (ACPI spec, "INT 15H, E820H"). */
struct e820_entry {
    u64 base;
    u64 length;
    u32 type;                           /* 1 = usable RAM, 2 = reserved, 3 = ACPI, ... */
    u32 ext;                            /* ACPI 3.0 extended attributes */
} __attribute__((packed));

#define E820_RAM 1

struct bootinfo {
    u32 magic;
    u8 drive;                           /* BIOS drive number (0x80 = first hard disk) */
    u8 flags;
    u16 e820_count;
    u32 kernel_sectors;
    u32 reserved;
    struct e820_entry e820[32];
} __attribute__((packed));
#endif
