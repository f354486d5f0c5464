/* ulib.c - the user-mode library: system call wrappers and a small printf. */
#include <stdarg.h>
#include "ulib.h"

void exit(int code)
{
    syscall3(SYS_exit, code, 0, 0);
    for (;;)
        ;                               /* not reached */
}

int write(const char *buf, int len) { return syscall3(SYS_write, (int)buf, len, 0); }

/* %d %u %x %s %c; one write() per call, so a line reaches the console in one piece. */
void printf(const char *fmt, ...)
{
    char out[160];
    int n = 0;
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt && n < (int)sizeof out - 12; fmt++) {
        if (*fmt != '%') { out[n++] = *fmt; continue; }
        char tmp[12];
        int len = 0;
        unsigned v;
        switch (*++fmt) {
        case 'd': {
            int x = va_arg(ap, int);
            if (x < 0) { out[n++] = '-'; v = (unsigned)-x; } else v = (unsigned)x;
            do { tmp[len++] = (char)('0' + v % 10); v /= 10; } while (v);
            break;
        }
        case 'u':
            v = va_arg(ap, unsigned);
            do { tmp[len++] = (char)('0' + v % 10); v /= 10; } while (v);
            break;
        case 'x':
            v = va_arg(ap, unsigned);
            do { tmp[len++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            while (*s && n < (int)sizeof out - 1) out[n++] = *s++;
            continue;
        }
        case 'c':
            out[n++] = (char)va_arg(ap, int);
            continue;
        default:
            out[n++] = *fmt;
            continue;
        }
        while (len) out[n++] = tmp[--len];
    }
    va_end(ap);
    write(out, n);
}

/* Ring 3? Right pid? Is my private page fresh (zero), then claim it with my magic. */
int worker_begin(int expected_pid, const char *name)
{
    int fails = 0, pid = getpid();
    if (current_ring() != 3) fails |= BAD_RING;
    if (pid != expected_pid) fails |= BAD_PID;
    UDATA->first_seen = UDATA->magic;
    if (UDATA->first_seen != 0) fails |= BAD_FRESH;
    UDATA->magic = 0x7ea00000u | (unsigned)pid;
    printf("%s: pid %d running in ring %d\n", name, pid, current_ring());
    return fails;
}

/* Yield, sleep, and check that nobody else wrote my private page meanwhile. */
int worker_end(int fails, const char *name)
{
    yield();
    int t0 = uptime();
    sleep(2);
    if (uptime() - t0 < 2) fails |= BAD_SLEEP;
    yield();
    if (UDATA->magic != (0x7ea00000u | (unsigned)getpid())) fails |= BAD_ISOL;
    printf("%s: slept 2 ticks; my page at 0x%x still holds 0x%x\n", name, USER_DATA, UDATA->magic);
    return fails;
}
