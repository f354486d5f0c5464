// The VMX capability MSRs of the modelled processor (SDM Vol. 3D Appendix A "VMX Capability
// Reporting Facility"), and the helpers software uses to read them (KVM's adjust_vmx_controls).
//
// The processor is IA-32 without Intel 64. That shows in the MSRs:
//  - IA32_VMX_BASIC bit 48 = 1: VMXON/VMCS/bitmap/MSR-area addresses are limited to 32 bits (A.1).
//  - "host address-space size" (exit bit 9) and "IA-32e mode guest" (entry bit 9) may not be 1
//    (25.7.1, 25.8.1: they must be 0 on processors that do not support Intel 64).
//  - No CR8-load/store exiting and no TPR shadow (those controls exist only with Intel 64).
//
// Control MSRs (A.3-A.5) report allowed-0 settings in bits 31:0 (bit X = 1: control X must be 1)
// and allowed-1 settings in bits 63:32 (bit 32+X = 1: control X may be 1). IA32_VMX_BASIC bit 55 is
// set, so the TRUE_ MSRs also exist and say which default1 controls (A.2) may in fact be 0.

import { VMCS, VMCS_MAX_ENCODING_INDEX } from './vmcsFields';
import { VMCS_REVISION_ID } from './vmcs';
import {
  CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR, CpuBasedControls as P, PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, PinBasedControls as Pin,
  SecondaryExecControls as S, VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR, VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR,
  VmEntryControls as En, VmExitControls as Ex,
} from './vmxControls';

/** MSR numbers (SDM Vol. 4 "Model-Specific Registers", Table 2-2; Appendix A). */
export const VMX_MSR = {
  IA32_FEATURE_CONTROL: 0x3a,
  IA32_VMX_BASIC: 0x480,
  IA32_VMX_PINBASED_CTLS: 0x481,
  IA32_VMX_PROCBASED_CTLS: 0x482,
  IA32_VMX_EXIT_CTLS: 0x483,
  IA32_VMX_ENTRY_CTLS: 0x484,
  IA32_VMX_MISC: 0x485,
  IA32_VMX_CR0_FIXED0: 0x486,
  IA32_VMX_CR0_FIXED1: 0x487,
  IA32_VMX_CR4_FIXED0: 0x488,
  IA32_VMX_CR4_FIXED1: 0x489,
  IA32_VMX_VMCS_ENUM: 0x48a,
  IA32_VMX_PROCBASED_CTLS2: 0x48b,
  IA32_VMX_EPT_VPID_CAP: 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS: 0x48d,
  IA32_VMX_TRUE_PROCBASED_CTLS: 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS: 0x48f,
  IA32_VMX_TRUE_ENTRY_CTLS: 0x490,
  IA32_VMX_VMFUNC: 0x491,
  IA32_VMX_PROCBASED_CTLS3: 0x492,
  IA32_VMX_EXIT_CTLS2: 0x493,
} as const;

// ---- IA32_FEATURE_CONTROL (SDM 24.7 "Enabling and Entering VMX Operation"). Not a capability
// MSR: it is read/write until locked, so the CPU model owns its value; this is the value firmware
// leaves behind on a machine with VMX enabled.
export const FEATURE_CONTROL_LOCKED = 1 << 0;
export const FEATURE_CONTROL_VMXON_INSIDE_SMX = 1 << 1;
export const FEATURE_CONTROL_VMXON_OUTSIDE_SMX = 1 << 2;
export const DEFAULT_FEATURE_CONTROL = BigInt(FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);

// ---- Fixed CR bits (A.7, A.8).
const CR0_PE = 1 << 0;
const CR0_NE = 1 << 5;
const CR0_PG = 0x80000000;
/** CR0 bits fixed to 1 in VMX operation: PE, NE, PG. */
export const CR0_FIXED0 = (CR0_PE | CR0_NE | CR0_PG) >>> 0;
/** No CR0 bit is fixed to 0. */
export const CR0_FIXED1 = 0xffffffff;
/** CR4.VMXE must be 1 in VMX operation. */
export const CR4_FIXED0 = 1 << 13;
/** CR4 bits of our IA-32 CPU: VME PVI TSD DE PSE PAE MCE PGE PCE, plus VMXE. */
export const DEFAULT_CR4_FIXED1 = 0x1ff | CR4_FIXED0;

// ---- IA32_VMX_BASIC (A.1).
export const VMX_BASIC_VMCS_SIZE = 4096;
export const VMX_BASIC_32BIT_ADDRESSES = 1n << 48n;
export const VMX_BASIC_MEM_TYPE_SHIFT = 50n;
export const VMX_BASIC_MEM_TYPE_WB = 6n;
export const VMX_BASIC_INOUT = 1n << 54n;
export const VMX_BASIC_TRUE_CTLS = 1n << 55n;

// ---- IA32_VMX_MISC (A.6).
export const VMX_MISC_PREEMPTION_TIMER_RATE = 5;
export const VMX_MISC_ACTIVITY_HLT = 1 << 6;
export const VMX_MISC_ACTIVITY_SHUTDOWN = 1 << 7;
export const VMX_MISC_ACTIVITY_WAIT_SIPI = 1 << 8;
export const VMX_MISC_CR3_TARGET_COUNT = 4;
/** Bits 27:25 = N: recommended maximum MSR-list entries is 512 * (N + 1). We report N = 0. */
export const VMX_MISC_MAX_MSR_LIST_N = 0;
/** Bit 29: VMWRITE may write read-only fields. Deliberately not advertised (vmwrite() fails with 13). */
export const VMX_MISC_VMWRITE_ANY_FIELD = 1 << 29;

// ---- IA32_VMX_EPT_VPID_CAP (A.10).
export const VMX_EPT_EXECUTE_ONLY_BIT = 1n << 0n;
export const VMX_EPT_PAGE_WALK_4_BIT = 1n << 6n;
export const VMX_EPTP_WB_BIT = 1n << 14n;
export const VMX_EPT_2MB_PAGE_BIT = 1n << 16n;
export const VMX_EPT_INVEPT_BIT = 1n << 20n;
export const VMX_EPT_AD_BIT = 1n << 21n;
export const VMX_EPT_EXTENT_CONTEXT_BIT = 1n << 25n;
export const VMX_EPT_EXTENT_GLOBAL_BIT = 1n << 26n;
export const VMX_VPID_INVVPID_BIT = 1n << 32n;
export const VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT = 1n << 40n;
export const VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT = 1n << 41n;
export const VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT = 1n << 42n;
export const VMX_VPID_EXTENT_SINGLE_NON_GLOBAL_BIT = 1n << 43n;

// ---- The model's controls.

/** Pin-based controls that may be 1. */
export const SUPPORTED_PIN_BASED = (Pin.PIN_BASED_EXT_INTR_MASK | Pin.PIN_BASED_NMI_EXITING |
  Pin.PIN_BASED_VIRTUAL_NMIS | Pin.PIN_BASED_VMX_PREEMPTION_TIMER) >>> 0;

/** Primary processor-based controls that may be 1 (no CR8 / TPR shadow: IA-32). */
export const SUPPORTED_CPU_BASED = (P.CPU_BASED_INTR_WINDOW_EXITING | P.CPU_BASED_HLT_EXITING |
  P.CPU_BASED_INVLPG_EXITING | P.CPU_BASED_MWAIT_EXITING | P.CPU_BASED_RDPMC_EXITING | P.CPU_BASED_RDTSC_EXITING |
  P.CPU_BASED_CR3_LOAD_EXITING | P.CPU_BASED_CR3_STORE_EXITING | P.CPU_BASED_NMI_WINDOW_EXITING |
  P.CPU_BASED_MOV_DR_EXITING | P.CPU_BASED_UNCOND_IO_EXITING | P.CPU_BASED_USE_IO_BITMAPS |
  P.CPU_BASED_MONITOR_TRAP_FLAG | P.CPU_BASED_USE_MSR_BITMAPS | P.CPU_BASED_MONITOR_EXITING |
  P.CPU_BASED_PAUSE_EXITING | P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS | P.CPU_BASED_USE_TSC_OFFSETTING) >>> 0;

/** Secondary controls that may be 1. */
export const SUPPORTED_SECONDARY = (S.SECONDARY_EXEC_ENABLE_EPT | S.SECONDARY_EXEC_DESC | S.SECONDARY_EXEC_ENABLE_VPID |
  S.SECONDARY_EXEC_WBINVD_EXITING | S.SECONDARY_EXEC_UNRESTRICTED_GUEST | S.SECONDARY_EXEC_ENABLE_RDTSCP |
  S.SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES) >>> 0;

/** VM-exit controls that may be 1 (never host address-space size: IA-32). */
export const SUPPORTED_VM_EXIT = (Ex.VM_EXIT_SAVE_DEBUG_CONTROLS | Ex.VM_EXIT_ACK_INTR_ON_EXIT |
  Ex.VM_EXIT_SAVE_IA32_PAT | Ex.VM_EXIT_LOAD_IA32_PAT | Ex.VM_EXIT_SAVE_IA32_EFER | Ex.VM_EXIT_LOAD_IA32_EFER |
  Ex.VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) >>> 0;

/** VM-entry controls that may be 1 (never IA-32e mode guest: IA-32). */
export const SUPPORTED_VM_ENTRY = (En.VM_ENTRY_LOAD_DEBUG_CONTROLS | En.VM_ENTRY_LOAD_IA32_PAT |
  En.VM_ENTRY_LOAD_IA32_EFER) >>> 0;

/** Pack a control capability MSR: allowed-0 settings low, allowed-1 settings high. */
export function controlCapMsr(allowed0: number, allowed1: number): bigint {
  return (BigInt(allowed1 >>> 0) << 32n) | BigInt(allowed0 >>> 0);
}

/** Bits 31:0 of a control capability MSR: controls that must be 1. */
export function allowed0(cap: bigint): number {
  return Number(cap & 0xffffffffn);
}

/** Bits 63:32 of a control capability MSR: controls that may be 1. */
export function allowed1(cap: bigint): number {
  return Number((cap >> 32n) & 0xffffffffn);
}

/** True if `value` honours the capability: every must-be-1 bit set, no may-not-be-1 bit set (A.3). */
export function controlsAllowed(capMsrValue: bigint, value: number): boolean {
  const must = allowed0(capMsrValue);
  const may = allowed1(capMsrValue);
  const v = value >>> 0;
  return (v & must) === must && (v & ~may) === 0;
}

/**
 * KVM's adjust_vmx_controls(): keep the desired bits the processor allows, force the ones it
 * requires. (KVM also fails when a required-by-the-VMM bit is dropped; compare the result with
 * your minimum to do that.)
 */
export function adjustControls(cap: bigint, desired: number): number {
  return ((desired & allowed1(cap)) | allowed0(cap)) >>> 0;
}

/** Bits fixed to 1 must be 1 and bits fixed to 0 must be 0 (A.7, A.8). */
export function fixedBitsOk(value: number, fixed0: number, fixed1: number): boolean {
  const v = value >>> 0;
  return (v & fixed0) >>> 0 === fixed0 >>> 0 && (v & ~fixed1) === 0;
}

/**
 * Guest CR0 check of VM entry (SDM 27.3.1.1): CR0 must honour IA32_VMX_CR0_FIXED0/1, except that
 * with "unrestricted guest" = 1 (and secondary controls active) PE and PG may be 0, so a guest
 * can run in real mode or unpaged protected mode. CR0_FIXED0 stays 0x80000021 in the MSR; the
 * relaxation is the VM-entry rule, not a different MSR value.
 */
export function guestCr0FixedOk(cr0: number, unrestrictedGuest: boolean, fixed0: number = CR0_FIXED0, fixed1: number = CR0_FIXED1): boolean {
  const f0 = unrestrictedGuest ? fixed0 & ~(CR0_PE | CR0_PG) : fixed0;
  return fixedBitsOk(cr0, f0 >>> 0, fixed1);
}

export interface VmxCapabilityOptions {
  /** IA32_VMX_CR4_FIXED1: the CR4 bits this CPU supports (default DEFAULT_CR4_FIXED1). */
  cr4Fixed1?: number;
  /** VMCS revision identifier (default VMCS_REVISION_ID). */
  revisionId?: number;
}

/**
 * Every VMX capability MSR the model implements, by MSR number. IA32_VMX_VMFUNC, PROCBASED_CTLS3
 * and EXIT_CTLS2 are absent (A.11-A.13: they exist only when "enable VM functions", "activate
 * tertiary controls" or "activate secondary VM-exit controls" may be 1, which they may not); so is
 * IA32_FEATURE_CONTROL, which is not a capability MSR (see DEFAULT_FEATURE_CONTROL).
 */
export function vmxCapabilityMsrs(opts: VmxCapabilityOptions = {}): Map<number, bigint> {
  const revision = BigInt((opts.revisionId ?? VMCS_REVISION_ID) & 0x7fffffff);
  const cr4Fixed1 = (opts.cr4Fixed1 ?? DEFAULT_CR4_FIXED1) >>> 0;

  const basic = revision | (BigInt(VMX_BASIC_VMCS_SIZE) << 32n) | VMX_BASIC_32BIT_ADDRESSES |
    (VMX_BASIC_MEM_TYPE_WB << VMX_BASIC_MEM_TYPE_SHIFT) | VMX_BASIC_INOUT | VMX_BASIC_TRUE_CTLS;

  const pin1 = (PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR | SUPPORTED_PIN_BASED) >>> 0;
  const cpu1 = (CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR | SUPPORTED_CPU_BASED) >>> 0;
  const exit1 = (VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR | SUPPORTED_VM_EXIT) >>> 0;
  const entry1 = (VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR | SUPPORTED_VM_ENTRY) >>> 0;

  // TRUE_ MSRs (A.3.1, A.3.2, A.4.1, A.5): the default1 bits that are real controls may be 0:
  // CR3-load/store exiting, save debug controls, load debug controls (as on real processors and
  // as KVM reports to L1). Allowed-1 settings are the same as in the non-TRUE MSRs.
  const truePin0 = PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR;
  const trueCpu0 = (CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR & ~(P.CPU_BASED_CR3_LOAD_EXITING | P.CPU_BASED_CR3_STORE_EXITING)) >>> 0;
  const trueExit0 = (VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR & ~Ex.VM_EXIT_SAVE_DEBUG_CONTROLS) >>> 0;
  const trueEntry0 = (VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR & ~En.VM_ENTRY_LOAD_DEBUG_CONTROLS) >>> 0;

  const misc = BigInt(VMX_MISC_PREEMPTION_TIMER_RATE | VMX_MISC_ACTIVITY_HLT | VMX_MISC_ACTIVITY_SHUTDOWN |
    VMX_MISC_ACTIVITY_WAIT_SIPI | (VMX_MISC_CR3_TARGET_COUNT << 16) | (VMX_MISC_MAX_MSR_LIST_N << 25));

  const eptVpid = VMX_EPT_EXECUTE_ONLY_BIT | VMX_EPT_PAGE_WALK_4_BIT | VMX_EPTP_WB_BIT | VMX_EPT_2MB_PAGE_BIT |
    VMX_EPT_INVEPT_BIT | VMX_EPT_AD_BIT | VMX_EPT_EXTENT_CONTEXT_BIT | VMX_EPT_EXTENT_GLOBAL_BIT |
    VMX_VPID_INVVPID_BIT | VMX_VPID_EXTENT_INDIVIDUAL_ADDR_BIT | VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT |
    VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT | VMX_VPID_EXTENT_SINGLE_NON_GLOBAL_BIT;

  return new Map<number, bigint>([
    [VMX_MSR.IA32_VMX_BASIC, basic],
    [VMX_MSR.IA32_VMX_PINBASED_CTLS, controlCapMsr(PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, pin1)],
    [VMX_MSR.IA32_VMX_PROCBASED_CTLS, controlCapMsr(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR, cpu1)],
    [VMX_MSR.IA32_VMX_EXIT_CTLS, controlCapMsr(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR, exit1)],
    [VMX_MSR.IA32_VMX_ENTRY_CTLS, controlCapMsr(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR, entry1)],
    [VMX_MSR.IA32_VMX_MISC, misc],
    [VMX_MSR.IA32_VMX_CR0_FIXED0, BigInt(CR0_FIXED0)],
    [VMX_MSR.IA32_VMX_CR0_FIXED1, BigInt(CR0_FIXED1)],
    [VMX_MSR.IA32_VMX_CR4_FIXED0, BigInt(CR4_FIXED0)],
    [VMX_MSR.IA32_VMX_CR4_FIXED1, BigInt((cr4Fixed1 | CR4_FIXED0) >>> 0)],
    // A.9: bits 9:1 = highest index of any supported VMCS encoding.
    [VMX_MSR.IA32_VMX_VMCS_ENUM, BigInt(VMCS_MAX_ENCODING_INDEX << 1)],
    [VMX_MSR.IA32_VMX_PROCBASED_CTLS2, controlCapMsr(0, SUPPORTED_SECONDARY)],
    [VMX_MSR.IA32_VMX_EPT_VPID_CAP, eptVpid],
    [VMX_MSR.IA32_VMX_TRUE_PINBASED_CTLS, controlCapMsr(truePin0, pin1)],
    [VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS, controlCapMsr(trueCpu0, cpu1)],
    [VMX_MSR.IA32_VMX_TRUE_EXIT_CTLS, controlCapMsr(trueExit0, exit1)],
    [VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS, controlCapMsr(trueEntry0, entry1)],
  ]);
}

/**
 * The capability MSR a VM entry checks a control field against (SDM 27.2.1.1): the TRUE_ form
 * when IA32_VMX_BASIC bit 55 is set (it is, in this model), else the legacy one.
 */
export function controlCapabilityMsrFor(fieldEncoding: number, useTrue = true): number | undefined {
  switch (fieldEncoding) {
    case VMCS.PIN_BASED_VM_EXEC_CONTROL:
      return useTrue ? VMX_MSR.IA32_VMX_TRUE_PINBASED_CTLS : VMX_MSR.IA32_VMX_PINBASED_CTLS;
    case VMCS.CPU_BASED_VM_EXEC_CONTROL:
      return useTrue ? VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS : VMX_MSR.IA32_VMX_PROCBASED_CTLS;
    case VMCS.SECONDARY_VM_EXEC_CONTROL:
      return VMX_MSR.IA32_VMX_PROCBASED_CTLS2;
    case VMCS.VM_EXIT_CONTROLS:
      return useTrue ? VMX_MSR.IA32_VMX_TRUE_EXIT_CTLS : VMX_MSR.IA32_VMX_EXIT_CTLS;
    case VMCS.VM_ENTRY_CONTROLS:
      return useTrue ? VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS : VMX_MSR.IA32_VMX_ENTRY_CTLS;
    default:
      return undefined;
  }
}

// ---- Field readers (A.1, A.6), as KVM's vmx_basic_* / vmx_misc_* helpers.
export const vmxBasicRevisionId = (basic: bigint): number => Number(basic & 0x7fffffffn);
export const vmxBasicVmcsSize = (basic: bigint): number => Number((basic >> 32n) & 0x1fffn);
export const vmxBasicMemType = (basic: bigint): number => Number((basic >> 50n) & 0xfn);
export const vmxMiscPreemptionTimerRate = (misc: bigint): number => Number(misc & 0x1fn);
export const vmxMiscCr3TargetCount = (misc: bigint): number => Number((misc >> 16n) & 0x1ffn);
/** Recommended maximum number of MSRs in each MSR list: 512 * (N + 1). */
export const vmxMiscMaxMsrList = (misc: bigint): number => 512 * (Number((misc >> 25n) & 7n) + 1);
