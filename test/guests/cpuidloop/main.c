/*
 * cpuidloop - the VM-exit round-trip benchmark guest (C, Multiboot v1): CPUID
 * always exits (SDM 26.1.2), so each iteration is one exit, one handler and one
 * VM entry. Prints the vendor string seen and exits 0 (status 1).
 */
#include "guest.h"

#define LOOPS 20000u

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    (void)magic; (void)mbi;
    serial_init();
    uint32_t x = 0;
    for (uint32_t i = 0; i < LOOPS; i++) {
        struct cpuid_regs r = cpuid(i & 1 ? 0x40000000u : 0u, 0);
        x ^= r.ebx + i;
    }
    kprintf("cpuidloop: %u CPUID exits, x=0x%08x\n", LOOPS, x);
    guest_exit(0);
}
