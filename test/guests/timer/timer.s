/*
 * timer - interrupts from the PC platform (GNU as, Multiboot v1).
 * Remaps the 8259A pair to vectors 0x20/0x28 (ICW1-ICW4), unmasks IRQ0 only,
 * programs 8254 counter 0 for 100 Hz (mode 2, divisor 11932), installs an
 * IDT interrupt gate for vector 0x20 whose handler counts ticks and sends a
 * non-specific EOI, then runs `sti; hlt` until 10 ticks have arrived, and
 * spins (interrupts on, no HLT) until 2 more have arrived. It reads the RTC (BCD, 24-hour: CMOS registers 0x32/9/8/7/4/2/0), prints
 * "ticks: 10", "spinning, ticks: 12" and the time, writes POST code 0x55 to port 0x80 and a line
 * to the 0xE9 debug console, and exits 0 (status 1).
 * QEMU: add -debugcon file:/dev/stderr to see the debug console line; the
 * RTC line shows QEMU's wall-clock time instead of the VMM's fixed start.
 */
        .include "guest.inc"

        MULTIBOOT_HEADER

        .set IDT_ENTRIES, 48
        .set PIC1_CMD, 0x20
        .set PIC1_DATA, 0x21
        .set PIC2_CMD, 0xa0
        .set PIC2_DATA, 0xa1
        .set PIT_CH0, 0x40
        .set PIT_CMD, 0x43
        .set PIT_DIVISOR, 11932         /* 1193182 Hz / 11932 = 100.0 Hz */
        .set CMOS_INDEX, 0x70
        .set CMOS_DATA, 0x71
        .set POST_PORT, 0x80
        .set DEBUGCON, 0xe9
        .set WANTED_TICKS, 10

/* Install a 32-bit interrupt gate: vector, handler. Clobbers %eax. */
.macro GATE vec, handler
        movl    $\handler, %eax
        movw    %ax, idt + \vec * 8 + 0
        movw    $KERNEL_CS, idt + \vec * 8 + 2
        movw    $0x8e00, idt + \vec * 8 + 4
        shrl    $16, %eax
        movw    %ax, idt + \vec * 8 + 6
.endm

/* Print CMOS register \reg (BCD) as two digits. Clobbers %eax. */
.macro CMOS_BCD reg
        movb    $\reg, %al
        outb    %al, $CMOS_INDEX
        inb     $CMOS_DATA, %al
        call    put_bcd
.endm

        .text
        .globl  _start
        .type   _start, @function
_start:
        BOOT
        call    serial_init

        GATE    0x20, irq0_handler
        GATE    0x27, spurious_handler
        GATE    0x2f, spurious_handler
        lidt    idt_desc

        /* 8259A: ICW1 (edge, cascade, ICW4), ICW2 vector base, ICW3 wiring, ICW4 8086 mode. */
        movb    $0x11, %al
        outb    %al, $PIC1_CMD
        outb    %al, $PIC2_CMD
        movb    $0x20, %al
        outb    %al, $PIC1_DATA
        movb    $0x28, %al
        outb    %al, $PIC2_DATA
        movb    $0x04, %al              /* master: slave on IR2 */
        outb    %al, $PIC1_DATA
        movb    $0x02, %al              /* slave: cascade identity 2 */
        outb    %al, $PIC2_DATA
        movb    $0x01, %al
        outb    %al, $PIC1_DATA
        outb    %al, $PIC2_DATA
        movb    $0xfe, %al              /* OCW1: only IRQ0 */
        outb    %al, $PIC1_DATA
        movb    $0xff, %al
        outb    %al, $PIC2_DATA

        /* 8254 counter 0: LSB then MSB, mode 2 (rate generator), binary. */
        movb    $0x34, %al
        outb    %al, $PIT_CMD
        movb    $(PIT_DIVISOR & 0xff), %al
        outb    %al, $PIT_CH0
        movb    $(PIT_DIVISOR >> 8), %al
        outb    %al, $PIT_CH0

        movl    $hello_msg, %esi
        call    serial_puts

        .globl  wait_loop
wait_loop:
        sti
        .globl  halt_insn
halt_insn:
        hlt
        cmpl    $WANTED_TICKS, ticks
        jb      wait_loop
        cli

        movl    $ticks_msg, %esi
        call    serial_puts
        movl    ticks, %eax
        call    put_dec
        movb    $'\n', %al
        call    serial_putc

        /* Two more ticks while the CPU spins with interrupts on (no HLT): the
           hypervisor must interrupt a running guest at the timer's deadline. */
        sti
        .globl  spin_loop
spin_loop:
        cmpl    $WANTED_TICKS + 2, ticks
        jb      spin_loop
        cli
        movl    $spin_msg, %esi
        call    serial_puts
        movl    ticks, %eax
        call    put_dec
        movb    $'\n', %al
        call    serial_putc

        /* RTC: 20YY-MM-DD hh:mm:ss from the BCD registers. */
        movl    $rtc_msg, %esi
        call    serial_puts
        CMOS_BCD 0x32
        CMOS_BCD 0x09
        movb    $'-', %al
        call    serial_putc
        CMOS_BCD 0x08
        movb    $'-', %al
        call    serial_putc
        CMOS_BCD 0x07
        movb    $' ', %al
        call    serial_putc
        CMOS_BCD 0x04
        movb    $':', %al
        call    serial_putc
        CMOS_BCD 0x02
        movb    $':', %al
        call    serial_putc
        CMOS_BCD 0x00
        movb    $'\n', %al
        call    serial_putc

        movb    $0x55, %al
        outb    %al, $POST_PORT

        movl    $debugcon_msg, %esi
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        jmp     1b
2:
        movl    $done_msg, %esi
        call    serial_puts
        movb    $0, %al
        jmp     guest_exit
        .size   _start, . - _start

/* IRQ0: count the tick, non-specific EOI to the master. */
        .globl  irq0_handler
        .type   irq0_handler, @function
irq0_handler:
        pushl   %eax
        incl    ticks
        movb    $0x20, %al
        outb    %al, $PIC1_CMD
        popl    %eax
        iret
        .size   irq0_handler, . - irq0_handler

/* Spurious IRQ7 / IRQ15: no EOI (the IR is not in service). */
spurious_handler:
        iret

/* Print %al as two hex digits (a BCD byte prints as its decimal value). */
put_bcd:
        pushl   %eax
        shrb    $4, %al
        addb    $'0', %al
        call    serial_putc
        movl    (%esp), %eax
        andb    $0x0f, %al
        addb    $'0', %al
        call    serial_putc
        popl    %eax
        ret

/* Print %eax (< 100) in decimal. */
put_dec:
        pushl   %eax
        pushl   %edx
        pushl   %ecx
        xorl    %edx, %edx
        movl    $10, %ecx
        divl    %ecx
        testl   %eax, %eax
        jz      1f
        addb    $'0', %al
        call    serial_putc
1:      movb    %dl, %al
        addb    $'0', %al
        call    serial_putc
        popl    %ecx
        popl    %edx
        popl    %eax
        ret

        .section .rodata
hello_msg:
        .asciz  "timer: PIC at 0x20/0x28, PIT 100 Hz, waiting for 10 ticks\n"
ticks_msg:
        .asciz  "ticks: "
rtc_msg:
        .asciz  "rtc: "
spin_msg:
        .asciz  "spinning, ticks: "
debugcon_msg:
        .asciz  "timer: debugcon ok\n"
done_msg:
        .asciz  "timer done\n"

        .data
        .p2align 2
        .globl  ticks
ticks:
        .long   0
        .p2align 3
idt:
        .fill   IDT_ENTRIES * 8, 1, 0
        .p2align 2
        .word   0
idt_desc:
        .word   IDT_ENTRIES * 8 - 1
        .long   idt
