/* spinner - never yields, never makes a system call: only the timer can take the CPU
 * away from it, and only kill() can end it. */
#include "ulib.h"

void user_spinner(void)
{
    printf("spinner: pid %d spinning without system calls\n", getpid());
    for (;;)
        UDATA->spins++;
}
