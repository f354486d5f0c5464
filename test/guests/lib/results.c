/*
 * results.c - PASS/FAIL reporting for the self-test fixtures (cpu-selftest, cpu-tasks, exits):
 * "PASS name" / "FAIL name: detail" lines on COM1, counted, and the closing
 * "<guest>: N passed, M failed" line with the exit status. Declared in guest.h. A file of its own,
 * linked only into those fixtures, so the other C fixtures keep their layout (the demo prints the
 * address of its page directory).
 */
#include "guest.h"

int test_passes, test_failures;

void pass(const char *name)
{
    test_passes++;
    kprintf("PASS %s\n", name);
}

void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    test_failures++;
    kprintf("FAIL %s: ", name);
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
}

void test_summary_exit(const char *guest)
{
    kprintf("%s: %d passed, %d failed\n", guest, test_passes, test_failures);
    guest_exit(test_failures ? 1 : 0);
}
