/* faulter - reads kernel memory from ring 3. The page is present but supervisor-only, so
 * the CPU raises #PF with error code 5 (present | user, read) and the kernel kills it. */
#include "ulib.h"

void user_faulter(void)
{
    printf("faulter: reading kernel memory at 0x100000 from ring 3\n");
    unsigned v = *(volatile unsigned *)0x100000;
    printf("faulter: read 0x%x - the kernel is not protected!\n", v);
    exit(1);
}
