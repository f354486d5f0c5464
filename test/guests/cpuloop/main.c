/*
 * cpuloop - the benchmark guest (C, Multiboot v1, paging on).
 * Runs the deterministic workload in workload.c (sieve of the primes below
 * 1,000,000 CPULOOP_SIEVE_REPS times, CRC32 of a 64 KiB buffer
 * CPULOOP_CRC_REPS times), prints the results, checks them and exits 0
 * (status 1); a wrong result prints "FAIL: ..." and exits 1 (status 3).
 */
#include "guest.h"
#include "workload.c"

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)mbi;
    serial_init();
    paging_enable_identity_16m();
    kprintf("cpuloop: sieve(%u) x %u, crc32(%u bytes) x %u\n", CPULOOP_SIEVE_LIMIT,
            CPULOOP_SIEVE_REPS, CPULOOP_CRC_BYTES, CPULOOP_CRC_REPS);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        kprintf("FAIL: bad multiboot magic\n");
        guest_exit(1);
    }

    struct cpuloop_result r;
    cpuloop_run(&r);

    kprintf("primes below %u: %u (total %u)\n", CPULOOP_SIEVE_LIMIT, r.primes, r.primes_total);
    kprintf("crc32: 0x%08x\n", r.crc);
    if (r.primes != CPULOOP_EXPECTED_PRIMES ||
        r.primes_total != CPULOOP_EXPECTED_PRIMES * CPULOOP_SIEVE_REPS) {
        kprintf("FAIL: prime count\n");
        guest_exit(1);
    }
#ifdef CPULOOP_EXPECTED_CRC
    if (r.crc != CPULOOP_EXPECTED_CRC) {
        kprintf("FAIL: crc32\n");
        guest_exit(1);
    }
#endif
    kprintf("cpuloop done\n");
    guest_exit(0);
}
