// Basic VM-exit reasons: SDM Vol. 3D Appendix C ("VMX Basic Exit Reasons"), named as KVM names them
// (arch/x86/include/uapi/asm/vmx.h, without the EXIT_REASON_ prefix). Numbers 35, 38, 42, 71, 82
// and 83 are not assigned.
//
// The exit-reason field (VM_EXIT_REASON, SDM 28.2.1 "Basic VM-Exit Information") holds the basic
// reason in bits 15:0 and flags above it; the flag constants are below.

export const ExitReason = {
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  TRIPLE_FAULT: 2,
  INIT_SIGNAL: 3,
  SIPI: 4,
  IO_SMI: 5,
  OTHER_SMI: 6,
  INTERRUPT_WINDOW: 7,
  NMI_WINDOW: 8,
  TASK_SWITCH: 9,
  CPUID: 10,
  GETSEC: 11,
  HLT: 12,
  INVD: 13,
  INVLPG: 14,
  RDPMC: 15,
  RDTSC: 16,
  RSM: 17,
  VMCALL: 18,
  VMCLEAR: 19,
  VMLAUNCH: 20,
  VMPTRLD: 21,
  VMPTRST: 22,
  VMREAD: 23,
  VMRESUME: 24,
  VMWRITE: 25,
  VMXOFF: 26,
  VMXON: 27,
  CR_ACCESS: 28,
  DR_ACCESS: 29,
  IO_INSTRUCTION: 30,
  MSR_READ: 31,
  MSR_WRITE: 32,
  INVALID_GUEST_STATE: 33,
  MSR_LOAD_FAIL: 34,
  MWAIT_INSTRUCTION: 36,
  MONITOR_TRAP_FLAG: 37,
  MONITOR_INSTRUCTION: 39,
  PAUSE_INSTRUCTION: 40,
  MCE_DURING_VMENTRY: 41,
  TPR_BELOW_THRESHOLD: 43,
  APIC_ACCESS: 44,
  EOI_INDUCED: 45,
  GDTR_IDTR: 46,
  LDTR_TR: 47,
  EPT_VIOLATION: 48,
  EPT_MISCONFIG: 49,
  INVEPT: 50,
  RDTSCP: 51,
  PREEMPTION_TIMER: 52,
  INVVPID: 53,
  WBINVD: 54,
  XSETBV: 55,
  APIC_WRITE: 56,
  RDRAND: 57,
  INVPCID: 58,
  VMFUNC: 59,
  ENCLS: 60,
  RDSEED: 61,
  PML_FULL: 62,
  XSAVES: 63,
  XRSTORS: 64,
  PCONFIG: 65,
  SPP_EVENT: 66,
  UMWAIT: 67,
  TPAUSE: 68,
  LOADIWKEY: 69,
  ENCLV: 70,
  ENQCMD_PASID_FAIL: 72,
  ENQCMDS_PASID_FAIL: 73,
  BUS_LOCK: 74,
  NOTIFY: 75,
  SEAMCALL: 76,
  TDCALL: 77,
  RDMSRLIST: 78,
  WRMSRLIST: 79,
  URDMSR: 80,
  UWRMSR: 81,
  MSR_READ_IMM: 84,
  MSR_WRITE_IMM: 85,
} as const;

export type ExitReasonName = keyof typeof ExitReason;
export type ExitReasonNumber = (typeof ExitReason)[ExitReasonName];

// ---- Exit-reason field flags (SDM 28.2.1, table "Format of Exit Reason").

/** Bits 15:0: basic exit reason. */
export const VMX_EXIT_REASON_BASIC_MASK = 0xffff;
/** Bit 25: shadow-stack prematurely busy. */
export const VMX_EXIT_REASON_SHADOW_STACK_BUSY = 1 << 25;
/** Bit 26: a bus lock was asserted while bus-lock detection was enabled. */
export const VMX_EXIT_REASON_BUS_LOCK_DETECTED = 1 << 26;
/** Bit 27: VM exit from enclave mode. */
export const VMX_EXIT_REASON_ENCLAVE_MODE = 1 << 27;
/** Bit 28: pending MTF VM exit (SMM VM exits only). */
export const VMX_EXIT_REASON_PENDING_MTF = 1 << 28;
/** Bit 29: VM exit from VMX root operation (SMM VM exits only). */
export const VMX_EXIT_REASON_FROM_VMX_ROOT = 1 << 29;
/** Bit 31: VM-entry failure (reasons 33, 34, 41). */
export const VMX_EXIT_REASON_ENTRY_FAILURE = 0x80000000;

/** Basic reason (bits 15:0) of an exit-reason field value. */
export function basicExitReason(exitReasonField: number): number {
  return exitReasonField & VMX_EXIT_REASON_BASIC_MASK;
}

/** True if bit 31 (VM-entry failure) is set. */
export function isEntryFailure(exitReasonField: number): boolean {
  return (exitReasonField & VMX_EXIT_REASON_ENTRY_FAILURE) !== 0;
}

// One line per reason, after the Appendix C wording.
const DESCRIPTIONS: Readonly<Record<number, string>> = {
  0: 'Exception or non-maskable interrupt (NMI)',
  1: 'External interrupt',
  2: 'Triple fault',
  3: 'INIT signal',
  4: 'Start-up IPI (SIPI)',
  5: 'I/O system-management interrupt (SMI)',
  6: 'Other SMI',
  7: 'Interrupt window: the guest became able to take an interrupt',
  8: 'NMI window: virtual-NMI blocking ended',
  9: 'Task switch',
  10: 'Guest executed CPUID',
  11: 'Guest executed GETSEC',
  12: 'Guest executed HLT',
  13: 'Guest executed INVD',
  14: 'Guest executed INVLPG',
  15: 'Guest executed RDPMC',
  16: 'Guest executed RDTSC',
  17: 'Guest executed RSM in SMM',
  18: 'Guest executed VMCALL',
  19: 'Guest executed VMCLEAR',
  20: 'Guest executed VMLAUNCH',
  21: 'Guest executed VMPTRLD',
  22: 'Guest executed VMPTRST',
  23: 'Guest executed VMREAD',
  24: 'Guest executed VMRESUME',
  25: 'Guest executed VMWRITE',
  26: 'Guest executed VMXOFF',
  27: 'Guest executed VMXON',
  28: 'Control-register access (MOV CR, CLTS, LMSW)',
  29: 'MOV to or from a debug register',
  30: 'I/O instruction (IN, INS, OUT, OUTS)',
  31: 'Guest executed RDMSR',
  32: 'Guest executed WRMSR',
  33: 'VM-entry failure due to invalid guest state',
  34: 'VM-entry failure due to MSR loading',
  36: 'Guest executed MWAIT',
  37: 'Monitor trap flag',
  39: 'Guest executed MONITOR',
  40: 'Guest executed PAUSE',
  41: 'VM-entry failure due to machine-check event',
  43: 'TPR below threshold',
  44: 'APIC access',
  45: 'Virtualized EOI',
  46: 'Access to GDTR or IDTR (SGDT, SIDT, LGDT, LIDT)',
  47: 'Access to LDTR or TR (SLDT, STR, LLDT, LTR)',
  48: 'EPT violation',
  49: 'EPT misconfiguration',
  50: 'Guest executed INVEPT',
  51: 'Guest executed RDTSCP',
  52: 'VMX-preemption timer expired',
  53: 'Guest executed INVVPID',
  54: 'Guest executed WBINVD or WBNOINVD',
  55: 'Guest executed XSETBV',
  56: 'APIC write',
  57: 'Guest executed RDRAND',
  58: 'Guest executed INVPCID',
  59: 'VMFUNC failed or is not enabled',
  60: 'Guest executed ENCLS',
  61: 'Guest executed RDSEED',
  62: 'Page-modification log full',
  63: 'Guest executed XSAVES',
  64: 'Guest executed XRSTORS',
  65: 'Guest executed PCONFIG',
  66: 'SPP-related event',
  67: 'Guest executed UMWAIT',
  68: 'Guest executed TPAUSE',
  69: 'Guest executed LOADIWKEY',
  70: 'Guest executed ENCLV',
  72: 'ENQCMD PASID translation failure',
  73: 'ENQCMDS PASID translation failure',
  74: 'Bus lock',
  75: 'Instruction timeout (notify VM exit)',
  76: 'Guest executed SEAMCALL',
  77: 'Guest executed TDCALL',
  78: 'Guest executed RDMSRLIST',
  79: 'Guest executed WRMSRLIST',
  80: 'Guest executed URDMSR',
  81: 'Guest executed UWRMSR',
  84: 'Guest executed RDMSR with an immediate operand',
  85: 'Guest executed WRMSRNS with an immediate operand',
};

const NAME_BY_NUMBER: ReadonlyMap<number, ExitReasonName> = new Map(
  (Object.keys(ExitReason) as ExitReasonName[]).map((k) => [ExitReason[k], k]),
);

/** Every defined basic exit reason, ascending. */
export const EXIT_REASONS: readonly { reason: number; name: ExitReasonName; description: string }[] = Object.freeze(
  [...NAME_BY_NUMBER.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([reason, name]) => Object.freeze({ reason, name, description: DESCRIPTIONS[reason]! })),
);

/** Name of a basic exit reason (bits 15:0 of the argument are used); unknown → `UNKNOWN_<n>`. */
export function exitReasonName(n: number): string {
  const basic = n & VMX_EXIT_REASON_BASIC_MASK;
  return NAME_BY_NUMBER.get(basic) ?? `UNKNOWN_${basic}`;
}

/** One-line description of a basic exit reason. */
export function exitReasonDescription(n: number): string {
  const basic = n & VMX_EXIT_REASON_BASIC_MASK;
  return DESCRIPTIONS[basic] ?? `Unknown exit reason ${basic}`;
}

/**
 * Reason number for a name, as a user would type it in a breakpoint: case-insensitive, with or
 * without KVM's `EXIT_REASON_` prefix (`cpuid`, `IO_INSTRUCTION`, `EXIT_REASON_HLT`).
 */
export function exitReasonByName(name: string): number | undefined {
  let key = name.trim().toUpperCase();
  if (key.startsWith('EXIT_REASON_')) key = key.slice('EXIT_REASON_'.length);
  return Object.prototype.hasOwnProperty.call(ExitReason, key) ? ExitReason[key as ExitReasonName] : undefined;
}
