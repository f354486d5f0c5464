/*
 * cpu_asm.s - the assembly half of the cpu-selftest guest: exception stubs
 * (vectors 0-31) that build a struct frame and call exception_handler(),
 * ring transitions (run_user / int $0x80), the INT 0x81 handler that
 * records the stack the TSS gave it, the call-gate target, the SYSENTER
 * entry point, and the instruction sequences the tests need exact
 * addresses of (single step, breakpoints, faulting instructions).
 */
        .set KERNEL_DS, 0x10
        .set USER_CS,   0x1b
        .set USER_DS,   0x23

        .text
/* The exception stubs (isr0-isr31, isr_common, isr_stub_table) are in test/guests/lib/isrStubs.s. */

/* void run_user(void (*fn)(void)): call fn at CPL 3 on the user stack; back via int $0x80. */
        .globl  run_user
run_user:
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        movl    %esp, kernel_saved_esp
        movl    20(%esp), %eax
        movl    %eax, user_fn
        pushl   $USER_DS
        pushl   $user_stack_top
        pushfl
        pushl   $USER_CS
        pushl   $user_trampoline
        iretl
user_trampoline:
        movw    $USER_DS, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        call    *user_fn
        int     $0x80

        .globl  isr80
isr80:  movw    $KERNEL_DS, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movl    kernel_saved_esp, %esp
        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret

/* INT 0x81 from CPL 3: record the handler's SS:ESP and the frame the CPU pushed. */
        .globl  isr81
isr81:  movl    %esp, int81_esp
        movw    %ss, int81_ss
        pushl   %eax
        movl    4(%esp), %eax
        movl    %eax, int81_frame
        movl    8(%esp), %eax
        movl    %eax, int81_frame+4
        movl    12(%esp), %eax
        movl    %eax, int81_frame+8
        movl    16(%esp), %eax
        movl    %eax, int81_frame+12
        movl    20(%esp), %eax
        movl    %eax, int81_frame+16
        popl    %eax
        iretl

/* Call-gate target (CPL 0, 2 dword parameters): record SS:ESP, CS, the frame; lret $8. */
        .globl  gate_target
gate_target:
        movl    %esp, gate_esp
        movw    %ss, gate_ss
        movw    %cs, gate_cs
        pushl   %eax
        pushl   %ecx
        xorl    %ecx, %ecx
1:      movl    8(%esp,%ecx,4), %eax
        movl    %eax, gate_frame(,%ecx,4)
        incl    %ecx
        cmpl    $6, %ecx
        jne     1b
        popl    %ecx
        popl    %eax
        lret    $8

/* User code: push two parameters, far call through the gate (selector 0x33), record after return. */
        .globl  user_call_gate
user_call_gate:
        movl    %esp, user_esp_before
        pushl   $0x2222
        pushl   $0x1111
        lcall   $0x33, $0
        movl    %esp, user_esp_after
        movw    %cs, user_cs_after
        ret

/* SYSENTER from CPL 3 and SYSEXIT back. */
        .globl  user_sysenter
user_sysenter:
        movl    %esp, %ecx
        movl    $1f, %edx
        sysenter
1:      movw    %cs, user_cs_after
        movw    %ss, user_ss_after
        ret
        .globl  sysenter_entry
sysenter_entry:
        movl    %esp, sys_esp
        movw    %cs, sys_cs
        movw    %ss, sys_ss
        sysexit

/* Single step: TF is set by the popf; traps follow ss_1, ss_2 and ss_3. */
        .globl  single_step_code, ss_1, ss_2, ss_3, ss_end
single_step_code:
        pushfl
        orl     $0x100, (%esp)
        popfl
ss_1:   movl    $1, %eax
ss_2:   movl    $2, %eax
ss_3:   nop
ss_end: ret

/* Instruction breakpoint target and a data-breakpoint write. */
        .globl  bp_target, bp_after, dbp_write, dbp_after
bp_target:
        movl    $0x42, %eax
bp_after:
        ret
dbp_write:
        movl    $7, dbp_var
dbp_after:
        ret

/* Faulting instructions whose addresses the tests check (fault EIP = label). */
        .globl  user_hlt, user_cli, user_out, user_mov_cr3, user_load_kds, user_int82, user_int83
user_hlt:       hlt
                ret
user_cli:       cli
                ret
user_out:       outb    %al, $0x84      /* I/O bitmap bit set: #GP */
                ret
                .globl  user_out_ok
user_out_ok:    outb    %al, $0x80      /* I/O bitmap bit clear: allowed at CPL 3, IOPL 0 */
                ret
user_mov_cr3:   movl    %cr3, %eax
                ret
user_load_kds:  movw    $0x10, %ax
                movw    %ax, %ds
                ret
user_int82:     int     $0x82
                ret
user_int83:     int     $0x83
                ret
/* A push beyond the limit of a small DPL 3 stack segment (selector 0x7b, limit 0xfff): #SS(0) at the
   pushl (offset 16, 2 bytes); the fixup lands on the movw after it, which restores SS:ESP. */
        .globl  user_small_stack_push
user_small_stack_push:
        movl    %esp, small_saved_esp   /* 6 bytes */
        movw    $0x7b, %ax              /* 4 */
        movw    %ax, %ss                /* 2 */
        movl    $0x1002, %esp           /* 5: offset 12 */
        pushl   $0                      /* offset 17: 2 bytes (6a 00) */
        movw    $USER_DS, %ax
        movw    %ax, %ss
        movl    small_saved_esp, %esp
        ret

/* RF test: an instruction breakpoint on a load from a not-present page (rf_addr). */
        .globl  rf_target
rf_target:
        movl    rf_addr, %eax
        movl    (%eax), %eax
        ret
/* I/O breakpoint test: the OUT to port 0x80, then the label after it. */
        .globl  io_bp_out, io_bp_after
io_bp_out:
        outb    %al, $0x80
io_bp_after:
        ret

        .globl  user_int81
user_int81:
        movl    %esp, user_esp_before
        int     $0x81
        ret

        .bss
        .p2align 4
kernel_saved_esp: .long 0
user_fn:          .long 0
        .globl  int81_esp, int81_ss, int81_frame, gate_esp, gate_ss, gate_cs, gate_frame
        .globl  user_esp_before, user_esp_after, user_cs_after, user_ss_after, sys_esp, sys_cs, sys_ss, dbp_var
int81_esp:        .long 0
int81_ss:         .long 0
int81_frame:      .space 20
gate_esp:         .long 0
gate_ss:          .long 0
gate_cs:          .long 0
gate_frame:       .space 24
user_esp_before:  .long 0
user_esp_after:   .long 0
user_cs_after:    .long 0
user_ss_after:    .long 0
sys_esp:          .long 0
sys_cs:           .long 0
sys_ss:           .long 0
dbp_var:          .long 0
small_saved_esp:  .long 0
        .p2align 12
        .globl  user_stack_top
user_stack:       .space 8192
user_stack_top:
