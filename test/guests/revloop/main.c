/*
 * revloop - reverse stepping by source line over one-line loops (issue 7).
 * Each loop below sits on ONE source line, so a reverse step over must stop
 * at the previous iteration of that line (gdb/rr reverse-next: the start of
 * the previous instance of the line), not skip the whole loop. The loop
 * variables are volatile globals so a test can read which iteration it is
 * at from memory. Then a REP MOVSB and a REP OUTSB (each OUTSB iteration is
 * an IO_INSTRUCTION exit, SDM 25.1.3) for stepping back by instruction.
 * Exit 0 (status 1).
 */
#include "guest.h"

#define N_FOR   5
#define N_WHILE 4
#define N_CALL  3

volatile uint32_t loop_i, loop_total, while_w, call_j, call_sum;
static uint8_t rep_src[64], rep_dst[64];

__attribute__((noinline)) void bump(uint32_t v)
{
    call_sum += v + 1;
}

__attribute__((noinline)) void rep_work(void)
{
    for (uint32_t k = 0; k < sizeof rep_src; k++) rep_src[k] = (uint8_t)(k * 7 + 1);
    const uint8_t *s = rep_src;
    uint8_t *d = rep_dst;
    uint32_t n = sizeof rep_src;
    __asm__ volatile("cld; rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
}

__attribute__((noinline)) void rep_out(void)
{
    const uint8_t *p = rep_src;
    uint32_t n = 16;
    __asm__ volatile("cld; rep outsb" : "+S"(p), "+c"(n) : "d"(0x80) : "memory");
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic; (void)mbi;
    serial_init();
    loop_total = 0;
    for (loop_i = 0; loop_i < N_FOR; loop_i++) loop_total += loop_i;
    while_w = 0;
    while (while_w < N_WHILE) while_w++;
    call_sum = 0;
    for (call_j = 0; call_j < N_CALL; call_j++) bump(call_j);
    rep_work();
    rep_out();
    kprintf("revloop: total=%u w=%u sum=%u dst=%u\n", loop_total, while_w, call_sum, rep_dst[63]);
    guest_exit(0);
}
