/*
 * trampoline.s - application-processor start-up for the smp fixture.
 *
 * trampoline_start..trampoline_end is copied by the BSP to TRAMPOLINE_BASE
 * (0x8000, below 1 MiB) and started with INIT-SIPI-SIPI (SIPI vector 0x08):
 * the AP begins in real mode at 0800:0000. It loads a flat GDT, sets CR0.PE
 * and far-jumps to ap_pm32 (32-bit code in the kernel image), which takes a
 * stack slot with LOCK XADD and calls ap_main().
 * Everything inside the trampoline is addressed as TRAMPOLINE_BASE + offset.
 */
        .set TRAMPOLINE_BASE, 0x8000
        .set KERNEL_CS, 0x08
        .set KERNEL_DS, 0x10
        .set AP_STACK_SIZE, 4096

        .text
        .globl  trampoline_start, trampoline_end, ap_pm32
        .code16
trampoline_start:
        cli
        cld
        xorw    %ax, %ax
        movw    %ax, %ds                /* real-mode segment loads: flat 0 */
        movw    %ax, %ss
        lgdtl   TRAMPOLINE_BASE + (tramp_gdt_desc - trampoline_start)
        movl    %cr0, %eax
        orl     $1, %eax                /* CR0.PE */
        movl    %eax, %cr0
        ljmpl   $KERNEL_CS, $ap_pm32
        .p2align 3
tramp_gdt:
        .quad   0x0000000000000000
        .quad   0x00cf9b000000ffff      /* 0x08: code, flat, 32-bit */
        .quad   0x00cf93000000ffff      /* 0x10: data, flat */
tramp_gdt_end:
        .word   0
tramp_gdt_desc:
        .word   tramp_gdt_end - tramp_gdt - 1
        .long   TRAMPOLINE_BASE + (tramp_gdt - trampoline_start)
trampoline_end:

        .code32
        .type   ap_pm32, @function
ap_pm32:
        movw    $KERNEL_DS, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    $1, %eax
        lock xaddl %eax, ap_slot        /* this AP's stack slot */
        incl    %eax
        shll    $12, %eax
        addl    $ap_stacks, %eax
        movl    %eax, %esp
        xorl    %ebp, %ebp
        call    ap_main
1:      cli
        hlt
        jmp     1b
        .size   ap_pm32, . - ap_pm32

        .data
        .p2align 2
        .globl  ap_slot
ap_slot:
        .long   0

        .bss
        .p2align 12
        .globl  ap_stacks
ap_stacks:
        .skip   AP_STACK_SIZE * 8

/* Interrupt stubs: count, EOI to the local APIC, return. */
        .text
        .set LAPIC_EOI, 0xfee000b0
.macro STUB name, counter
        .globl  \name
        .type   \name, @function
\name:
        lock incl \counter
        movl    $0, LAPIC_EOI
        iret
        .size   \name, . - \name
.endm
        STUB    isr_lapic_timer, lapic_ticks
        STUB    isr_oneshot, oneshot_fired
        STUB    isr_ipi, ipi_count
        STUB    isr_ioapic_pit, pit_ticks
        .globl  isr_spurious
isr_spurious:
        iret
