/*
 * entry.s - the kernel's first instructions, at physical 0x100000 (the boot sector jumps here
 * in flat 32-bit protected mode, paging off, interrupts off, EBX = boot info).
 * Zero .bss (the boot sector copied only the file image), take a stack, call kmain(bootinfo).
 */
        .section .text.entry, "ax"
        .globl  _start
_start:
        cld
        movl    %ebx, %edx
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb
        movl    $boot_stack_top, %esp
        xorl    %ebp, %ebp              /* end of the frame-pointer chain for the debugger */
        pushl   %edx
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
