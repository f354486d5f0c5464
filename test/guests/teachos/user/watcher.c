/* watcher - waits until the timer has preempted the spinner a few times, then kills it. */
#include "ulib.h"

void user_watcher(void)
{
    while (preempted(PID_SPINNER) < 2)
        yield();
    int r = kill(PID_SPINNER);
    printf("watcher: the spinner was preempted by the timer; kill(%d) = %d\n", PID_SPINNER, r);
    exit(r == 0 ? 0 : 1);
}
