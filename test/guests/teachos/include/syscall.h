/*
 * syscall.h - system call numbers, shared by the kernel and the user programs.
 * Convention: int 0x80 with EAX = number, arguments in EBX, ECX, EDX; result in EAX.
 */
#ifndef TEACHOS_SYSCALL_H
#define TEACHOS_SYSCALL_H

#define T_SYSCALL       0x80

#define SYS_write       1               /* write(buf, len): to the process's console */
#define SYS_getpid      2
#define SYS_yield       3
#define SYS_sleep       4               /* sleep(ticks) */
#define SYS_exit        5               /* exit(code) */
#define SYS_kill        6               /* kill(pid) */
#define SYS_preempted   7               /* preempted(pid): times the timer took the CPU from pid */
#define SYS_uptime      8               /* timer ticks since boot */

/* The self-test's process set: pids are handed out in this order (kernel/selftest.c). */
#define PID_ALPHA       1
#define PID_BETA        2
#define PID_GAMMA       3
#define PID_SPINNER     4
#define PID_WATCHER     5
#define PID_FAULTER     6

/* The private data page every process has at USER_DATA (include/memlayout.h). */
struct udata {
    unsigned magic;                     /* written at start, checked later: isolation */
    unsigned first_seen;                /* what the page held before the first write */
    volatile unsigned spins;
};
#endif
