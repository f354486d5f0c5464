/*
 * serialin.c - COM1 input: a ring of received bytes filled by the UART's receive interrupt
 * (16550A: IER bit 0 "received data available"; the kernel leaves the FIFOs off, so one interrupt per
 * byte - were they on, it would also raise the character timeout interrupt for bytes below the
 * trigger level), routed as ISA IRQ 4 through the I/O APIC. The self-test never enables it; the
 * shell (shell.c) does. A byte typed before the driver ran waits in the receiver buffer register
 * (and holds back the next one): uart_init() moves it to the ring (serial_rx_drain).
 */
#include "kernel.h"
#include "x86.h"

#define COM1        0x3f8
#define RXBUF       1024

static volatile u8 rxbuf[RXBUF];
static volatile u32 rx_head, rx_tail;   /* head: next write, tail: next read (only CPU 0 touches them) */

/* Move every byte the receiver holds into the ring (LSR bit 0 = data ready). */
void serial_rx_drain(void)
{
    while (inb(COM1 + 5) & 0x01) {
        u8 c = inb(COM1);
        if (rx_head - rx_tail < RXBUF) rxbuf[rx_head++ % RXBUF] = c;
    }
}

/* Receive interrupt (vector T_IRQ0 + IRQ_COM1): reading RBR until LSR.DR = 0 clears both the
 * received-data and the character-timeout interrupt (16550A datasheet, Table IV). */
void serial_intr(void)
{
    serial_rx_drain();
}

int serial_rx_pending(void) { return rx_head != rx_tail; }

/* Interrupts on: IER = received data available; MCR OUT2 connects INTR to the IRQ line
 * (PC serial cards); the I/O APIC sends IRQ 4 to the BSP. */
void serial_rx_enable(void)
{
    outb(COM1 + 1, 0x01);
    outb(COM1 + 4, 0x0b);               /* DTR, RTS, OUT2 */
    ioapic_enable(IRQ_COM1, T_IRQ0 + IRQ_COM1, cpus[0].apic_id);
}

/* The next byte, waiting in "sti; hlt" until the receive interrupt brings one. */
int serial_getc(void)
{
    for (;;) {
        cli();
        if (rx_head != rx_tail) {
            int c = rxbuf[rx_tail++ % RXBUF];
            sti();
            return c;
        }
        sti_hlt();
    }
}

/* Has byte c arrived? Then drop everything received up to and including it and say so (the
 * stress loop's Ctrl-C); bytes after it stay for the shell. */
int serial_rx_take(int c)
{
    int found = 0;
    cli();
    for (u32 i = rx_tail; i != rx_head; i++) {
        if (rxbuf[i % RXBUF] == (u8)c) {
            rx_tail = i + 1;
            found = 1;
            break;
        }
    }
    sti();
    return found;
}
