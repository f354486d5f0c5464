// The MSR areas processed at VM exit (SDM Vol. 3C 27.4 "Saving MSRs", 27.6 "Loading MSRs") and the
// VMX abort a failure there causes (28.7 "VMX Aborts"). Each area is an array of 16-byte entries in
// physical memory (Table 25-15): bits 31:0 the MSR index, bits 63:32 reserved (0), bits 127:64 the
// data. The store area is written with what RDMSR would return after the guest state was saved; the
// load area is loaded through WRMSR semantics after the host state (so it can override host MSRs such
// as IA32_SYSENTER_*). The VM-entry MSR-load area (26.4) lives in vmxCpu.ts.
import type { Cpu } from '../cpu/cpu';
import type { Vmcs } from './vmcs';
import { VMCS } from './vmcsFields';
import { rdmsrHw, wrmsrHw } from '../cpu/msrs';

/** VMX-abort indicators (SDM 28.7): 1 saving guest MSRs failed, 4 loading host MSRs failed. */
export const VMX_ABORT_SAVE_GUEST_MSR_FAIL = 1;
export const VMX_ABORT_LOAD_HOST_MSR_FAIL = 4;

const IA32_SMBASE = 0x9e, IA32_FS_BASE = 0xc0000100, IA32_GS_BASE = 0xc0000101, IA32_SMM_MONITOR_CTL = 0x9b;
const isX2apic = (index: number): boolean => (index >>> 8) === 0x8;

/**
 * SDM 27.4: store each listed MSR. An entry fails with reserved bits set, IA32_SMBASE, an x2APIC MSR,
 * or an MSR that RDMSR cannot read. Returns 0, or the failing entry's 1-based number.
 */
export function exitMsrStore(cpu: Cpu, v: Vmcs): number {
  const n = v.read(VMCS.VM_EXIT_MSR_STORE_COUNT);
  const base = v.read(VMCS.VM_EXIT_MSR_STORE_ADDR) >>> 0;
  const mem = cpu.mem;
  for (let k = 0; k < n; k++) {
    const at = base + 16 * k;
    const index = mem.read32(at as never) >>> 0;
    if (mem.read32((at + 4) as never) !== 0 || index === IA32_SMBASE || isX2apic(index)) return k + 1;
    const val = rdmsrHw(cpu, index);
    if (!val) return k + 1;
    mem.write32((at + 8) as never, val[0]);
    mem.write32((at + 12) as never, val[1]);
  }
  return 0;
}

/**
 * SDM 27.6: load each listed MSR, after the host state. An entry fails with reserved bits set,
 * IA32_FS_BASE / IA32_GS_BASE, an x2APIC MSR, IA32_SMM_MONITOR_CTL, or a value WRMSR would refuse
 * (#GP). Returns 0, or the failing entry's 1-based number (the entries before it stay loaded).
 */
export function exitMsrLoad(cpu: Cpu, v: Vmcs): number {
  const n = v.read(VMCS.VM_EXIT_MSR_LOAD_COUNT);
  const base = v.read(VMCS.VM_EXIT_MSR_LOAD_ADDR) >>> 0;
  const mem = cpu.mem;
  for (let k = 0; k < n; k++) {
    const at = base + 16 * k;
    const index = mem.read32(at as never) >>> 0;
    if (mem.read32((at + 4) as never) !== 0 || index === IA32_FS_BASE || index === IA32_GS_BASE || index === IA32_SMM_MONITOR_CTL || isX2apic(index)) return k + 1;
    if (!wrmsrHw(cpu, index, mem.read32((at + 8) as never), mem.read32((at + 12) as never))) return k + 1;
  }
  return 0;
}

/**
 * A VMX abort (SDM 28.7): the processor writes the indicator into the VMCS region's second dword and
 * enters the shutdown state; host software does not run. The VMM sees it as a VMCS with a non-zero
 * abort indicator after the exit and stops the VM (a host failure, never a guest fault).
 */
export function vmxAbort(cpu: Cpu, v: Vmcs, indicator: number): void {
  v.abortIndicator = indicator;
  cpu.activity = 2;
}
