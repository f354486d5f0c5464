// Model-specific registers of the emulated processor (SDM Vol. 4). An MSR not listed is absent:
// RDMSR/WRMSR raise #GP(0), as on hardware.
import type { Cpu } from './cpu';

export const IA32_TIME_STAMP_COUNTER = 0x10, IA32_APIC_BASE = 0x1b, IA32_FEATURE_CONTROL = 0x3a,
  IA32_MTRRCAP = 0xfe, IA32_SYSENTER_CS = 0x174, IA32_SYSENTER_ESP = 0x175, IA32_SYSENTER_EIP = 0x176,
  IA32_DEBUGCTL = 0x1d9, IA32_PAT = 0x277, IA32_MTRR_DEF_TYPE = 0x2ff, IA32_EFER = 0xc0000080;
/** IA32_EFER bits this processor has: NXE (bit 11) only; no IA-32e mode, no SYSCALL (SDM Vol. 4 Table 2-2). */
export const EFER_WRITABLE = 0x800;

/** Returns [eax, edx] or undefined for an absent MSR. */
export function rdmsrHw(cpu: Cpu, msr: number): [number, number] | undefined {
  switch (msr) {
    case IA32_TIME_STAMP_COUNTER: return [cpu.icount % 0x100000000 | 0, Math.floor(cpu.icount / 0x100000000) | 0];
    case IA32_APIC_BASE: return [0xfee00000 | (cpu.id === 0 ? 0x100 : 0) | 0x800, 0];
    case IA32_FEATURE_CONTROL: return [0x5, 0]; // locked, VMX outside SMX enabled
    case IA32_MTRRCAP: return [0, 0];
    case IA32_MTRR_DEF_TYPE: return [0x806, 0];
    case IA32_SYSENTER_CS: return [cpu.sysenterCs, 0];
    case IA32_SYSENTER_ESP: return [cpu.sysenterEsp, 0];
    case IA32_SYSENTER_EIP: return [cpu.sysenterEip, 0];
    case IA32_PAT: return [cpu.patLo, cpu.patHi];
    case IA32_DEBUGCTL: return [cpu.debugCtl, 0];
    case IA32_EFER: return [cpu.efer, 0];
    default: return undefined;
  }
}

export function wrmsrHw(cpu: Cpu, msr: number, lo: number, hi: number): boolean {
  switch (msr) {
    case IA32_TIME_STAMP_COUNTER: return true; // ignored: the TSC is the instruction count
    case IA32_APIC_BASE: return true;
    case IA32_MTRR_DEF_TYPE: return true;
    case IA32_SYSENTER_CS: cpu.sysenterCs = lo & 0xffff; return true;
    case IA32_SYSENTER_ESP: cpu.sysenterEsp = lo; return true;
    case IA32_SYSENTER_EIP: cpu.sysenterEip = lo; return true;
    case IA32_PAT: cpu.patLo = lo; cpu.patHi = hi; return true;
    case IA32_DEBUGCTL: if ((lo & ~3) || hi) return false; cpu.debugCtl = lo; return true; // LBR, BTF (P6 family)
    case IA32_EFER: {
      if ((lo & ~EFER_WRITABLE) || hi) return false; // reserved bits: #GP(0)
      // NXE changes which translations are executable: drop cached ones (the TLB caches XD).
      if ((cpu.efer ^ lo) & EFER_WRITABLE) cpu.mmu.flushAll();
      cpu.efer = lo;
      return true;
    }
    default: return false;
  }
}
