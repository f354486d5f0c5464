// The virtual CPU the guest sees (KVM's KVM_SET_CPUID2 policy, written down). CPUID always exits in
// VMX non-root operation (SDM 26.1.2), so this table is the whole truth for the guest:
//   leaf 0: max basic leaf 1, vendor "GenuineIntel"
//   leaf 1: family 6 model 15 stepping 1; EDX = only what the interpreter implements (DE, PSE, TSC,
//           MSR, PAE, CX8, SEP, PGE, CMOV; no FPU) plus APIC (bit 9: the VMM's local APIC, vmm/apicBus.ts);
//           ECX bit 31 = hypervisor present;
//           VMX is not exposed (no nested virtualization yet). EBX[31:24] = initial APIC ID = vCPU id.
//   leaf 0x80000000: max extended leaf 0x80000008; 0x80000001: EDX bit 20 NX (IA32_EFER.NXE);
//   leaf 0x80000008: MAXPHYADDR 32, linear address width 32 (the same as the hardware model)
//   leaf 0x40000000: max hypervisor leaf 0x40000001, vendor "vmm-debug VT"
//   leaf 0x40000001: interface signature "VMMD" with the hypercall ABI version in EBX (vmm/hypercalls.ts)
//   anything else: zeros, as an out-of-range leaf returns the highest basic leaf's data on hardware
//   (we return zeros, which is what KVM does for absent leaves).
import { HW_CPUID_1_EDX, HW_CPUID_80000001_EDX, HW_CPUID_80000008_EAX, HW_CPUID_MAX_EXT } from '../hw/cpu/cpuidHardware';

const str4 = (s: string): number => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
export const HYPERVISOR_VENDOR = 'vmm-debug VT';
export const HYPERCALL_ABI_VERSION = 2; // 2: HC_MMU_UPDATE
/** CPUID.1:EDX.APIC[bit 9]: an on-chip APIC, virtualized by the VMM (IA32_APIC_BASE, the xAPIC page). */
export const CPUID_1_EDX_APIC = 1 << 9;

/** [eax, ebx, ecx, edx] for the guest. */
export function cpuidPolicy(leaf: number, _subleaf: number, vcpuId: number): [number, number, number, number] {
  switch (leaf >>> 0) {
    case 0: return [1, str4('Genu'), str4('ntel'), str4('ineI')];
    case 1: return [0x000006f1, (vcpuId & 0xff) << 24 | (1 << 16), (1 << 31) | 0, HW_CPUID_1_EDX | CPUID_1_EDX_APIC];
    case 0x40000000: return [0x40000001, str4(HYPERVISOR_VENDOR.slice(0, 4)), str4(HYPERVISOR_VENDOR.slice(4, 8)), str4(HYPERVISOR_VENDOR.slice(8, 12))];
    case 0x40000001: return [str4('VMMD'), HYPERCALL_ABI_VERSION, 0, 0];
    case 0x80000000: return [HW_CPUID_MAX_EXT, 0, 0, 0];
    case 0x80000001: return [0, 0, 0, HW_CPUID_80000001_EDX];
    case 0x80000008: return [HW_CPUID_80000008_EAX, 0, 0, 0];
    default: return [0, 0, 0, 0];
  }
}
