/*
 * trampoline.s - where an application processor (AP) starts. The BSP copies this code to
 * TRAMPOLINE_PA (0x8000) and sends INIT-SIPI-SIPI with vector 0x08 (SDM Vol. 3A 8.4.4.1):
 * the AP wakes in real mode at 0800:0000. Like the boot sector it loads a GDT and enters
 * protected mode, then it loads the kernel page directory, turns paging on, takes the stack
 * the BSP left in tramp_stack and calls tramp_entry (ap_main). Addresses are computed as
 * TRAMPOLINE_PA + (label - tramp_start) because the code runs at a different address than
 * the one it was linked at.
 */
        .set    TRAMP, 0x8000
        .set    CR0_PE, 0x00000001
        .set    CR0_PG_WP, 0x80010000

        .section .rodata
        .code16
        .globl  tramp_start
tramp_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        lgdtl   TRAMP + (tramp_gdt_desc - tramp_start)
        movl    %cr0, %eax
        orl     $CR0_PE, %eax
        movl    %eax, %cr0
        ljmpl   $0x08, $(TRAMP + (tramp32 - tramp_start))

        .code32
tramp32:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        xorw    %ax, %ax
        movw    %ax, %fs
        movw    %ax, %gs
        movl    TRAMP + (tramp_pgdir - tramp_start), %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $CR0_PG_WP, %eax
        movl    %eax, %cr0
        movl    TRAMP + (tramp_stack - tramp_start), %esp
        xorl    %ebp, %ebp
        call    *(TRAMP + (tramp_entry - tramp_start))
1:      hlt
        jmp     1b

        .p2align 3
tramp_gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      /* 0x08: flat code */
        .quad   0x00cf92000000ffff      /* 0x10: flat data */
tramp_gdt_desc:
        .word   23
        .long   TRAMP + (tramp_gdt - tramp_start)
        .p2align 2
        .globl  tramp_stack, tramp_entry, tramp_pgdir
tramp_stack:
        .long   0
tramp_entry:
        .long   0
tramp_pgdir:
        .long   0
        .globl  tramp_end
tramp_end:
