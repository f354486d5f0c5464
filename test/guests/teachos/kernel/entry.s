/*
 * entry.s - the kernel's first instructions, at physical 0x100000. Two ways in, both in flat
 * 32-bit protected mode with paging and interrupts off:
 *   - from our boot sector (boot/boot.s): EBX = boot info at 0x1000
 *   - from a Multiboot loader (QEMU -kernel, vmm-debug run teachos.elf): EAX = 0x2BADB002,
 *     EBX = Multiboot information (so the ELF with its DWARF can be booted directly)
 * Zero .bss (neither loader clears it here), take a stack, call kmain(magic, info).
 */
        .set    MB_MAGIC, 0x1badb002
        .set    MB_FLAGS, 0x00000003    /* page-align modules, memory info (incl. the mmap) */

        .section .text.entry, "ax"
        .globl  _start
_start:
        jmp     1f
        .p2align 2
multiboot_header:                       /* Multiboot 0.6.96 section 3.1.1: in the first 8 KiB */
        .long   MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
1:      cld
        movl    %ebx, %edx
        movl    %eax, %esi
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb
        movl    $boot_stack_top, %esp
        xorl    %ebp, %ebp              /* end of the frame-pointer chain for the debugger */
        pushl   %edx
        pushl   %esi
        call    kmain
1:      cli
        hlt
        jmp     1b

        .bss
        .p2align 12
boot_stack:
        .space  8192
        .globl  boot_stack_top
boot_stack_top:
