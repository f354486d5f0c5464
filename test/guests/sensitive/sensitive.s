/*
 * sensitive - privileged, sensitive and faulting instructions for the debugger's exception filters
 * (GNU as, Multiboot v1). Each instruction of interest has a global label so tests can find it:
 *   sensitive-but-unprivileged (Popek-Goldberg holes): PUSHF, POPF, SGDT, SIDT, SLDT, SMSW, STR,
 *     LAR, LSL, VERR, VERW; none of them exits under this VMM's controls;
 *   privileged: MOV from CR0, MOV to CR0 (same value: no exit), RDMSR of IA32_SYSENTER_CS (exits),
 *     MOV to CR0 with PG and not PE (exits; the VMM injects #GP(0)), INVLPG (exits only with
 *     INVLPG exiting: shadow paging);
 *   guest exceptions through the guest IDT: INT3 (#BP), DIV by zero (#DE), a load of DS with the
 *     selector 0x18 beyond the GDT limit (#GP, error code 0x18). The handlers step over the
 *     faulting instruction and count; the guest prints "sensitive ok DE=1 BP=1 GP=2 PF=1\n" and exits
 *     with 0 (status 1).
 * QEMU TCG differs at badcr0_insn: it does not check CR0.PG without PE (real hardware raises #GP(0),
 * SDM Vol. 2 "MOV—Move to/from Control Registers"), loads that CR0 and crashes (status 0). Up to
 * there the fixture matches QEMU.
 */
        .include "guest.inc"

        MULTIBOOT_HEADER

        .set IDT_ENTRIES, 32

.macro GATE vector, handler
        movl    $\handler, %eax
        movw    %ax, idt + \vector * 8 + 0
        movw    $KERNEL_CS, idt + \vector * 8 + 2
        movw    $0x8e00, idt + \vector * 8 + 4
        shrl    $16, %eax
        movw    %ax, idt + \vector * 8 + 6
.endm

        .text
        .globl  _start
        .type   _start, @function
_start:
        BOOT
        call    serial_init
        GATE    0, de_handler
        GATE    3, bp_handler
        GATE    13, gp_handler
        GATE    14, pf_handler
        lidt    idt_desc

        .globl  pushf_insn, popf_insn, sgdt_insn, sidt_insn, sldt_insn, smsw_insn, str_insn
        .globl  lar_insn, lsl_insn, verr_insn, verw_insn
pushf_insn:
        pushfl
popf_insn:
        popfl
sgdt_insn:
        sgdt    gdt_copy
sidt_insn:
        sidt    idt_copy
sldt_insn:
        sldt    %ax
smsw_insn:
        smsw    %ax
str_insn:
        str     %ax
        movl    $KERNEL_CS, %ecx
lar_insn:
        larl    %ecx, %eax
lsl_insn:
        lsll    %ecx, %eax
verr_insn:
        verr    %cx
verw_insn:
        verw    %cx

        .globl  movfromcr0_insn, movtocr0_insn, rdmsr_insn, invlpg_insn
movfromcr0_insn:
        movl    %cr0, %eax
movtocr0_insn:
        movl    %eax, %cr0
        movl    $0x277, %ecx            /* IA32_PAT (the SYSENTER MSRs pass through the MSR bitmap) */
rdmsr_insn:
        rdmsr
        /* CR0.PG = 1 with PE = 0: the write exits (NE is host-owned) and the VMM injects #GP(0). */
        movl    %cr0, %eax
        orl     $0x80000020, %eax
        andl    $0xfffffffe, %eax
        movb    $3, gp_skip
        .globl  badcr0_insn
badcr0_insn:
        movl    %eax, %cr0              /* 0f 22 c0: 3 bytes */
invlpg_insn:
        invlpg  gdt_copy

        .globl  int3_insn, div_insn, gp_insn
int3_insn:
        int3
        xorl    %edx, %edx
        movl    $7, %eax
        xorl    %ecx, %ecx
div_insn:
        divl    %ecx                    /* f7 f1: #DE, the handler skips 2 bytes */
        movw    $0x18, %ax
        movb    $2, gp_skip
gp_insn:
        movw    %ax, %ds                /* 8e d8: #GP(0x18), the handler skips 2 bytes */

        /* Paging: one 4 MiB page (CR4.PSE) identity-maps 0-4 MiB; a read at 0x00800000 faults (#PF, error code 0). */
        movl    %cr4, %eax
        orl     $0x10, %eax
        movl    %eax, %cr4
        movl    $page_dir, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $0x80000000, %eax
        movl    %eax, %cr0
        jmp     1f
1:
        .globl  pf_insn
pf_insn:
        movl    0x00800000, %eax        /* a1 imm32: 5 bytes, the #PF handler skips them */

        movl    $ok_msg, %esi
        call    serial_puts
        movl    $de_msg, %esi
        call    serial_puts
        movb    de_count, %al
        addb    $'0', %al
        call    serial_putc
        movl    $bp_msg, %esi
        call    serial_puts
        movb    bp_count, %al
        addb    $'0', %al
        call    serial_putc
        movl    $gp_msg, %esi
        call    serial_puts
        movb    gp_count, %al
        addb    $'0', %al
        call    serial_putc
        movl    $pf_msg, %esi
        call    serial_puts
        movb    pf_count, %al
        addb    $'0', %al
        call    serial_putc
        movb    $'\n', %al
        call    serial_putc
        movb    $0, %al
        jmp     guest_exit
        .size   _start, . - _start

        .globl  de_handler, bp_handler, gp_handler, pf_handler
pf_handler:
        incb    pf_count
        addl    $4, %esp                /* error code */
        addl    $5, (%esp)
        iret
de_handler:
        incb    de_count
        addl    $2, (%esp)
        iret
bp_handler:
        incb    bp_count
        iret
gp_handler:
        incb    gp_count
        addl    $4, %esp                /* error code */
        pushl   %eax
        movzbl  gp_skip, %eax           /* length of the faulting instruction */
        addl    %eax, 4(%esp)
        popl    %eax
        iret

        .section .rodata
ok_msg: .asciz  "sensitive ok"
de_msg: .asciz  " DE="
bp_msg: .asciz  " BP="
gp_msg: .asciz  " GP="
pf_msg: .asciz  " PF="

        .data
de_count: .byte 0
bp_count: .byte 0
gp_count: .byte 0
gp_skip: .byte 2
pf_count: .byte 0
        .p2align 12
page_dir:
        .long   0x00000083              /* 0-4 MiB: present, writable, 4 MiB page */
        .fill   1023, 4, 0
        .p2align 3
gdt_copy: .fill 8, 1, 0
idt_copy: .fill 8, 1, 0
idt:
        .fill   IDT_ENTRIES * 8, 1, 0
        .p2align 2
        .word   0
idt_desc:
        .word   IDT_ENTRIES * 8 - 1
        .long   idt
