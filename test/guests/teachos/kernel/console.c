/*
 * console.c - kernel printf to COM1 under a spinlock (so lines from different CPUs never
 * interleave), a snprintf for the process consoles, panic() and the isa-debug-exit.
 */
#include "kernel.h"
#include "x86.h"

static struct spinlock cons_lock;
static int panicked;

void console_init(void)
{
    initlock(&cons_lock, "console");
    uart_init();
}

/* A bounded formatter: %d %u %x %s %c %p with an optional 0 flag and width (e.g. %08x). */
int vsnprintf_k(char *buf, int size, const char *fmt, va_list ap)
{
    int n = 0;
#define PUT(ch) do { if (n < size - 1) buf[n] = (ch); n++; } while (0)
    for (; *fmt; fmt++) {
        if (*fmt != '%') { PUT(*fmt); continue; }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        char tmp[12];
        int len = 0, neg = 0;
        u32 v;
        switch (*fmt) {
        case 'd': {
            int x = va_arg(ap, int);
            if (x < 0) { neg = 1; v = (u32)(-x); } else v = (u32)x;
            do { tmp[len++] = (char)('0' + v % 10); v /= 10; } while (v);
            break;
        }
        case 'u':
            v = va_arg(ap, u32);
            do { tmp[len++] = (char)('0' + v % 10); v /= 10; } while (v);
            break;
        case 'p':
            pad = '0'; width = 8;
            /* fall through */
        case 'x':
            v = va_arg(ap, u32);
            do { tmp[len++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int sl = (int)strlen(s);
            for (int i = sl; i < width; i++) PUT(' ');
            while (*s) PUT(*s++);
            continue;
        }
        case 'c':
            PUT((char)va_arg(ap, int));
            continue;
        case '%':
            PUT('%');
            continue;
        default:
            PUT('%'); PUT(*fmt);
            if (!*fmt) goto out;
            continue;
        }
        if (neg) { if (pad == '0') PUT('-'); else tmp[len++] = '-'; width--; }
        for (int i = len; i < width; i++) PUT(pad);
        while (len) PUT(tmp[--len]);
    }
out:
    if (size > 0) buf[n < size ? n : size - 1] = 0;
#undef PUT
    return n;
}

int snprintf_k(char *buf, int size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf_k(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void emit(const char *s)
{
    for (; *s; s++)
        uart_putc(*s);                  /* "\n" only, like the other fixtures (no "\r\n") */
}

void cprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_k(buf, sizeof buf, fmt, ap);
    va_end(ap);
    int locked = !panicked;
    if (locked) acquire(&cons_lock);
    emit(buf);
    if (locked) release(&cons_lock);
}

/* isa-debug-exit (port 0xf4): the VM ends with status (code << 1) | 1. */
void vm_exit(u32 code)
{
    outl(0xf4, code);
    for (;;) { cli(); hlt(); }
}

void panic(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    cli();
    panicked = 1;
    va_start(ap, fmt);
    vsnprintf_k(buf, sizeof buf, fmt, ap);
    va_end(ap);
    emit("PANIC: ");
    emit(buf);
    emit("\n");
    vm_exit(2);
}
