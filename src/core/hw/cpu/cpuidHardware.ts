// CPUID of the emulated physical processor (what root-mode software sees). The guest never sees
// this: in VMX non-root operation CPUID always exits and the VMM answers with its virtual CPU
// model (vmm/cpuidPolicy.ts). Only implemented features are advertised (SDM Vol. 2 CPUID).
export const HW_CPUID_1_EDX =
  (1 << 2) /* DE */ | (1 << 3) /* PSE */ | (1 << 4) /* TSC */ | (1 << 5) /* MSR */ | (1 << 6) /* PAE */ |
  (1 << 8) /* CX8 */ | (1 << 11) /* SEP: SYSENTER/SYSEXIT */ | (1 << 13) /* PGE */ | (1 << 15) /* CMOV */;
export const HW_CPUID_1_ECX = 1 << 5; /* VMX */
/** Highest extended leaf: 0x80000008 (address sizes), so MAXPHYADDR is stated, not assumed to be 36. */
export const HW_CPUID_MAX_EXT = 0x80000008;
/** CPUID.80000001H:EDX: bit 20 NX (execute disable, IA32_EFER.NXE). No SYSCALL, no LM. */
export const HW_CPUID_80000001_EDX = 1 << 20;
/** CPUID.80000008H:EAX: physical address bits 7:0 = 32 (MAXPHYADDR), linear address bits 15:8 = 32. */
export const HW_CPUID_80000008_EAX = 0x2020;

/** Returns [eax, ebx, ecx, edx]. */
export function cpuidHardware(leaf: number, _subleaf: number): [number, number, number, number] {
  switch (leaf >>> 0) {
    case 0: return [1, 0x756e6547, 0x6c65746e, 0x49656e69]; // "GenuineIntel"
    case 1: return [0x000006f1, 0, HW_CPUID_1_ECX, HW_CPUID_1_EDX]; // family 6, model 15
    case 0x80000000: return [HW_CPUID_MAX_EXT, 0, 0, 0];
    case 0x80000001: return [0, 0, 0, HW_CPUID_80000001_EDX];
    case 0x80000008: return [HW_CPUID_80000008_EAX, 0, 0, 0];
    default: return [0, 0, 0, 0];
  }
}
