// The checks VM entry makes before it loads anything (SDM Vol. 3C 26.2 "Checks on VMX Controls and
// Host-State Area" and 26.3.1 "Checks on the Guest State Area"), one table row per check, in the SDM's
// order. A failing control check is VMfailValid with VM-instruction error 7 ("VM entry with invalid
// control field(s)"), a host-state check error 8 ("... invalid host-state field(s)"), a guest-state check
// a VM exit with basic reason 33 and the entry-failure bit (31) set, with the exit qualification of
// SDM 27.8 (0 in general, 2 PDPTE loading, 4 VMCS link pointer). Each row names the field it blames,
// so the debugger can say which field of the VMCS is wrong; test/unit/vmx/entryChecks.test.ts breaks
// each row's field alone in an otherwise valid VMCS and expects exactly that row to fail.
//
// The model is an IA-32 (not IA-32e) processor with 32-bit physical addresses: the checks on the upper
// halves of natural-width fields, canonical addresses and IA-32e mode are vacuous here and left out.
import type { Vmcs } from './vmcs';
import { VMCS } from './vmcsFields';
import { CpuBasedControls as P, PinBasedControls as Pin, SecondaryExecControls as S, VmEntryControls as En, VmExitControls as Ex } from './vmxControls';
import { controlsAllowed, VMX_MSR } from './vmxCapabilities';

export type CheckStage = 'control' | 'host' | 'guest';

export interface EntryCheck {
  /** Stable name (the tests and the docs use it). */
  id: string;
  stage: CheckStage;
  /** The VMCS field the failure names. */
  field: string;
  /** What must hold, in the SDM's words, with the section. */
  text: string;
  /** Exit qualification of the entry-failure exit (guest checks; SDM 27.8). */
  qualification?: number;
  /** True when the VMCS passes the check. */
  ok(v: Vmcs, c: CheckContext): boolean;
}

export interface CheckContext {
  caps: Map<number, bigint>;
  /** Host-physical memory size in bytes (addresses must lie below it). */
  memSize: number;
}

// ---- helpers
const SEG = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'] as const;
const SEL = (s: number): number => 0x0800 + 2 * s;
const LIM = (s: number): number => 0x4800 + 2 * s;
const ARF = (s: number): number => 0x4814 + 2 * s;
const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
const UNUSABLE = 0x10000;
const procOn = (v: Vmcs, bit: number): boolean => (v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & bit) !== 0;
const secondary = (v: Vmcs): number => (procOn(v, P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ? v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) : 0);
const pinOn = (v: Vmcs, bit: number): boolean => (v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL) & bit) !== 0;
const exitOn = (v: Vmcs, bit: number): boolean => (v.read(VMCS.VM_EXIT_CONTROLS) & bit) !== 0;
const entryOn = (v: Vmcs, bit: number): boolean => (v.read(VMCS.VM_ENTRY_CONTROLS) & bit) !== 0;
const unrestricted = (v: Vmcs): boolean => (secondary(v) & S.SECONDARY_EXEC_UNRESTRICTED_GUEST) !== 0;
const fixed = (c: CheckContext, msr: number): number => Number(c.caps.get(msr)! & 0xffffffffn) >>> 0;
/** A 4-KiB-aligned address of a structure inside physical memory (SDM 26.2.1.1). */
const pageAddrOk = (v: Vmcs, c: CheckContext, enc: number): boolean => {
  const a = v.read(enc) >>> 0;
  return (a & 0xfff) === 0 && v.read(enc + 1) === 0 && a + 4096 <= c.memSize;
};
/** A PAT value: each byte a valid memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-) (SDM 26.2.2, 26.3.1.1). */
const patOk = (lo: number, hi: number): boolean => {
  for (const w of [lo, hi]) for (let k = 0; k < 4; k++) { const t = (w >>> (8 * k)) & 0xff; if (t !== 0 && t !== 1 && !(t >= 4 && t <= 7)) return false; }
  return true;
};
const intrInfo = (v: Vmcs): number => v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
const intrValid = (v: Vmcs): boolean => (intrInfo(v) & 0x80000000) !== 0;
const intrType = (v: Vmcs): number => (intrInfo(v) >> 8) & 7;
/** Protected-mode guest checks apply (not unrestricted real mode, not virtual-8086). */
const protectedGuest = (v: Vmcs): boolean => (v.read(VMCS.GUEST_CR0) & 1) !== 0 && !(v.read(VMCS.GUEST_RFLAGS) & 0x20000);
const usable = (v: Vmcs, s: number): boolean => !(v.read(ARF(s)) & UNUSABLE);
/** Limit/granularity consistency of a usable segment (SDM 26.3.1.2). */
const limitGranularityOk = (v: Vmcs, s: number): boolean => {
  if (!usable(v, s)) return true;
  const lim = v.read(LIM(s)) >>> 0, g = (v.read(ARF(s)) & 0x8000) !== 0;
  if ((lim & 0xfff) !== 0xfff && g) return false;
  if ((lim & 0xfff00000) !== 0 && !g) return false;
  return true;
};
/** Reserved bits of a usable segment's access rights: 11:8 and 31:17 (SDM 26.3.1.2). */
const arReservedOk = (v: Vmcs, s: number): boolean => !usable(v, s) || (v.read(ARF(s)) & 0xfffe0f00) === 0;

function controlPair(id: string, enc: number, msr: number, name: string): EntryCheck {
  return {
    id, stage: 'control', field: name, text: `reserved bits in ${name} not set correctly (SDM 26.2.1.1)`,
    ok: (v, c) => controlsAllowed(c.caps.get(msr)!, v.read(enc)),
  };
}

function dataSegChecks(s: number): EntryCheck[] {
  const n = SEG[s];
  return [
    {
      id: `guest_${n.toLowerCase()}_type`, stage: 'guest', field: `GUEST_${n}_AR_BYTES`,
      text: `${n}, if usable: accessed type (bit 0 = 1), code segments readable; S = 1; P = 1 (SDM 26.3.1.2)`,
      ok: (v) => {
        if (!protectedGuest(v) || !usable(v, s)) return true;
        const ar = v.read(ARF(s));
        return (ar & 1) === 1 && (!(ar & 8) || (ar & 2) !== 0) && (ar & 0x10) !== 0 && (ar & 0x80) !== 0;
      },
    },
    {
      id: `guest_${n.toLowerCase()}_dpl`, stage: 'guest', field: `GUEST_${n}_AR_BYTES`,
      text: `${n}, if usable and not conforming code: DPL >= RPL (SDM 26.3.1.2)`,
      ok: (v) => {
        if (!protectedGuest(v) || !usable(v, s) || unrestricted(v)) return true;
        const ar = v.read(ARF(s));
        if ((ar & 0xc) === 0xc) return true; // conforming code
        return ((ar >> 5) & 3) >= (v.read(SEL(s)) & 3);
      },
    },
  ];
}

/** Every check, in the order VM entry makes them. */
export const ENTRY_CHECKS: readonly EntryCheck[] = [
  // ---- 26.2.1.1 VM-execution control fields
  controlPair('pin_based_reserved', VMCS.PIN_BASED_VM_EXEC_CONTROL, VMX_MSR.IA32_VMX_TRUE_PINBASED_CTLS, 'PIN_BASED_VM_EXEC_CONTROL'),
  controlPair('cpu_based_reserved', VMCS.CPU_BASED_VM_EXEC_CONTROL, VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS, 'CPU_BASED_VM_EXEC_CONTROL'),
  {
    id: 'secondary_reserved', stage: 'control', field: 'SECONDARY_VM_EXEC_CONTROL', text: 'reserved bits in SECONDARY_VM_EXEC_CONTROL (SDM 26.2.1.1)',
    ok: (v, c) => !procOn(v, P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) || controlsAllowed(c.caps.get(VMX_MSR.IA32_VMX_PROCBASED_CTLS2)!, v.read(VMCS.SECONDARY_VM_EXEC_CONTROL)),
  },
  {
    id: 'cr3_target_count', stage: 'control', field: 'CR3_TARGET_COUNT', text: 'CR3-target count greater than 4 (SDM 26.2.1.1)',
    ok: (v) => v.read(VMCS.CR3_TARGET_COUNT) <= 4,
  },
  {
    id: 'io_bitmap_a_address', stage: 'control', field: 'IO_BITMAP_A', text: 'with "use I/O bitmaps", I/O bitmap A must be 4-KiB aligned and in physical memory (SDM 26.2.1.1)',
    ok: (v, c) => !procOn(v, P.CPU_BASED_USE_IO_BITMAPS) || pageAddrOk(v, c, VMCS.IO_BITMAP_A),
  },
  {
    id: 'io_bitmap_b_address', stage: 'control', field: 'IO_BITMAP_B', text: 'with "use I/O bitmaps", I/O bitmap B must be 4-KiB aligned and in physical memory (SDM 26.2.1.1)',
    ok: (v, c) => !procOn(v, P.CPU_BASED_USE_IO_BITMAPS) || pageAddrOk(v, c, VMCS.IO_BITMAP_B),
  },
  {
    id: 'msr_bitmap_address', stage: 'control', field: 'MSR_BITMAP', text: 'with "use MSR bitmaps", the MSR-bitmap address must be 4-KiB aligned and in physical memory (SDM 26.2.1.1)',
    ok: (v, c) => !procOn(v, P.CPU_BASED_USE_MSR_BITMAPS) || pageAddrOk(v, c, VMCS.MSR_BITMAP),
  },
  {
    id: 'apic_access_address', stage: 'control', field: 'APIC_ACCESS_ADDR', text: 'with "virtualize APIC accesses", the APIC-access address must be 4-KiB aligned and in physical memory (SDM 26.2.1.1)',
    ok: (v, c) => !(secondary(v) & S.SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES) || pageAddrOk(v, c, VMCS.APIC_ACCESS_ADDR),
  },
  {
    id: 'virtual_nmis_need_nmi_exiting', stage: 'control', field: 'PIN_BASED_VM_EXEC_CONTROL', text: '"virtual NMIs" requires "NMI exiting" (SDM 26.2.1.1)',
    ok: (v) => !pinOn(v, Pin.PIN_BASED_VIRTUAL_NMIS) || pinOn(v, Pin.PIN_BASED_NMI_EXITING),
  },
  {
    id: 'nmi_window_needs_virtual_nmis', stage: 'control', field: 'CPU_BASED_VM_EXEC_CONTROL', text: '"NMI-window exiting" requires "virtual NMIs" (SDM 26.2.1.1)',
    ok: (v) => !procOn(v, P.CPU_BASED_NMI_WINDOW_EXITING) || pinOn(v, Pin.PIN_BASED_VIRTUAL_NMIS),
  },
  {
    id: 'vpid_nonzero', stage: 'control', field: 'VIRTUAL_PROCESSOR_ID', text: 'with "enable VPID", the VPID must not be 0 (SDM 26.2.1.1)',
    ok: (v) => !(secondary(v) & S.SECONDARY_EXEC_ENABLE_VPID) || (v.read(VMCS.VIRTUAL_PROCESSOR_ID) & 0xffff) !== 0,
  },
  {
    id: 'eptp_type_walk', stage: 'control', field: 'EPT_POINTER', text: 'EPT pointer: memory type must be WB (6) and page-walk length 4 (SDM 26.2.1.1)',
    ok: (v) => !(secondary(v) & S.SECONDARY_EXEC_ENABLE_EPT) || ((v.read(VMCS.EPT_POINTER) & 7) === 6 && ((v.read(VMCS.EPT_POINTER) >> 3) & 7) === 3),
  },
  {
    id: 'eptp_address', stage: 'control', field: 'EPT_POINTER', text: 'EPT pointer: reserved bits 11:7 clear and the PML4 table in physical memory (SDM 26.2.1.1)',
    ok: (v, c) => {
      if (!(secondary(v) & S.SECONDARY_EXEC_ENABLE_EPT)) return true;
      const e = v.read(VMCS.EPT_POINTER) >>> 0;
      return (e & 0xf80) === 0 && v.read(VMCS.EPT_POINTER + 1) === 0 && (e & ~0xfff) + 4096 <= c.memSize;
    },
  },
  {
    id: 'unrestricted_needs_ept', stage: 'control', field: 'SECONDARY_VM_EXEC_CONTROL', text: 'unrestricted guest requires enable EPT (SDM 26.2.1.1)',
    ok: (v) => !(secondary(v) & S.SECONDARY_EXEC_UNRESTRICTED_GUEST) || (secondary(v) & S.SECONDARY_EXEC_ENABLE_EPT) !== 0,
  },
  // ---- 26.2.1.2 VM-exit control fields
  controlPair('exit_reserved', VMCS.VM_EXIT_CONTROLS, VMX_MSR.IA32_VMX_TRUE_EXIT_CTLS, 'VM_EXIT_CONTROLS'),
  {
    id: 'save_preemption_needs_timer', stage: 'control', field: 'VM_EXIT_CONTROLS', text: '"save VMX-preemption timer value" requires "activate VMX-preemption timer" (SDM 26.2.1.2)',
    ok: (v) => !exitOn(v, Ex.VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) || pinOn(v, Pin.PIN_BASED_VMX_PREEMPTION_TIMER),
  },
  {
    id: 'exit_msr_store_address', stage: 'control', field: 'VM_EXIT_MSR_STORE_ADDR', text: 'with a VM-exit MSR-store count, the area must be 16-byte aligned and in physical memory (SDM 26.2.1.2)',
    ok: (v, c) => v.read(VMCS.VM_EXIT_MSR_STORE_COUNT) === 0 || ((v.read(VMCS.VM_EXIT_MSR_STORE_ADDR) & 15) === 0 && (v.read(VMCS.VM_EXIT_MSR_STORE_ADDR) >>> 0) + 16 * v.read(VMCS.VM_EXIT_MSR_STORE_COUNT) <= c.memSize),
  },
  {
    id: 'exit_msr_load_address', stage: 'control', field: 'VM_EXIT_MSR_LOAD_ADDR', text: 'with a VM-exit MSR-load count, the area must be 16-byte aligned and in physical memory (SDM 26.2.1.2)',
    ok: (v, c) => v.read(VMCS.VM_EXIT_MSR_LOAD_COUNT) === 0 || ((v.read(VMCS.VM_EXIT_MSR_LOAD_ADDR) & 15) === 0 && (v.read(VMCS.VM_EXIT_MSR_LOAD_ADDR) >>> 0) + 16 * v.read(VMCS.VM_EXIT_MSR_LOAD_COUNT) <= c.memSize),
  },
  // ---- 26.2.1.3 VM-entry control fields
  controlPair('entry_reserved', VMCS.VM_ENTRY_CONTROLS, VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS, 'VM_ENTRY_CONTROLS'),
  {
    id: 'entry_intr_type', stage: 'control', field: 'VM_ENTRY_INTR_INFO_FIELD', text: 'VM-entry interruption information: reserved type (1) or reserved bits 30:12 (SDM 26.2.1.3)',
    ok: (v) => !intrValid(v) || (intrType(v) !== 1 && (intrInfo(v) & 0x7ffff000) === 0),
  },
  {
    id: 'entry_intr_vector', stage: 'control', field: 'VM_ENTRY_INTR_INFO_FIELD', text: 'VM-entry interruption information: an NMI has vector 2, a hardware exception a vector up to 31 (SDM 26.2.1.3)',
    ok: (v) => !intrValid(v) || (intrType(v) === 2 ? (intrInfo(v) & 0xff) === 2 : intrType(v) === 3 ? (intrInfo(v) & 0xff) <= 31 : true),
  },
  {
    id: 'entry_intr_error_code', stage: 'control', field: 'VM_ENTRY_INTR_INFO_FIELD', text: 'VM-entry interruption information: "deliver error code" only for a hardware exception that has one (8, 10-14, 17) in protected mode (SDM 26.2.1.3)',
    ok: (v) => {
      if (!intrValid(v)) return true;
      const deliver = (intrInfo(v) & 0x800) !== 0;
      const vec = intrInfo(v) & 0xff;
      const has = intrType(v) === 3 && (v.read(VMCS.GUEST_CR0) & 1) === 1 && (vec === 8 || (vec >= 10 && vec <= 14) || vec === 17);
      return deliver === has;
    },
  },
  {
    id: 'entry_exception_error_code', stage: 'control', field: 'VM_ENTRY_EXCEPTION_ERROR_CODE', text: 'VM-entry exception error code: bits 31:16 must be 0 (SDM 26.2.1.3)',
    ok: (v) => !intrValid(v) || !(intrInfo(v) & 0x800) || (v.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000) === 0,
  },
  {
    id: 'entry_instruction_length', stage: 'control', field: 'VM_ENTRY_INSTRUCTION_LEN', text: 'VM-entry instruction length: 1-15 for a software interrupt or exception (SDM 26.2.1.3)',
    ok: (v) => !intrValid(v) || !(intrType(v) >= 4 && intrType(v) <= 6) || (v.read(VMCS.VM_ENTRY_INSTRUCTION_LEN) >= 1 && v.read(VMCS.VM_ENTRY_INSTRUCTION_LEN) <= 15),
  },
  {
    id: 'entry_msr_load_address', stage: 'control', field: 'VM_ENTRY_MSR_LOAD_ADDR', text: 'with a VM-entry MSR-load count, the area must be 16-byte aligned and in physical memory (SDM 26.2.1.3)',
    ok: (v, c) => v.read(VMCS.VM_ENTRY_MSR_LOAD_COUNT) === 0 || ((v.read(VMCS.VM_ENTRY_MSR_LOAD_ADDR) & 15) === 0 && (v.read(VMCS.VM_ENTRY_MSR_LOAD_ADDR) >>> 0) + 16 * v.read(VMCS.VM_ENTRY_MSR_LOAD_COUNT) <= c.memSize),
  },
  // ---- 26.2.2 host control registers and MSRs
  {
    id: 'host_cr0_fixed', stage: 'host', field: 'HOST_CR0', text: 'HOST_CR0 must have PE, NE and PG set (IA32_VMX_CR0_FIXED0, SDM 26.2.2)',
    ok: (v, c) => { const f0 = fixed(c, VMX_MSR.IA32_VMX_CR0_FIXED0); return ((v.read(VMCS.HOST_CR0) & f0) >>> 0) === f0; },
  },
  {
    id: 'host_cr4_fixed', stage: 'host', field: 'HOST_CR4', text: 'HOST_CR4 must have VMXE set and no bit outside IA32_VMX_CR4_FIXED1 (SDM 26.2.2)',
    ok: (v, c) => { const cr4 = v.read(VMCS.HOST_CR4) >>> 0; return (cr4 & fixed(c, VMX_MSR.IA32_VMX_CR4_FIXED0)) !== 0 && (cr4 & ~fixed(c, VMX_MSR.IA32_VMX_CR4_FIXED1)) === 0; },
  },
  {
    id: 'host_pat', stage: 'host', field: 'HOST_IA32_PAT', text: 'with "load IA32_PAT" on exit, each byte of HOST_IA32_PAT must be a valid memory type (SDM 26.2.2)',
    ok: (v) => !exitOn(v, Ex.VM_EXIT_LOAD_IA32_PAT) || patOk(v.read(VMCS.HOST_IA32_PAT), v.read(VMCS.HOST_IA32_PAT + 1)),
  },
  // ---- 26.2.3 host segment and descriptor-table registers
  {
    id: 'host_selector_rpl_ti', stage: 'host', field: 'HOST selector', text: 'host selector fields must have RPL and TI clear (SDM 26.2.3)',
    ok: (v) => [VMCS.HOST_ES_SELECTOR, VMCS.HOST_CS_SELECTOR, VMCS.HOST_SS_SELECTOR, VMCS.HOST_DS_SELECTOR, VMCS.HOST_FS_SELECTOR, VMCS.HOST_GS_SELECTOR, VMCS.HOST_TR_SELECTOR].every((e) => (v.read(e) & 7) === 0),
  },
  {
    id: 'host_cs_null', stage: 'host', field: 'HOST_CS_SELECTOR', text: 'HOST_CS_SELECTOR must not be null (SDM 26.2.3)',
    ok: (v) => (v.read(VMCS.HOST_CS_SELECTOR) & 0xfffc) !== 0,
  },
  {
    id: 'host_tr_null', stage: 'host', field: 'HOST_TR_SELECTOR', text: 'HOST_TR_SELECTOR must not be null (SDM 26.2.3)',
    ok: (v) => (v.read(VMCS.HOST_TR_SELECTOR) & 0xfffc) !== 0,
  },
  {
    id: 'host_ss_null', stage: 'host', field: 'HOST_SS_SELECTOR', text: 'HOST_SS_SELECTOR must not be null with a 32-bit host ("host address-space size" = 0, SDM 26.2.3)',
    ok: (v) => exitOn(v, Ex.VM_EXIT_HOST_ADDR_SPACE_SIZE) || (v.read(VMCS.HOST_SS_SELECTOR) & 0xfffc) !== 0,
  },
  // ---- 26.3.1.1 guest control registers, debug registers and MSRs
  {
    id: 'guest_cr0_fixed', stage: 'guest', field: 'GUEST_CR0', text: 'GUEST_CR0 violates IA32_VMX_CR0_FIXED0 (PE, NE, PG; only NE with unrestricted guest) (SDM 26.3.1.1)',
    ok: (v, c) => { const f0 = unrestricted(v) ? fixed(c, VMX_MSR.IA32_VMX_CR0_FIXED0) & ~0x80000001 : fixed(c, VMX_MSR.IA32_VMX_CR0_FIXED0); return ((v.read(VMCS.GUEST_CR0) & f0) >>> 0) === f0 >>> 0; },
  },
  {
    id: 'guest_cr0_pg_without_pe', stage: 'guest', field: 'GUEST_CR0', text: 'GUEST_CR0: PG set without PE (SDM 26.3.1.1)',
    ok: (v) => !(v.read(VMCS.GUEST_CR0) & 0x80000000) || (v.read(VMCS.GUEST_CR0) & 1) === 1,
  },
  {
    id: 'guest_cr4_fixed', stage: 'guest', field: 'GUEST_CR4', text: 'GUEST_CR4 must have VMXE set and no bit outside IA32_VMX_CR4_FIXED1 (SDM 26.3.1.1)',
    ok: (v, c) => { const cr4 = v.read(VMCS.GUEST_CR4) >>> 0; return (cr4 & fixed(c, VMX_MSR.IA32_VMX_CR4_FIXED0)) !== 0 && (cr4 & ~fixed(c, VMX_MSR.IA32_VMX_CR4_FIXED1)) === 0; },
  },
  {
    id: 'guest_debugctl', stage: 'guest', field: 'GUEST_IA32_DEBUGCTL', text: 'with "load debug controls", reserved bits of IA32_DEBUGCTL (5:2, 63:16) must be 0 (SDM 26.3.1.1)',
    ok: (v) => !entryOn(v, En.VM_ENTRY_LOAD_DEBUG_CONTROLS) || ((v.read(VMCS.GUEST_IA32_DEBUGCTL) & 0xffff003c) === 0 && v.read(VMCS.GUEST_IA32_DEBUGCTL_HIGH) === 0),
  },
  {
    id: 'guest_pat', stage: 'guest', field: 'GUEST_IA32_PAT', text: 'with "load IA32_PAT" on entry, each byte of GUEST_IA32_PAT must be a valid memory type (SDM 26.3.1.1)',
    ok: (v) => !entryOn(v, En.VM_ENTRY_LOAD_IA32_PAT) || patOk(v.read(VMCS.GUEST_IA32_PAT), v.read(VMCS.GUEST_IA32_PAT + 1)),
  },
  {
    id: 'guest_efer', stage: 'guest', field: 'GUEST_IA32_EFER', text: 'with "load IA32_EFER", reserved EFER bits must be 0 and LMA/LME 0 on an IA-32 guest (SDM 26.3.1.1)',
    ok: (v) => !entryOn(v, En.VM_ENTRY_LOAD_IA32_EFER) || ((v.read(VMCS.GUEST_IA32_EFER) & ~0x801) === 0 && v.read(VMCS.GUEST_IA32_EFER + 1) === 0),
  },
  // ---- 26.3.1.2 guest segment registers (protected mode, not virtual-8086)
  {
    id: 'guest_tr_type', stage: 'guest', field: 'GUEST_TR_AR_BYTES', text: 'GUEST_TR_AR_BYTES: TR must be a usable busy TSS (type 3 or 11), S = 0, P = 1 (SDM 26.3.1.2)',
    ok: (v) => { const ar = v.read(ARF(TR)); return !(ar & UNUSABLE) && ((ar & 0xf) === 3 || (ar & 0xf) === 11) && !(ar & 0x10) && (ar & 0x80) !== 0; },
  },
  {
    id: 'guest_tr_ti', stage: 'guest', field: 'GUEST_TR_SELECTOR', text: 'GUEST_TR_SELECTOR: TI must be 0 (SDM 26.3.1.2)',
    ok: (v) => (v.read(SEL(TR)) & 4) === 0,
  },
  {
    id: 'guest_ldtr', stage: 'guest', field: 'GUEST_LDTR_AR_BYTES', text: 'LDTR, if usable: selector TI = 0, type 2 (LDT), S = 0, P = 1 (SDM 26.3.1.2)',
    ok: (v) => { const ar = v.read(ARF(LDTR)); return (ar & UNUSABLE) !== 0 || ((v.read(SEL(LDTR)) & 4) === 0 && (ar & 0x1f) === 2 && (ar & 0x80) !== 0); },
  },
  {
    id: 'guest_cs_type', stage: 'guest', field: 'GUEST_CS_AR_BYTES', text: 'CS: accessed code (type 9, 11, 13 or 15), S = 1, P = 1 (SDM 26.3.1.2)',
    ok: (v) => { if (!protectedGuest(v)) return true; const ar = v.read(ARF(CS)); return (ar & 9) === 9 && (ar & 0x10) !== 0 && (ar & 0x80) !== 0 && !(ar & UNUSABLE); },
  },
  {
    id: 'guest_cs_dpl', stage: 'guest', field: 'GUEST_CS_AR_BYTES', text: 'CS.DPL: equal to SS.DPL for non-conforming code, at most SS.DPL for conforming code (SDM 26.3.1.2)',
    ok: (v) => {
      if (!protectedGuest(v) || unrestricted(v)) return true;
      const ar = v.read(ARF(CS)), dpl = (ar >> 5) & 3, ssDpl = (v.read(ARF(SS)) >> 5) & 3;
      return (ar & 4) ? dpl <= ssDpl : dpl === ssDpl;
    },
  },
  {
    id: 'guest_ss_rpl', stage: 'guest', field: 'GUEST_SS_SELECTOR', text: 'SS.RPL must equal CS.RPL (SDM 26.3.1.2)',
    ok: (v) => !protectedGuest(v) || unrestricted(v) || (v.read(SEL(SS)) & 3) === (v.read(SEL(CS)) & 3),
  },
  {
    id: 'guest_ss_type', stage: 'guest', field: 'GUEST_SS_AR_BYTES', text: 'SS, if usable: read/write data (type 3 or 7), S = 1, P = 1, DPL = RPL (SDM 26.3.1.2)',
    ok: (v) => {
      if (!protectedGuest(v) || !usable(v, SS)) return true;
      const ar = v.read(ARF(SS));
      return ((ar & 0xf) === 3 || (ar & 0xf) === 7) && (ar & 0x10) !== 0 && (ar & 0x80) !== 0 && (unrestricted(v) || ((ar >> 5) & 3) === (v.read(SEL(SS)) & 3));
    },
  },
  ...[DS, ES, FS, GS].flatMap(dataSegChecks),
  ...[ES, CS, SS, DS, FS, GS, LDTR, TR].map((s): EntryCheck => ({
    id: `guest_${SEG[s].toLowerCase()}_limit_g`, stage: 'guest', field: `GUEST_${SEG[s]}_LIMIT`,
    text: `${SEG[s]}: a limit with any of bits 11:0 clear needs G = 0, one with any of bits 31:20 set needs G = 1 (SDM 26.3.1.2)`,
    ok: (v) => limitGranularityOk(v, s),
  })),
  ...[ES, CS, SS, DS, FS, GS, LDTR, TR].map((s): EntryCheck => ({
    id: `guest_${SEG[s].toLowerCase()}_ar_reserved`, stage: 'guest', field: `GUEST_${SEG[s]}_AR_BYTES`,
    text: `${SEG[s]} access rights: reserved bits 11:8 and 31:17 must be 0 (SDM 26.3.1.2)`,
    ok: (v) => arReservedOk(v, s),
  })),
  // ---- 26.3.1.3 descriptor-table registers
  {
    id: 'guest_gdtr_limit', stage: 'guest', field: 'GUEST_GDTR_LIMIT', text: 'GDTR limit: bits 31:16 must be 0 (SDM 26.3.1.3)',
    ok: (v) => (v.read(VMCS.GUEST_GDTR_LIMIT) & 0xffff0000) === 0,
  },
  {
    id: 'guest_idtr_limit', stage: 'guest', field: 'GUEST_IDTR_LIMIT', text: 'IDTR limit: bits 31:16 must be 0 (SDM 26.3.1.3)',
    ok: (v) => (v.read(VMCS.GUEST_IDTR_LIMIT) & 0xffff0000) === 0,
  },
  // ---- 26.3.1.4 RIP and RFLAGS
  {
    id: 'guest_rflags_reserved', stage: 'guest', field: 'GUEST_RFLAGS', text: 'GUEST_RFLAGS: bit 1 must be 1 and bits 3, 5, 15 and 31:22 must be 0 (SDM 26.3.1.4)',
    ok: (v) => { const f = v.read(VMCS.GUEST_RFLAGS) >>> 0; return (f & 2) !== 0 && (f & 0xffc08028) === 0; },
  },
  {
    id: 'guest_rflags_if_for_interrupt', stage: 'guest', field: 'GUEST_RFLAGS', text: 'GUEST_RFLAGS.IF must be 1 when an external interrupt is injected (SDM 26.3.1.4)',
    ok: (v) => !intrValid(v) || intrType(v) !== 0 || (v.read(VMCS.GUEST_RFLAGS) & 0x200) !== 0,
  },
  // ---- 26.3.1.5 non-register state
  {
    id: 'guest_activity_state', stage: 'guest', field: 'GUEST_ACTIVITY_STATE', text: 'GUEST_ACTIVITY_STATE must be 0-3 and supported by IA32_VMX_MISC (SDM 26.3.1.5)',
    ok: (v, c) => {
      const a = v.read(VMCS.GUEST_ACTIVITY_STATE);
      return a === 0 || (a <= 3 && (Number(c.caps.get(VMX_MSR.IA32_VMX_MISC)! & 0x1c0n) & (1 << (5 + a))) !== 0);
    },
  },
  {
    id: 'guest_hlt_needs_dpl0', stage: 'guest', field: 'GUEST_ACTIVITY_STATE', text: 'activity state HLT requires SS.DPL = 0 (SDM 26.3.1.5)',
    ok: (v) => v.read(VMCS.GUEST_ACTIVITY_STATE) !== 1 || ((v.read(ARF(SS)) >> 5) & 3) === 0,
  },
  {
    id: 'guest_interruptibility_reserved', stage: 'guest', field: 'GUEST_INTERRUPTIBILITY_INFO', text: 'interruptibility state: bits 31:5 reserved; blocking by STI and by MOV SS not both (SDM 26.3.1.5)',
    ok: (v) => { const i = v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO); return (i & 0xffffffe0) === 0 && (i & 3) !== 3; },
  },
  {
    id: 'guest_sti_blocking_needs_if', stage: 'guest', field: 'GUEST_INTERRUPTIBILITY_INFO', text: 'blocking by STI requires RFLAGS.IF = 1 (SDM 26.3.1.5)',
    ok: (v) => !(v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & 1) || (v.read(VMCS.GUEST_RFLAGS) & 0x200) !== 0,
  },
  {
    id: 'guest_blocking_vs_injection', stage: 'guest', field: 'GUEST_INTERRUPTIBILITY_INFO', text: 'an injected external interrupt needs no STI/MOV SS blocking; an injected NMI no MOV SS blocking (SDM 26.3.1.5)',
    ok: (v) => {
      if (!intrValid(v)) return true;
      const i = v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO);
      if (intrType(v) === 0) return (i & 3) === 0;
      if (intrType(v) === 2) return (i & 2) === 0;
      return true;
    },
  },
  {
    id: 'guest_pending_debug_reserved', stage: 'guest', field: 'GUEST_PENDING_DBG_EXCEPTIONS', text: 'pending debug exceptions: bits 11:4, 13, 15 and 31:17 reserved (SDM 26.3.1.5)',
    ok: (v) => (v.read(VMCS.GUEST_PENDING_DBG_EXCEPTIONS) & 0xfffeaff0) === 0,
  },
  {
    id: 'vmcs_link_pointer', stage: 'guest', field: 'VMCS_LINK_POINTER', qualification: 4, text: 'VMCS_LINK_POINTER must be all ones without VMCS shadowing (SDM 26.3.1.5)',
    ok: (v) => v.read(VMCS.VMCS_LINK_POINTER) === 0xffffffff && v.read(VMCS.VMCS_LINK_POINTER_HIGH) === 0xffffffff,
  },
  // ---- 26.3.1.6 PDPTEs (PAE paging with EPT: the fields are loaded)
  ...[0, 1, 2, 3].map((k): EntryCheck => ({
    id: `guest_pdpte${k}_reserved`, stage: 'guest', field: `GUEST_PDPTR${k}`, qualification: 2,
    text: `GUEST_PDPTR${k}: a present PDPTE has reserved bits 2:1, 8:5 and 63:32 clear (MAXPHYADDR 32, SDM 26.3.1.6)`,
    ok: (v) => {
      if (!(secondary(v) & S.SECONDARY_EXEC_ENABLE_EPT) || !(v.read(VMCS.GUEST_CR0) & 0x80000000) || !(v.read(VMCS.GUEST_CR4) & 0x20)) return true;
      const lo = v.read(VMCS.GUEST_PDPTR0 + 2 * k), hi = v.read(VMCS.GUEST_PDPTR0 + 2 * k + 1);
      return !(lo & 1) || ((lo & 0x1e6) === 0 && hi === 0);
    },
  })),
];

/** The first check the VMCS fails at `stage`, or undefined. */
export function firstFailure(v: Vmcs, c: CheckContext, stage: CheckStage): EntryCheck | undefined {
  for (const k of ENTRY_CHECKS) if (k.stage === stage && !k.ok(v, c)) return k;
  return undefined;
}
