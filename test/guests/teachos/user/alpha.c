/* alpha - counts primes (trial division): compute, print, yield, sleep. */
#include "ulib.h"

static int is_prime(int n)
{
    if (n < 2) return 0;
    for (int d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

void user_alpha(void)
{
    int fails = worker_begin(PID_ALPHA, "alpha");
    int count = 0;
    for (int n = 0; n < 3000; n++) {
        count += is_prime(n);
        if (n % 1000 == 999) yield();
    }
    printf("alpha: %d primes below 3000\n", count);
    if (count != 430) fails |= BAD_RESULT;
    exit(worker_end(fails, "alpha"));
}
