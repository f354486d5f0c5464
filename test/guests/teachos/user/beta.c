/* beta - Fibonacci numbers and a Collatz chain: compute, print, yield, sleep. */
#include "ulib.h"

void user_beta(void)
{
    int fails = worker_begin(PID_BETA, "beta");
    unsigned a = 0, b = 1;
    for (int i = 0; i < 30; i++) {
        unsigned t = a + b;
        a = b;
        b = t;
    }
    unsigned steps = 0;
    for (unsigned x = 27; x != 1; steps++)
        x = (x & 1) ? 3 * x + 1 : x / 2;
    printf("beta: fib(30) = %u, collatz(27) takes %u steps\n", a, steps);
    if (a != 832040 || steps != 111) fails |= BAD_RESULT;
    exit(worker_end(fails, "beta"));
}
