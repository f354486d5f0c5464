/*
 * guest.c - serial output, kprintf and isa-debug-exit for the C fixtures.
 * Freestanding: no libc, no floating point.
 */
#include "guest.h"

#define UART_DATA (COM1_PORT + 0) /* THR / RBR, DLL when DLAB=1 */
#define UART_IER  (COM1_PORT + 1) /* IER, DLM when DLAB=1 */
#define UART_FCR  (COM1_PORT + 2)
#define UART_LCR  (COM1_PORT + 3)
#define UART_MCR  (COM1_PORT + 4)
#define UART_LSR  (COM1_PORT + 5)
#define LSR_THRE  0x20

void serial_init(void)
{
    outb(UART_IER, 0x00); /* no interrupts */
    outb(UART_LCR, 0x80); /* DLAB = 1 */
    outb(UART_DATA, 0x01); /* divisor 1: 115200 baud */
    outb(UART_IER, 0x00);
    outb(UART_LCR, 0x03); /* 8N1, DLAB = 0 */
    outb(UART_FCR, 0xc7); /* enable and clear FIFOs */
    outb(UART_MCR, 0x03); /* DTR | RTS */
}

void serial_putc(char c)
{
    while ((inb(UART_LSR) & LSR_THRE) == 0)
        ;
    outb(UART_DATA, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

static void put_padded(const char *digits, int len, int width, char pad)
{
    while (width-- > len)
        serial_putc(pad);
    while (len-- > 0)
        serial_putc(*digits++);
}

static void put_unsigned(uint32_t v, unsigned base, int width, char pad)
{
    char buf[12];
    int i = sizeof buf;
    do {
        buf[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    put_padded(&buf[i], (int)sizeof buf - i, width, pad);
}

void kvprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            serial_putc(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'c':
            serial_putc((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;
            while (s[len])
                len++;
            put_padded(s, len, width, ' ');
            break;
        }
        case 'd': {
            int32_t v = va_arg(ap, int32_t);
            if (v < 0) {
                serial_putc('-');
                put_unsigned(0u - (uint32_t)v, 10, width > 0 ? width - 1 : 0, pad);
            } else {
                put_unsigned((uint32_t)v, 10, width, pad);
            }
            break;
        }
        case 'u':
            put_unsigned(va_arg(ap, uint32_t), 10, width, pad);
            break;
        case 'x':
            put_unsigned(va_arg(ap, uint32_t), 16, width, pad);
            break;
        case 'p':
            serial_puts("0x");
            put_unsigned((uint32_t)(uintptr_t)va_arg(ap, void *), 16, 8, '0');
            break;
        case '%':
            serial_putc('%');
            break;
        case '\0':
            return;
        default:
            serial_putc('%');
            serial_putc(*fmt);
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void guest_exit(uint32_t value)
{
    outl(DEBUG_EXIT_PORT, value);
    /* Not reached when isa-debug-exit is present. */
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* gcc may emit calls to these even with -ffreestanding. */
void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}
