// Which optional VM exits the VMM turns on (KVM's setup_vmcs_config / vmx_exec_control and its module
// parameters, written down). The default is what KVM does on a host without a PMU passed through:
//   - RDPMC exiting (the guest has no PMU: RDPMC gets #GP(0), KVM's kvm_emulate_rdpmc failing);
//   - MWAIT and MONITOR exiting (emulated as NOP, KVM's default with KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS;
//     CPUID.1:ECX.MONITOR stays 0 as in KVM);
//   - WBINVD exiting (no non-coherent DMA: a NOP, KVM's kvm_emulate_wbinvd);
//   - MOV-DR exiting (the VMM emulates DR0-DR7, as KVM does while it owns the debug registers);
//   - MSR bitmaps: IA32_SYSENTER_CS/ESP/EIP pass through (they are switched by the VMCS guest-state
//     area, as in KVM's vmx_disable_intercept_for_msr list); every other MSR exits;
//   - use TSC offsetting: the guest's TSC is icount + TSC_OFFSET; WRMSR IA32_TIME_STAMP_COUNTER moves
//     the offset (KVM's kvm_write_tsc), so guest time stays monotonic and deterministic;
//   - exception bitmap #UD and #AC (KVM's update_exception_bitmap; the VMM re-injects them).
// Optional, by name (CLI `--vmx-exits a,b`, VmOptions.vmxExits), to show or trap more:
//   rdtsc  RDTSC exiting: every RDTSC exits (16) and the VMM returns icount + TSC_OFFSET;
//   pause  PAUSE exiting: every PAUSE exits (40), a NOP for the VMM (pause-loop exiting is not modelled);
//   desc   descriptor-table exiting: SGDT/SIDT/LGDT/LIDT (46) and SLDT/STR/LLDT/LTR (47) exit and are
//          emulated on a scratch processor (KVM enables it to emulate UMIP);
//   apic   "virtualize APIC accesses" (EPT only; ignored under shadow paging): the local APIC page is
//          mapped to an APIC-access page and every access is an APIC-access exit (44) with the register
//          offset in the qualification, instead of the EPT violation / misconfiguration path (ADR 0015).
import type { Vmcs } from '../hw/vmx/vmcs';
import type { HostPhysMem } from '../hw/physMem';
import { VMCS } from '../hw/vmx/vmcsFields';
import { adjustControls, VMX_MSR } from '../hw/vmx/vmxCapabilities';
import { CpuBasedControls as P, SecondaryExecControls as S } from '../hw/vmx/vmxControls';

export const OPTIONAL_EXITS = ['rdtsc', 'pause', 'desc', 'apic'] as const;
export type OptionalExit = typeof OPTIONAL_EXITS[number];

/** The exception-bitmap vectors the VMM always intercepts: #UD (6) and #AC (17). */
export const VMM_EXCEPTION_BITMAP = (1 << 6) | (1 << 17);

/** MSRs the MSR bitmap passes through (reads and writes): IA32_SYSENTER_CS, _ESP, _EIP. */
export const PASSTHROUGH_MSRS = [0x174, 0x175, 0x176] as const;

/** Parse a comma-separated list of optional exits; throws with a one-line message on a bad name. */
export function parseOptionalExits(list: readonly string[]): OptionalExit[] {
  const out: OptionalExit[] = [];
  for (const raw of list) {
    const n = raw.trim();
    if (!n) continue;
    if (!(OPTIONAL_EXITS as readonly string[]).includes(n)) throw new Error(`unknown optional VM exit "${n}" (known: ${OPTIONAL_EXITS.join(', ')})`);
    if (!out.includes(n as OptionalExit)) out.push(n as OptionalExit);
  }
  return out;
}

/** The MSR bitmap page (SDM 25.6.9): all ones (every MSR exits) but the pass-through MSRs. */
export function allocMsrBitmap(mem: HostPhysMem): number {
  const at = mem.allocPages(1) as number;
  mem.u8.fill(0xff, at, at + 4096);
  for (const msr of PASSTHROUGH_MSRS) {
    // Read bitmap for low MSRs at offset 0, write bitmap for low MSRs at 2048.
    mem.u8[at + (msr >> 3)] &= ~(1 << (msr & 7));
    mem.u8[at + 2048 + (msr >> 3)] &= ~(1 << (msr & 7));
  }
  return at;
}

/** Turn on the default and the requested optional exits in a vCPU's VMCS (after setupVmcs). */
export function applyExitPolicy(v: Vmcs, caps: Map<number, bigint>, msrBitmap: number, extra: readonly OptionalExit[], apicAccessPage = -1): void {
  let proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) | P.CPU_BASED_RDPMC_EXITING | P.CPU_BASED_MWAIT_EXITING | P.CPU_BASED_MONITOR_EXITING |
    P.CPU_BASED_MOV_DR_EXITING | P.CPU_BASED_USE_MSR_BITMAPS | P.CPU_BASED_USE_TSC_OFFSETTING;
  if (extra.includes('rdtsc')) proc |= P.CPU_BASED_RDTSC_EXITING;
  if (extra.includes('pause')) proc |= P.CPU_BASED_PAUSE_EXITING;
  let proc2 = v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) | S.SECONDARY_EXEC_WBINVD_EXITING;
  if (extra.includes('desc')) proc2 |= S.SECONDARY_EXEC_DESC;
  if (extra.includes('apic') && apicAccessPage >= 0) { proc2 |= S.SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES; v.write(VMCS.APIC_ACCESS_ADDR, apicAccessPage >>> 0); }
  v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS)!, proc) >>> 0);
  v.write(VMCS.SECONDARY_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_PROCBASED_CTLS2)!, proc2) >>> 0);
  v.write(VMCS.MSR_BITMAP, msrBitmap >>> 0);
  v.write(VMCS.TSC_OFFSET, 0); v.write(VMCS.TSC_OFFSET_HIGH, 0);
  v.write(VMCS.EXCEPTION_BITMAP, (v.read(VMCS.EXCEPTION_BITMAP) | VMM_EXCEPTION_BITMAP) >>> 0);
}

/** The guest's TSC: the processor's (icount) plus the 64-bit signed TSC_OFFSET (SDM 25.6.5). */
export function guestTsc(v: Vmcs, icount: number): number {
  return icount + tscOffset(v);
}
export function tscOffset(v: Vmcs): number {
  return (v.read(VMCS.TSC_OFFSET_HIGH) | 0) * 0x100000000 + (v.read(VMCS.TSC_OFFSET) >>> 0);
}
/** Set TSC_OFFSET so that the guest's TSC reads `value` now (KVM's kvm_write_tsc). */
export function setGuestTsc(v: Vmcs, icount: number, value: number): void {
  const off = value - icount;
  const hi = Math.floor(off / 0x100000000);
  v.write(VMCS.TSC_OFFSET, (off - hi * 0x100000000) >>> 0);
  v.write(VMCS.TSC_OFFSET_HIGH, hi >>> 0);
}
