/*
 * shell.c - a small command shell on COM1 after the self-test. It runs when the Multiboot
 * command line asks for it ("shell") or when input is already waiting on COM1 at the end of the
 * self-test (typed ahead, e.g. `vmm-debug run teachos.img --serial-input commands.txt`); otherwise
 * the self-test exits as it always has. Input arrives by the UART's receive interrupt through the
 * I/O APIC (serialin.c); the shell runs on CPU 0 in the kernel while the other CPUs idle in
 * their schedulers. It prints nothing that depends on timing (ADR 0007), so a run with the same
 * input prints the same bytes under every --mmu mode.
 */
#include "kernel.h"
#include "x86.h"

#define LINE 80

static int want_shell;

/* From kmain (Multiboot path): the command line word "shell" asks for the shell, "stress" or
 * "stress=N" for the stress workload (stress.c). */
void shell_note_cmdline(const char *cmdline)
{
    for (const char *p = cmdline; p && *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && !memcmp(p, "shell", 5) && (p[5] == 0 || p[5] == ' ')) want_shell = 1;
        if (p == cmdline || p[-1] == ' ') stress_note_cmdline_word(p);
    }
}

static int streq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }

static const char *state_name(enum procstate s)
{
    static const char *names[] = { "unused", "embryo", "sleeping", "runnable", "running", "exited" };
    return s <= ZOMBIE ? names[s] : "?";
}

static void cmd_help(void)
{
    /* one line per cprintf: its buffer holds 256 bytes */
    cprintf("commands:\n");
    cprintf("  help            this list\n");
    cprintf("  echo TEXT       print TEXT\n");
    cprintf("  ps              the process table (pid, name, state, exit code)\n");
    cprintf("  mem             free pages of the kernel's allocator\n");
    cprintf("  cpus            the processors and their local APIC IDs\n");
    cprintf("  selftest        the self-test results again\n");
    cprintf("  stress [N]      run the self-test's processes N rounds (none or 0: until Ctrl-C)\n");
    cprintf("  halt            end the VM through port 0xf4 (status: the self-test's)\n");
}

static void cmd_ps(void)
{
    cprintf("PID NAME     STATE    EXIT\n");
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &proc_table[i];
        if (p->state == UNUSED) continue;
        cprintf("%3d %8s %8s %4d%s\n", p->pid, p->name, state_name(p->state), p->exit_code,
                p->faulted ? " (page fault)" : p->killed ? " (killed)" : "");
    }
}

/* `stress [N]`: N a decimal number of rounds, 0 or none = until Ctrl-C. -1 when not a number. */
static int parse_rounds(const char *arg)
{
    if (!*arg) return 0;
    int n = 0;
    for (; *arg >= '0' && *arg <= '9'; arg++) {
        if (n > 100000000) return -1;
        n = n * 10 + (*arg - '0');
    }
    return *arg ? -1 : n;
}

static void run_line(char *line, int *status)
{
    while (*line == ' ') line++;
    char *arg = line;
    while (*arg && *arg != ' ') arg++;
    if (*arg) *arg++ = 0;
    while (*arg == ' ') arg++;
    if (!*line) return;
    if (streq(line, "help")) cmd_help();
    else if (streq(line, "echo")) cprintf("%s\n", arg);
    else if (streq(line, "ps")) cmd_ps();
    else if (streq(line, "mem")) cprintf("mem: %u free pages (%u KiB) in the allocator, kernel ends at 0x%x\n", kfree_pages(), kfree_pages() * 4, (u32)__kernel_end);
    else if (streq(line, "cpus")) {
        for (int i = 0; i < ncpu; i++) cprintf("cpu%d: local APIC ID %d, %s\n", i, cpus[i].apic_id, cpus[i].started ? "running" : "not started");
    } else if (streq(line, "selftest")) selftest_report();
    else if (streq(line, "stress")) {
        int n = parse_rounds(arg);
        if (n < 0) cprintf("stress: \"%s\" is not a number of rounds (0 or none: until Ctrl-C)\n", arg);
        else if (stress_run((u32)n) && *status == 0) *status = 1; /* a failed round fails the run */
    } else if (streq(line, "halt") || streq(line, "exit")) {
        cprintf("teachos: halting (self-test status %d)\n", *status);
        vm_exit((u32)*status);
    } else cprintf("%s: unknown command (try help)\n", line);
}

/* After the self-test: the shell, or the exit through port 0xf4 with `status`. */
void shell_or_exit(int status)
{
    serial_rx_drain();                  /* input may have arrived after uart_init (it waits in the FIFO) */
    int stress = stress_cmdline_rounds();
    if (!want_shell && !serial_rx_pending() && stress < 0) vm_exit((u32)status);
    serial_rx_enable();
    sti();
    if (stress >= 0) {                  /* "stress" on the command line: no shell before it */
        if (stress_run((u32)stress) && status == 0) status = 1;
        if (stress > 0 && !want_shell) {
            cprintf("teachos: halting (self-test status %d)\n", status);
            vm_exit((u32)status);
        }
    }
    cprintf("teachos shell on COM1 (help lists the commands)\n");
    char line[LINE + 1];
    int prev = 0;
    for (;;) {
        cprintf("teachos> ");
        int n = 0;
        for (;;) {
            int c = serial_getc();
            if (c == '\n' && prev == '\r') { prev = c; continue; } /* CR LF is one Enter */
            prev = c;
            if (c == '\r' || c == '\n') break;
            if (c == 8 || c == 127) {                        /* backspace: rub out on the terminal */
                if (n > 0) { n--; cprintf("\b \b"); }
                continue;
            }
            if (c < ' ' || c > '~' || n == LINE) continue;
            line[n++] = (char)c;
            cprintf("%c", c);                                /* the terminal expects the echo */
        }
        line[n] = 0;
        cprintf("\n");
        run_line(line, &status);
    }
}
