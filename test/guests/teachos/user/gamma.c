/* gamma - a CRC-32 of a buffer on its stack: compute, print, yield, sleep. */
#include "ulib.h"

static unsigned crc32(const unsigned char *p, int n)
{
    unsigned crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

void user_gamma(void)
{
    int fails = worker_begin(PID_GAMMA, "gamma");
    unsigned char buf[256];
    for (int i = 0; i < 256; i++) buf[i] = (unsigned char)i;
    unsigned c = crc32(buf, 256);
    printf("gamma: crc32(0..255) = 0x%x\n", c);
    if (c != 0x29058c73u) fails |= BAD_RESULT;
    exit(worker_end(fails, "gamma"));
}
