/*
 * serial.s - COM1 output and isa-debug-exit for the assembly fixtures
 * (assembled on its own and linked in; the C fixtures use guest.c).
 *
 *   serial_init      16550 init: IER=0, 115200 8N1 (DLAB divisor 1),
 *                    FIFOs on, DTR|RTS; preserves all registers
 *   serial_putc      print %al: poll LSR bit 5, then out to 0x3f8
 *                    (preserves all registers)
 *   serial_puts      print the NUL-terminated string at %esi (preserves all)
 *   serial_puthex32  print %eax as 8 lower-case hex digits (preserves all)
 *   guest_exit       write %al to isa-debug-exit (0xf4); never returns:
 *                    exit status (%al << 1) | 1
 */
        .include "guest.inc"

        .text
        .globl  serial_init, serial_putc, serial_puts, serial_puthex32, guest_exit

        .type   serial_init, @function
serial_init:
        pushl   %eax
        pushl   %edx
        movw    $COM1_IER, %dx
        movb    $0x00, %al              /* IER: no interrupts */
        outb    %al, %dx
        movw    $COM1_LCR, %dx
        movb    $0x80, %al              /* LCR: DLAB=1 */
        outb    %al, %dx
        movw    $COM1, %dx
        movb    $0x01, %al              /* DLL: divisor 1 = 115200 baud */
        outb    %al, %dx
        movw    $COM1_IER, %dx
        movb    $0x00, %al              /* DLM */
        outb    %al, %dx
        movw    $COM1_LCR, %dx
        movb    $0x03, %al              /* LCR: 8N1, DLAB=0 */
        outb    %al, %dx
        movw    $COM1_FCR, %dx
        movb    $0xc7, %al              /* FCR: enable + clear FIFOs */
        outb    %al, %dx
        movw    $COM1_MCR, %dx
        movb    $0x03, %al              /* MCR: DTR | RTS */
        outb    %al, %dx
        popl    %edx
        popl    %eax
        ret
        .size   serial_init, . - serial_init

        .type   serial_putc, @function
serial_putc:
        pushl   %edx
        pushl   %eax
        movw    $COM1_LSR, %dx
1:      inb     %dx, %al
        testb   $LSR_THRE, %al
        jz      1b
        popl    %eax
        movw    $COM1, %dx
        outb    %al, %dx
        popl    %edx
        ret
        .size   serial_putc, . - serial_putc

        .type   serial_puts, @function
serial_puts:
        pushl   %eax
        pushl   %esi
1:      movb    (%esi), %al
        testb   %al, %al
        jz      2f
        call    serial_putc
        incl    %esi
        jmp     1b
2:      popl    %esi
        popl    %eax
        ret
        .size   serial_puts, . - serial_puts

        .type   serial_puthex32, @function
serial_puthex32:
        pushl   %eax
        pushl   %ecx
        pushl   %edx
        movl    %eax, %edx
        movl    $8, %ecx
1:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0xf, %eax
        movb    hex_digits(%eax), %al
        call    serial_putc
        decl    %ecx
        jnz     1b
        popl    %edx
        popl    %ecx
        popl    %eax
        ret
        .size   serial_puthex32, . - serial_puthex32

        .type   guest_exit, @function
guest_exit:
        outb    %al, $DEBUG_EXIT
        cli                             /* not reached when the exit port exists */
1:      hlt
        jmp     1b
        .size   guest_exit, . - guest_exit

        .section .rodata
hex_digits:
        .ascii  "0123456789abcdef"
