/*
 * entry.s - Multiboot v1 entry for the C guest fixtures.
 * On entry (Multiboot): EAX = 0x2BADB002, EBX = multiboot info, flat
 * protected mode, paging off, interrupts off, no stack.
 * Loads the GDT (code 0x08, data 0x10), sets a 16 KiB stack, zeroes .bss
 * then calls kmain(magic, mbi) with EBP = 0 (end of the frame chain).
 */
        .include "guest.inc"

        MULTIBOOT_HEADER
        BOOT_DATA                       /* gdt, gdt_desc, stack_top */

        .section .text.start, "ax"
        .globl  _start
        .type   _start, @function
_start:
        cli
        cld
        movl    $stack_top, %esp        /* Multiboot leaves no stack */
        lgdt    gdt_desc                /* code 0x08, data 0x10 */
        ljmp    $KERNEL_CS, $reload_cs  /* reload CS from our GDT */
reload_cs:
        movw    $KERNEL_DS, %cx         /* keep %eax (magic), %ebx (mbi) */
        movw    %cx, %ds
        movw    %cx, %es
        movw    %cx, %fs
        movw    %cx, %gs
        movw    %cx, %ss
        movl    $stack_top, %esp

        movl    %eax, %esi              /* keep the magic: stos needs %eax */
        movl    $__bss_start, %edi      /* zero .bss; the stack lives there */
        movl    $__bss_end, %ecx        /* but nothing is on it yet */
        subl    %edi, %ecx
        shrl    $2, %ecx
        xorl    %eax, %eax
        rep stosl

        xorl    %ebp, %ebp
        pushl   %ebx                    /* mbi */
        pushl   %esi                    /* magic */
        call    kmain
        movb    $0x7f, %al              /* kmain never returns */
        outb    %al, $DEBUG_EXIT
1:      cli
        hlt
        jmp     1b
        .size   _start, . - _start
