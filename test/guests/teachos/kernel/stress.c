/*
 * stress.c - the long-running workload: the self-test's six processes (workload_spawn) round
 * after round, for as long as asked. A round starts the six, runs them on every CPU (CPU 0
 * schedules too, proc_run_until_idle), judges them with the self-test's own checks
 * (workload_checks), reaps them (proc_reap: pages and table slots back), writes a sector of the
 * scratch area and reads it back together with the image's signature sector, and prints one
 * progress line. Nothing in the line depends on timing (ADR 0007): the round number, the
 * verdict, the process table and the allocator's free pages, which must be the same after
 * every round (no leak). Started by the shell command `stress [rounds]` or the Multiboot command
 * line word `stress` / `stress=rounds`; 0 rounds = until Ctrl-C arrives on COM1.
 */
#include "kernel.h"
#include "x86.h"

#define STRESS_LBA   (SCRATCH_LBA + 2)  /* past the self-test's two sectors ... */
#define STRESS_LBAS  62                 /* ... to the end of the scratch area */
#define CTRL_C       3

static int cmdline_rounds = -1;         /* -1: the command line did not ask */

/* "stress" or "stress=N" on the Multiboot command line (shell.c hands each word over). */
void stress_note_cmdline_word(const char *w)
{
    if (memcmp(w, "stress", 6) != 0) return;
    if (w[6] == 0 || w[6] == ' ') { cmdline_rounds = 0; return; }
    if (w[6] != '=') return;
    int n = 0;
    for (const char *p = w + 7; *p >= '0' && *p <= '9'; p++) n = n * 10 + (*p - '0');
    cmdline_rounds = n;
}

int stress_cmdline_rounds(void) { return cmdline_rounds; }

/* One sector with a pattern that depends on the round, then read back; and the signature. */
static int disk_round(u32 round)
{
    static u8 buf[512], back[512];
    for (int i = 0; i < 512; i++) buf[i] = (u8)(round * 131 + (u32)i * 7);
    u32 lba = STRESS_LBA + round % STRESS_LBAS;
    if (ide_rw(lba, buf, 1) != 0 || ide_rw(lba, back, 0) != 0 || memcmp(buf, back, 512) != 0) return 0;
    return ide_rw(SCRATCH_LBA + 1, back, 0) == 0 && memcmp(back, "TEACHOS SCRATCH SECTOR", 22) == 0;
}

/* One round; prints its line. Returns 1 when every check passed. */
static int one_round(u32 round)
{
    int created = workload_spawn();
    proc_run_until_idle();
    int ok[WORKLOAD_CHECKS];
    workload_checks(ok);
    int reaped = proc_reap();
    int disk_ok = disk_round(round);

    char verdict[160];
    int n = 0, good = created == 6 && reaped == created && disk_ok;
    for (int i = 0; i < WORKLOAD_CHECKS; i++) good &= ok[i];
    if (good) n = snprintf_k(verdict, sizeof verdict, "ok");
    else {
        n = snprintf_k(verdict, sizeof verdict, "FAIL");
        for (int i = 0; i < WORKLOAD_CHECKS; i++)
            if (!ok[i]) n += snprintf_k(verdict + n, (int)sizeof verdict - n, " %s", workload_check_names[i]);
        if (!disk_ok) n += snprintf_k(verdict + n, (int)sizeof verdict - n, " disk");
        if (created != 6) n += snprintf_k(verdict + n, (int)sizeof verdict - n, " spawn");
    }
    cprintf("stress: round %u %s: %d processes reaped, %d in the table, %u free pages\n", round, verdict, reaped,
            proc_slots_used(), kfree_pages());
    return good;
}

/* `rounds` rounds (0: until Ctrl-C). On CPU 0, after the self-test, interrupts on. Returns how
 * many rounds failed. */
int stress_run(u32 rounds)
{
    if (rounds) cprintf("stress: %u rounds of the self-test's processes on %d cpu(s)\n", rounds, ncpu);
    else cprintf("stress: rounds of the self-test's processes on %d cpu(s) until Ctrl-C\n", ncpu);
    /* The self-test's processes (or an earlier run's) are still in the table: reap them first,
     * so every round starts from the same free-page count. */
    int reaped = proc_reap();
    cprintf("stress: %d processes reaped before round 1, %u free pages\n", reaped, kfree_pages());
    u32 failed = 0, done = 0;
    while (rounds == 0 || done < rounds) {
        failed += !one_round(++done);
        if (serial_rx_take(CTRL_C)) break;
    }
    cprintf("stress: %u rounds, %u failed\n", done, failed);
    return (int)failed;
}
