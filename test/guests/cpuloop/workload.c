/*
 * workload.c - the cpuloop benchmark's deterministic CPU-bound core.
 *
 * No dependencies beyond the freestanding <stdint.h>: the cpuloop guest
 * compiles it into its kernel, and a host program can #include it (or
 * compile it alongside) to get a native baseline of the same work:
 *
 *     #include "workload.c"
 *     struct cpuloop_result r;
 *     cpuloop_run(&r);          // then compare with CPULOOP_EXPECTED_*
 *
 * Work: count the primes below 1,000,000 with a sieve of Eratosthenes,
 * CPULOOP_SIEVE_REPS times, then a table-driven CRC32 (IEEE, reflected)
 * over a 64 KiB pseudo-random buffer fed CPULOOP_CRC_REPS times in a row
 * (the CRC of the buffer repeated CPULOOP_CRC_REPS times).
 * The repeat counts may be overridden with -D for quick host runs;
 * CPULOOP_EXPECTED_CRC is defined only for CPULOOP_CRC_REPS 1 and 256.
 *
 * Cost (gcc 12 -m32 -O1, counted with valgrind): one sieve pass is about
 * 17.5 million instructions, one 64 KiB CRC pass about 0.52 million; the
 * defaults (20 and 256) come to roughly 485 million instructions.
 */
#include <stdint.h>

#define CPULOOP_SIEVE_LIMIT 1000000u
#ifndef CPULOOP_SIEVE_REPS
#define CPULOOP_SIEVE_REPS 20u
#endif
#define CPULOOP_CRC_BYTES 65536u
#ifndef CPULOOP_CRC_REPS
#define CPULOOP_CRC_REPS 256u
#endif

#define CPULOOP_EXPECTED_PRIMES 78498u   /* primes below 1,000,000 */
#if CPULOOP_CRC_REPS == 256
#define CPULOOP_EXPECTED_CRC    0xcb0d356fu
#elif CPULOOP_CRC_REPS == 1
#define CPULOOP_EXPECTED_CRC    0xa98b64a7u
#endif

struct cpuloop_result {
    uint32_t primes;       /* primes below CPULOOP_SIEVE_LIMIT (last pass) */
    uint32_t primes_total; /* sum over all passes */
    uint32_t crc;          /* CRC32 of the buffer repeated CPULOOP_CRC_REPS times */
};

static uint8_t cpuloop_sieve_buf[CPULOOP_SIEVE_LIMIT];
static uint8_t cpuloop_crc_buf[CPULOOP_CRC_BYTES];
static uint32_t cpuloop_crc_table[256];

uint32_t cpuloop_sieve(void)
{
    uint8_t *c = cpuloop_sieve_buf;
    uint32_t n = 0;
    for (uint32_t i = 0; i < CPULOOP_SIEVE_LIMIT; i++)
        c[i] = 0;
    c[0] = c[1] = 1;
    for (uint32_t i = 2; i * i < CPULOOP_SIEVE_LIMIT; i++)
        if (!c[i])
            for (uint32_t j = i * i; j < CPULOOP_SIEVE_LIMIT; j += i)
                c[j] = 1;
    for (uint32_t i = 0; i < CPULOOP_SIEVE_LIMIT; i++)
        n += !c[i];
    return n;
}

void cpuloop_crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
        cpuloop_crc_table[i] = crc;
    }
    uint32_t x = 12345u;
    for (uint32_t i = 0; i < CPULOOP_CRC_BYTES; i++) {
        x = x * 1664525u + 1013904223u;
        cpuloop_crc_buf[i] = (uint8_t)(x >> 24);
    }
}

/* Feed len bytes into a running CRC (start with 0xffffffff, finish with ~). */
uint32_t cpuloop_crc32_update(uint32_t crc, const uint8_t *p, uint32_t len)
{
    while (len--)
        crc = cpuloop_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

void cpuloop_run(struct cpuloop_result *r)
{
    r->primes = 0;
    r->primes_total = 0;
    for (uint32_t rep = 0; rep < CPULOOP_SIEVE_REPS; rep++) {
        r->primes = cpuloop_sieve();
        r->primes_total += r->primes;
    }
    cpuloop_crc_init();
    uint32_t crc = 0xffffffffu;
    for (uint32_t rep = 0; rep < CPULOOP_CRC_REPS; rep++)
        crc = cpuloop_crc32_update(crc, cpuloop_crc_buf, CPULOOP_CRC_BYTES);
    r->crc = ~crc;
}
