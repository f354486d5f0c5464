/*
 * uart.c - COM1, a 16550 UART at 0x3f8, polled output (the guest convention in
 * test/guests/README.md): wait for LSR.THRE (bit 5), then write THR.
 */
#include "kernel.h"
#include "x86.h"

#define COM1 0x3f8

void uart_init(void)
{
    outb(COM1 + 1, 0x00);               /* IER: no interrupts (output is polled) */
    outb(COM1 + 3, 0x80);               /* LCR: DLAB=1 to reach the divisor latch */
    outb(COM1 + 0, 0x01);               /* divisor 1: 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);               /* LCR: 8 data bits, no parity, 1 stop bit, DLAB=0 */
    serial_rx_drain();                  /* keep what was typed ahead (the UART holds one byte) */
    /* No FCR write: the FIFOs stay off. Turning them on clears the receiver (16550A datasheet: a
     * change of FCR bit 0 resets both FIFOs), and a byte arriving between the drain above and that
     * write was lost (QEMU, input on stdin: "stress" arrived as "sress"). Without FIFOs the UART
     * takes the next byte only when the last one was read (QEMU's and our model's flow control), so
     * typed-ahead input is never dropped; each byte raises its own receive interrupt. */
    outb(COM1 + 4, 0x03);               /* MCR: DTR, RTS */
}

void uart_putc(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        pause();
    outb(COM1, (u8)c);
}
