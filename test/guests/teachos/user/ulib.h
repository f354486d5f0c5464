/*
 * ulib.h - what a teachos user program can call. User code runs in ring 3 at 0x40000000
 * and up (include/memlayout.h); it has no .data or .bss of its own (the code pages are
 * shared by every process and read-only): state lives on the stack or in the private
 * page at USER_DATA (struct udata).
 */
#ifndef TEACHOS_ULIB_H
#define TEACHOS_ULIB_H
#include "syscall.h"
#include "memlayout.h"

#define UDATA ((struct udata *)USER_DATA)

/* exit-code bits the kernel's self-test reads (kernel/selftest.c) */
#define BAD_RING    1
#define BAD_PID     2
#define BAD_SLEEP   4
#define BAD_FRESH   8
#define BAD_ISOL    16
#define BAD_RESULT  32

static inline int syscall3(int n, int a, int b, int c)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

static inline int getpid(void) { return syscall3(SYS_getpid, 0, 0, 0); }
static inline void yield(void) { syscall3(SYS_yield, 0, 0, 0); }
static inline void sleep(int ticks) { syscall3(SYS_sleep, ticks, 0, 0); }
static inline int kill(int pid) { return syscall3(SYS_kill, pid, 0, 0); }
static inline int preempted(int pid) { return syscall3(SYS_preempted, pid, 0, 0); }
static inline int uptime(void) { return syscall3(SYS_uptime, 0, 0, 0); }
static inline int current_ring(void) { unsigned short cs; __asm__ volatile("movw %%cs, %0" : "=r"(cs)); return cs & 3; }
void exit(int code) __attribute__((noreturn));
int write(const char *buf, int len);
void printf(const char *fmt, ...);

/* Common start and end of the three worker programs (alpha, beta, gamma). */
int worker_begin(int expected_pid, const char *name);
int worker_end(int fails, const char *name);
#endif
