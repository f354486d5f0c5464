/*
 * boot.s - teachos boot sector (the 512 bytes the BIOS loads at 0x7c00).
 *
 * What a PC boot loader has to do before a 32-bit kernel can run, in order:
 *   1. set up segments and a stack (the BIOS guarantees only CS:IP = 0:7c00 and DL = drive)
 *   2. print a banner through the BIOS teletype service (INT 10h AH=0Eh)
 *   3. ask the BIOS for the physical memory map (INT 15h EAX=E820h) - the kernel cannot
 *      ask later: BIOS services are real-mode only
 *   4. enable the A20 gate (INT 15h AX=2401h, then "fast A20" port 0x92), or every odd MiB
 *      aliases the even one below it
 *   5. read the kernel from the disk with INT 13h AH=42h (LBA, disk address packet), falling
 *      back to AH=02h (cylinder/head/sector) on a BIOS without the extensions
 *   6. load a GDT, set CR0.PE, far-jump to 32-bit code (SDM Vol. 3A 9.9.1 "Switching to
 *      Protected Mode"), copy the kernel to 1 MiB and jump to it with EBX = boot info.
 *
 * The kernel is read to 0x10000 first because real-mode INT 13h can only address the first
 * MiB; the copy to 0x100000 happens once in protected mode. KERNEL_LBA and KERNEL_SECTORS
 * are passed by the build (as --defsym). The kernel starts at LBA 16, not 1: sectors 1-15 stay
 * empty (like the gap after a real MBR), which keeps the kernel's Multiboot header out of the
 * image's first 8 KiB, so no loader mistakes the disk image for a Multiboot kernel. Boot info (struct bootinfo in include/bootinfo.h) lives at 0x1000.
 */
        .code16
        .set BOOTINFO,      0x1000
        .set BI_MAGIC,      BOOTINFO + 0     /* 'TOS1' */
        .set BI_DRIVE,      BOOTINFO + 4
        .set BI_FLAGS,      BOOTINFO + 5     /* bit 0: LBA (AH=42h) used, bit 1: CHS used */
        .set BI_E820N,      BOOTINFO + 6
        .set BI_KSECT,      BOOTINFO + 8
        .set BI_E820,       BOOTINFO + 16    /* 24-byte entries, at most 32 */
        .set LOAD_SEG,      0x1000           /* kernel read to 0x10000 ... */
        .set KERNEL_PHYS,   0x100000         /* ... and copied here */
        .set SMAP,          0x534d4150

        .globl _start
_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp
        ljmp    $0, $1f                 /* some BIOSes enter at 07c0:0000: normalise CS */
1:      sti
        cld
        movb    %dl, BI_DRIVE
        movl    $0x31534f54, BI_MAGIC   /* 'TOS1' */
        movb    $0, BI_FLAGS
        movl    $KERNEL_SECTORS, BI_KSECT

        movw    $msg_banner, %si
        call    puts

/* ---- 3. E820 memory map (ACPI spec 15.1, "INT 15H, E820H") ---- */
        movw    $BI_E820, %di
        xorl    %ebx, %ebx
        xorw    %bp, %bp
e820_next:
        movl    $0xe820, %eax
        movl    $SMAP, %edx
        movl    $24, %ecx
        movl    $1, %es:20(%di)         /* ACPI 3.0 attributes: "valid" unless the BIOS says otherwise */
        int     $0x15
        jc      e820_done
        cmpl    $SMAP, %eax
        jne     e820_done
        incw    %bp
        addw    $24, %di
        testl   %ebx, %ebx
        jz      e820_done
        cmpw    $32, %bp
        jb      e820_next
e820_done:
        movw    %bp, BI_E820N

/* ---- 4. A20 ---- */
        movw    $0x2401, %ax
        int     $0x15
        inb     $0x92, %al
        orb     $0x02, %al
        andb    $0xfe, %al              /* bit 0 would reset the machine */
        outb    %al, $0x92

/* ---- 5. kernel: KERNEL_SECTORS sectors from KERNEL_LBA, one per call, to 0x10000 upward ---- */
        movb    $0x41, %ah              /* extensions present? (EDD 3.0) */
        movw    $0x55aa, %bx
        movb    BI_DRIVE, %dl
        int     $0x13
        jc      1f
        cmpw    $0xaa55, %bx
        jne     1f
        testb   $1, %cl                 /* bit 0: packet (AH=42h) interface supported */
        jz      1f
        movb    $1, use_lba
1:      movb    $0x08, %ah              /* geometry, for the CHS fallback */
        movb    BI_DRIVE, %dl
        xorw    %di, %di
        int     $0x13
        jc      2f
        andb    $0x3f, %cl
        movb    %cl, spt
        incb    %dh
        movb    %dh, heads
2:      xorw    %ax, %ax
        movw    %ax, %es
        movw    $KERNEL_SECTORS, %cx
read_loop:
        pushw   %cx
        cmpb    $0, use_lba
        je      read_chs
        movw    $1, dap_count
        movw    $dap, %si
        movb    $0x42, %ah
        movb    BI_DRIVE, %dl
        int     $0x13
        jnc     read_ok
read_chs:                               /* LBA -> C/H/S: S = lba % spt + 1, H = (lba / spt) % heads */
        orb     $2, BI_FLAGS
        movw    dap_lba, %ax
        xorw    %dx, %dx
        movzbw  spt, %bx
        divw    %bx
        movb    %dl, %cl
        incb    %cl
        xorw    %dx, %dx
        movzbw  heads, %bx
        divw    %bx
        movb    %dl, %dh                /* head */
        movb    %al, %ch                /* cylinder bits 0-7 */
        shlb    $6, %ah
        orb     %ah, %cl                /* cylinder bits 8-9 in CL 6-7 */
        movb    BI_DRIVE, %dl
        movw    dap_seg, %bx
        movw    %bx, %es
        xorw    %bx, %bx
        movw    $0x0201, %ax
        int     $0x13
        pushw   $0
        popw    %es
        jc      disk_error
        jmp     1f
read_ok:
        orb     $1, BI_FLAGS
1:      incw    dap_lba
        addw    $0x20, dap_seg          /* 512 bytes further */
        popw    %cx
        loop    read_loop

/* ---- 6. protected mode (SDM Vol. 3A 9.9.1) ---- */
        cli
        lgdt    gdt_desc
        movl    %cr0, %eax
        orl     $1, %eax                /* CR0.PE */
        movl    %eax, %cr0
        ljmp    $0x08, $pm32            /* loads CS from the new GDT, flushes the prefetch queue */

disk_error:
        movw    $msg_disk, %si
        call    puts
1:      hlt
        jmp     1b

/* puts: print the NUL-terminated string at DS:SI with INT 10h AH=0Eh */
puts:
        lodsb
        testb   %al, %al
        jz      1f
        movb    $0x0e, %ah
        xorw    %bx, %bx
        int     $0x10
        jmp     puts
1:      ret

        .code32
pm32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $0x7c00, %esp
        movl    $LOAD_SEG << 4, %esi
        movl    $KERNEL_PHYS, %edi
        movl    $KERNEL_SECTORS * 128, %ecx
        rep movsl
        movl    $BOOTINFO, %ebx
        movl    $KERNEL_PHYS, %eax
        jmp     *%eax

        .p2align 3
gdt:    .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: code, base 0, limit 4 GiB, 32-bit */
        .quad   0x00cf92000000ffff      /* 0x10: data, base 0, limit 4 GiB */
gdt_desc:
        .word   gdt_desc - gdt - 1
        .long   gdt

dap:    .byte   16, 0                   /* disk address packet (EDD 3.0) */
dap_count:
        .word   1
        .word   0                       /* buffer offset */
dap_seg:
        .word   LOAD_SEG
dap_lba:
        .quad   KERNEL_LBA
use_lba: .byte  0
spt:    .byte   63
heads:  .byte   16
msg_banner:
        .asciz  "teachos boot: loading kernel\r\n"
msg_disk:
        .asciz  "disk error\r\n"

        .org    510
        .word   0xaa55
