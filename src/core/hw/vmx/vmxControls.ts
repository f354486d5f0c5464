// Named bits of the VMX control fields (SDM Vol. 3C 25.6.1 pin-based, 25.6.2 processor-based,
// 25.7.1 VM-exit, 25.8.1 VM-entry controls) with KVM's names (arch/x86/include/asm/vmx.h), and
// decoders that expand bit-structured VMCS fields into named parts for the VMCS view.

import { VMCS } from './vmcsFields';
import { exitReasonName } from './exitReasons';
import { exceptionName, INTR_TYPE_NAMES } from './exitQualification';

const bit = (n: number): number => (1 << n) >>> 0;

// ---- Pin-based VM-execution controls (25.6.1, table "Definitions of Pin-Based VM-Execution Controls").
export const PinBasedControls = {
  PIN_BASED_EXT_INTR_MASK: bit(0),
  PIN_BASED_NMI_EXITING: bit(3),
  PIN_BASED_VIRTUAL_NMIS: bit(5),
  PIN_BASED_VMX_PREEMPTION_TIMER: bit(6),
  PIN_BASED_POSTED_INTR: bit(7),
} as const;

// ---- Primary processor-based VM-execution controls (25.6.2, table "Definitions of Primary
// Processor-Based VM-Execution Controls").
export const CpuBasedControls = {
  CPU_BASED_INTR_WINDOW_EXITING: bit(2),
  CPU_BASED_USE_TSC_OFFSETTING: bit(3),
  CPU_BASED_HLT_EXITING: bit(7),
  CPU_BASED_INVLPG_EXITING: bit(9),
  CPU_BASED_MWAIT_EXITING: bit(10),
  CPU_BASED_RDPMC_EXITING: bit(11),
  CPU_BASED_RDTSC_EXITING: bit(12),
  CPU_BASED_CR3_LOAD_EXITING: bit(15),
  CPU_BASED_CR3_STORE_EXITING: bit(16),
  CPU_BASED_ACTIVATE_TERTIARY_CONTROLS: bit(17),
  CPU_BASED_CR8_LOAD_EXITING: bit(19),
  CPU_BASED_CR8_STORE_EXITING: bit(20),
  CPU_BASED_TPR_SHADOW: bit(21),
  CPU_BASED_NMI_WINDOW_EXITING: bit(22),
  CPU_BASED_MOV_DR_EXITING: bit(23),
  CPU_BASED_UNCOND_IO_EXITING: bit(24),
  CPU_BASED_USE_IO_BITMAPS: bit(25),
  CPU_BASED_MONITOR_TRAP_FLAG: bit(27),
  CPU_BASED_USE_MSR_BITMAPS: bit(28),
  CPU_BASED_MONITOR_EXITING: bit(29),
  CPU_BASED_PAUSE_EXITING: bit(30),
  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS: bit(31),
} as const;

// ---- Secondary processor-based VM-execution controls (25.6.2, table "Definitions of Secondary
// Processor-Based VM-Execution Controls").
export const SecondaryExecControls = {
  SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES: bit(0),
  SECONDARY_EXEC_ENABLE_EPT: bit(1),
  SECONDARY_EXEC_DESC: bit(2),
  SECONDARY_EXEC_ENABLE_RDTSCP: bit(3),
  SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE: bit(4),
  SECONDARY_EXEC_ENABLE_VPID: bit(5),
  SECONDARY_EXEC_WBINVD_EXITING: bit(6),
  SECONDARY_EXEC_UNRESTRICTED_GUEST: bit(7),
  SECONDARY_EXEC_APIC_REGISTER_VIRT: bit(8),
  SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY: bit(9),
  SECONDARY_EXEC_PAUSE_LOOP_EXITING: bit(10),
  SECONDARY_EXEC_RDRAND_EXITING: bit(11),
  SECONDARY_EXEC_ENABLE_INVPCID: bit(12),
  SECONDARY_EXEC_ENABLE_VMFUNC: bit(13),
  SECONDARY_EXEC_SHADOW_VMCS: bit(14),
  SECONDARY_EXEC_ENCLS_EXITING: bit(15),
  SECONDARY_EXEC_RDSEED_EXITING: bit(16),
  SECONDARY_EXEC_ENABLE_PML: bit(17),
  SECONDARY_EXEC_EPT_VIOLATION_VE: bit(18),
  SECONDARY_EXEC_PT_CONCEAL_VMX: bit(19),
  SECONDARY_EXEC_ENABLE_XSAVES: bit(20),
  SECONDARY_EXEC_PASID_TRANSLATION: bit(21),
  SECONDARY_EXEC_MODE_BASED_EPT_EXEC: bit(22),
  SECONDARY_EXEC_SPP: bit(23),
  SECONDARY_EXEC_PT_USE_GPA: bit(24),
  SECONDARY_EXEC_TSC_SCALING: bit(25),
  SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE: bit(26),
  SECONDARY_EXEC_ENABLE_PCONFIG: bit(27),
  SECONDARY_EXEC_ENCLV_EXITING: bit(28),
  SECONDARY_EXEC_BUS_LOCK_DETECTION: bit(30),
  SECONDARY_EXEC_NOTIFY_VM_EXITING: bit(31),
} as const;

// ---- Tertiary processor-based VM-execution controls (low 32 bits of a 64-bit field).
export const TertiaryExecControls = {
  TERTIARY_EXEC_LOADIWKEY_EXITING: bit(0),
  TERTIARY_EXEC_ENABLE_HLAT: bit(1),
  TERTIARY_EXEC_EPT_PAGING_WRITE: bit(2),
  TERTIARY_EXEC_GUEST_PAGING_VERIFY: bit(3),
  TERTIARY_EXEC_IPI_VIRT: bit(4),
  TERTIARY_EXEC_SPEC_CTRL_VIRT: bit(7),
} as const;

// ---- Primary VM-exit controls (25.7.1, table "Definitions of Primary VM-Exit Controls").
export const VmExitControls = {
  VM_EXIT_SAVE_DEBUG_CONTROLS: bit(2),
  VM_EXIT_HOST_ADDR_SPACE_SIZE: bit(9),
  VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL: bit(12),
  VM_EXIT_ACK_INTR_ON_EXIT: bit(15),
  VM_EXIT_SAVE_IA32_PAT: bit(18),
  VM_EXIT_LOAD_IA32_PAT: bit(19),
  VM_EXIT_SAVE_IA32_EFER: bit(20),
  VM_EXIT_LOAD_IA32_EFER: bit(21),
  VM_EXIT_SAVE_VMX_PREEMPTION_TIMER: bit(22),
  VM_EXIT_CLEAR_BNDCFGS: bit(23),
  VM_EXIT_PT_CONCEAL_PIP: bit(24),
  VM_EXIT_CLEAR_IA32_RTIT_CTL: bit(25),
  VM_EXIT_CLEAR_IA32_LBR_CTL: bit(26),
  VM_EXIT_CLEAR_UINV: bit(27),
  VM_EXIT_LOAD_CET_STATE: bit(28),
  VM_EXIT_LOAD_IA32_PKRS: bit(29),
  VM_EXIT_SAVE_IA32_PERF_GLOBAL_CTRL: bit(30),
  VM_EXIT_ACTIVATE_SECONDARY_CONTROLS: bit(31),
} as const;

// ---- Secondary VM-exit controls (low 32 bits of a 64-bit field).
export const SecondaryVmExitControls = {
  SECONDARY_VM_EXIT_SAVE_IA32_FRED: bit(0),
  SECONDARY_VM_EXIT_LOAD_IA32_FRED: bit(1),
} as const;

// ---- VM-entry controls (25.8.1, table "Definitions of VM-Entry Controls").
export const VmEntryControls = {
  VM_ENTRY_LOAD_DEBUG_CONTROLS: bit(2),
  VM_ENTRY_IA32E_MODE: bit(9),
  VM_ENTRY_SMM: bit(10),
  VM_ENTRY_DEACT_DUAL_MONITOR: bit(11),
  VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL: bit(13),
  VM_ENTRY_LOAD_IA32_PAT: bit(14),
  VM_ENTRY_LOAD_IA32_EFER: bit(15),
  VM_ENTRY_LOAD_BNDCFGS: bit(16),
  VM_ENTRY_PT_CONCEAL_PIP: bit(17),
  VM_ENTRY_LOAD_IA32_RTIT_CTL: bit(18),
  VM_ENTRY_LOAD_UINV: bit(19),
  VM_ENTRY_LOAD_CET_STATE: bit(20),
  VM_ENTRY_LOAD_IA32_LBR_CTL: bit(21),
  VM_ENTRY_LOAD_IA32_PKRS: bit(22),
  VM_ENTRY_LOAD_IA32_FRED: bit(23),
} as const;

// ---- Default1 classes (SDM Appendix A.2-A.5): bits that must be 1 unless the TRUE_ capability
// MSRs say otherwise. Same values as KVM's *_ALWAYSON_WITHOUT_TRUE_MSR.
/** A.3.1: pin-based bits 1, 2, 4. */
export const PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR = 0x00000016;
/** A.3.2: primary processor-based bits 1, 4-6, 8, 13-16, 26. */
export const CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR = 0x0401e172;
/** A.4.1: primary VM-exit bits 0-8, 10, 11, 13, 14, 16, 17. */
export const VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR = 0x00036dff;
/** A.5: VM-entry bits 0-8, 12. */
export const VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR = 0x000011ff;

// ---- Words for the VMCS view.

type Words<T> = { readonly [K in keyof T]: string };

const PIN_WORDS: Words<typeof PinBasedControls> = {
  PIN_BASED_EXT_INTR_MASK: 'External-interrupt exiting',
  PIN_BASED_NMI_EXITING: 'NMI exiting',
  PIN_BASED_VIRTUAL_NMIS: 'Virtual NMIs',
  PIN_BASED_VMX_PREEMPTION_TIMER: 'Activate VMX-preemption timer',
  PIN_BASED_POSTED_INTR: 'Process posted interrupts',
};

const CPU_WORDS: Words<typeof CpuBasedControls> = {
  CPU_BASED_INTR_WINDOW_EXITING: 'Interrupt-window exiting',
  CPU_BASED_USE_TSC_OFFSETTING: 'Use TSC offsetting',
  CPU_BASED_HLT_EXITING: 'HLT exiting',
  CPU_BASED_INVLPG_EXITING: 'INVLPG exiting',
  CPU_BASED_MWAIT_EXITING: 'MWAIT exiting',
  CPU_BASED_RDPMC_EXITING: 'RDPMC exiting',
  CPU_BASED_RDTSC_EXITING: 'RDTSC exiting',
  CPU_BASED_CR3_LOAD_EXITING: 'CR3-load exiting',
  CPU_BASED_CR3_STORE_EXITING: 'CR3-store exiting',
  CPU_BASED_ACTIVATE_TERTIARY_CONTROLS: 'Activate tertiary controls',
  CPU_BASED_CR8_LOAD_EXITING: 'CR8-load exiting',
  CPU_BASED_CR8_STORE_EXITING: 'CR8-store exiting',
  CPU_BASED_TPR_SHADOW: 'Use TPR shadow',
  CPU_BASED_NMI_WINDOW_EXITING: 'NMI-window exiting',
  CPU_BASED_MOV_DR_EXITING: 'MOV-DR exiting',
  CPU_BASED_UNCOND_IO_EXITING: 'Unconditional I/O exiting',
  CPU_BASED_USE_IO_BITMAPS: 'Use I/O bitmaps',
  CPU_BASED_MONITOR_TRAP_FLAG: 'Monitor trap flag',
  CPU_BASED_USE_MSR_BITMAPS: 'Use MSR bitmaps',
  CPU_BASED_MONITOR_EXITING: 'MONITOR exiting',
  CPU_BASED_PAUSE_EXITING: 'PAUSE exiting',
  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS: 'Activate secondary controls',
};

const SECONDARY_WORDS: Words<typeof SecondaryExecControls> = {
  SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES: 'Virtualize APIC accesses',
  SECONDARY_EXEC_ENABLE_EPT: 'Enable EPT',
  SECONDARY_EXEC_DESC: 'Descriptor-table exiting',
  SECONDARY_EXEC_ENABLE_RDTSCP: 'Enable RDTSCP',
  SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE: 'Virtualize x2APIC mode',
  SECONDARY_EXEC_ENABLE_VPID: 'Enable VPID',
  SECONDARY_EXEC_WBINVD_EXITING: 'WBINVD exiting',
  SECONDARY_EXEC_UNRESTRICTED_GUEST: 'Unrestricted guest',
  SECONDARY_EXEC_APIC_REGISTER_VIRT: 'APIC-register virtualization',
  SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY: 'Virtual-interrupt delivery',
  SECONDARY_EXEC_PAUSE_LOOP_EXITING: 'PAUSE-loop exiting',
  SECONDARY_EXEC_RDRAND_EXITING: 'RDRAND exiting',
  SECONDARY_EXEC_ENABLE_INVPCID: 'Enable INVPCID',
  SECONDARY_EXEC_ENABLE_VMFUNC: 'Enable VM functions',
  SECONDARY_EXEC_SHADOW_VMCS: 'VMCS shadowing',
  SECONDARY_EXEC_ENCLS_EXITING: 'Enable ENCLS exiting',
  SECONDARY_EXEC_RDSEED_EXITING: 'RDSEED exiting',
  SECONDARY_EXEC_ENABLE_PML: 'Enable PML',
  SECONDARY_EXEC_EPT_VIOLATION_VE: 'EPT-violation #VE',
  SECONDARY_EXEC_PT_CONCEAL_VMX: 'Conceal VMX from PT',
  SECONDARY_EXEC_ENABLE_XSAVES: 'Enable XSAVES/XRSTORS',
  SECONDARY_EXEC_PASID_TRANSLATION: 'PASID translation',
  SECONDARY_EXEC_MODE_BASED_EPT_EXEC: 'Mode-based execute control for EPT',
  SECONDARY_EXEC_SPP: 'Sub-page write permissions for EPT',
  SECONDARY_EXEC_PT_USE_GPA: 'Intel PT uses guest physical addresses',
  SECONDARY_EXEC_TSC_SCALING: 'Use TSC scaling',
  SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE: 'Enable user wait and pause',
  SECONDARY_EXEC_ENABLE_PCONFIG: 'Enable PCONFIG',
  SECONDARY_EXEC_ENCLV_EXITING: 'Enable ENCLV exiting',
  SECONDARY_EXEC_BUS_LOCK_DETECTION: 'VMM bus-lock detection',
  SECONDARY_EXEC_NOTIFY_VM_EXITING: 'Instruction timeout',
};

const TERTIARY_WORDS: Words<typeof TertiaryExecControls> = {
  TERTIARY_EXEC_LOADIWKEY_EXITING: 'LOADIWKEY exiting',
  TERTIARY_EXEC_ENABLE_HLAT: 'Enable HLAT',
  TERTIARY_EXEC_EPT_PAGING_WRITE: 'EPT paging-write control',
  TERTIARY_EXEC_GUEST_PAGING_VERIFY: 'Guest-paging verification',
  TERTIARY_EXEC_IPI_VIRT: 'IPI virtualization',
  TERTIARY_EXEC_SPEC_CTRL_VIRT: 'Virtualize IA32_SPEC_CTRL',
};

const EXIT_WORDS: Words<typeof VmExitControls> = {
  VM_EXIT_SAVE_DEBUG_CONTROLS: 'Save debug controls',
  VM_EXIT_HOST_ADDR_SPACE_SIZE: 'Host address-space size',
  VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL: 'Load IA32_PERF_GLOBAL_CTRL',
  VM_EXIT_ACK_INTR_ON_EXIT: 'Acknowledge interrupt on exit',
  VM_EXIT_SAVE_IA32_PAT: 'Save IA32_PAT',
  VM_EXIT_LOAD_IA32_PAT: 'Load IA32_PAT',
  VM_EXIT_SAVE_IA32_EFER: 'Save IA32_EFER',
  VM_EXIT_LOAD_IA32_EFER: 'Load IA32_EFER',
  VM_EXIT_SAVE_VMX_PREEMPTION_TIMER: 'Save VMX-preemption timer value',
  VM_EXIT_CLEAR_BNDCFGS: 'Clear IA32_BNDCFGS',
  VM_EXIT_PT_CONCEAL_PIP: 'Conceal VMX from PT',
  VM_EXIT_CLEAR_IA32_RTIT_CTL: 'Clear IA32_RTIT_CTL',
  VM_EXIT_CLEAR_IA32_LBR_CTL: 'Clear IA32_LBR_CTL',
  VM_EXIT_CLEAR_UINV: 'Clear UINV',
  VM_EXIT_LOAD_CET_STATE: 'Load CET state',
  VM_EXIT_LOAD_IA32_PKRS: 'Load PKRS',
  VM_EXIT_SAVE_IA32_PERF_GLOBAL_CTRL: 'Save IA32_PERF_GLOBAL_CTL',
  VM_EXIT_ACTIVATE_SECONDARY_CONTROLS: 'Activate secondary controls',
};

const SECONDARY_EXIT_WORDS: Words<typeof SecondaryVmExitControls> = {
  SECONDARY_VM_EXIT_SAVE_IA32_FRED: 'Save FRED state',
  SECONDARY_VM_EXIT_LOAD_IA32_FRED: 'Load FRED state',
};

const ENTRY_WORDS: Words<typeof VmEntryControls> = {
  VM_ENTRY_LOAD_DEBUG_CONTROLS: 'Load debug controls',
  VM_ENTRY_IA32E_MODE: 'IA-32e mode guest',
  VM_ENTRY_SMM: 'Entry to SMM',
  VM_ENTRY_DEACT_DUAL_MONITOR: 'Deactivate dual-monitor treatment',
  VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL: 'Load IA32_PERF_GLOBAL_CTRL',
  VM_ENTRY_LOAD_IA32_PAT: 'Load IA32_PAT',
  VM_ENTRY_LOAD_IA32_EFER: 'Load IA32_EFER',
  VM_ENTRY_LOAD_BNDCFGS: 'Load IA32_BNDCFGS',
  VM_ENTRY_PT_CONCEAL_PIP: 'Conceal VMX from PT',
  VM_ENTRY_LOAD_IA32_RTIT_CTL: 'Load IA32_RTIT_CTL',
  VM_ENTRY_LOAD_UINV: 'Load UINV',
  VM_ENTRY_LOAD_CET_STATE: 'Load CET state',
  VM_ENTRY_LOAD_IA32_LBR_CTL: 'Load guest IA32_LBR_CTL',
  VM_ENTRY_LOAD_IA32_PKRS: 'Load PKRS',
  VM_ENTRY_LOAD_IA32_FRED: 'Load FRED state',
};

export interface BitField {
  name: string;
  value: number;
  text?: string;
}

interface ControlTable {
  /** Defined bits, ascending: [mask, words]. */
  bits: readonly (readonly [number, string])[];
  /** Default1 bits (reserved, must be 1 without TRUE MSRs). */
  default1: number;
}

function table<T extends Record<string, number>>(bits: T, words: Words<T>, default1: number): ControlTable {
  const rows = (Object.keys(bits) as (keyof T)[]).map((k) => [bits[k], words[k]] as const);
  rows.sort((a, b) => (a[0] >>> 0) - (b[0] >>> 0));
  return { bits: rows, default1 };
}

const CONTROL_TABLES: ReadonlyMap<number, ControlTable> = new Map([
  [VMCS.PIN_BASED_VM_EXEC_CONTROL, table(PinBasedControls, PIN_WORDS, PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR)],
  [VMCS.CPU_BASED_VM_EXEC_CONTROL, table(CpuBasedControls, CPU_WORDS, CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR)],
  [VMCS.SECONDARY_VM_EXEC_CONTROL, table(SecondaryExecControls, SECONDARY_WORDS, 0)],
  [VMCS.TERTIARY_VM_EXEC_CONTROL, table(TertiaryExecControls, TERTIARY_WORDS, 0)],
  [VMCS.VM_EXIT_CONTROLS, table(VmExitControls, EXIT_WORDS, VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR)],
  [VMCS.SECONDARY_VM_EXIT_CONTROLS, table(SecondaryVmExitControls, SECONDARY_EXIT_WORDS, 0)],
  [VMCS.VM_ENTRY_CONTROLS, table(VmEntryControls, ENTRY_WORDS, VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR)],
]);

/** True if the encoding is one of the VMX control fields decodeControlBits knows. */
export function isControlField(enc: number): boolean {
  return CONTROL_TABLES.has(enc);
}

/**
 * Every defined bit of a control field with on/off, then any other bit that is set (default1
 * or reserved). Unknown field → [].
 */
export function decodeControlBits(fieldEncoding: number, value: number): BitField[] {
  const t = CONTROL_TABLES.get(fieldEncoding);
  if (t === undefined) return [];
  const v = value >>> 0;
  const out: BitField[] = t.bits.map(([mask, words]) => {
    const on = (v & mask) !== 0 ? 1 : 0;
    return { name: words, value: on, text: on ? 'on' : 'off' };
  });
  let known = 0;
  for (const [mask] of t.bits) known |= mask;
  for (let i = 0; i < 32; i++) {
    const m = (1 << i) >>> 0;
    if ((v & m) !== 0 && (known & m) === 0) {
      out.push({ name: `bit ${i} (${(t.default1 & m) !== 0 ? 'default1' : 'reserved'})`, value: 1, text: 'on' });
    }
  }
  return out;
}

// ---- Other bit-structured fields.

const AR_FIELDS: ReadonlySet<number> = new Set([
  VMCS.GUEST_ES_AR_BYTES, VMCS.GUEST_CS_AR_BYTES, VMCS.GUEST_SS_AR_BYTES, VMCS.GUEST_DS_AR_BYTES,
  VMCS.GUEST_FS_AR_BYTES, VMCS.GUEST_GS_AR_BYTES, VMCS.GUEST_LDTR_AR_BYTES, VMCS.GUEST_TR_AR_BYTES,
]);

const SYSTEM_TYPES: readonly string[] = [
  'reserved', '16-bit TSS (available)', 'LDT', '16-bit TSS (busy)', '16-bit call gate', 'task gate',
  '16-bit interrupt gate', '16-bit trap gate', 'reserved', '32-bit TSS (available)', 'reserved',
  '32-bit TSS (busy)', '32-bit call gate', 'reserved', '32-bit interrupt gate', '32-bit trap gate',
];

/** Words for a descriptor type (SDM 3.4.5.1 code/data types, 3.5 system types). */
export function segmentTypeName(type: number, s: boolean): string {
  if (!s) return SYSTEM_TYPES[type & 15]!;
  const accessed = (type & 1) !== 0 ? ', accessed' : '';
  if ((type & 8) === 0) {
    return `data ${(type & 2) !== 0 ? 'read/write' : 'read-only'}${(type & 4) !== 0 ? ', expand-down' : ''}${accessed}`;
  }
  return `code ${(type & 2) !== 0 ? 'execute/read' : 'execute-only'}${(type & 4) !== 0 ? ', conforming' : ''}${accessed}`;
}

/** Guest segment access rights (SDM 25.4.1, table "Format of Access Rights"). */
export function decodeAccessRights(ar: number): BitField[] {
  const type = ar & 0xf;
  const s = (ar >>> 4) & 1;
  const flag = (name: string, b: number): BitField => ({ name, value: (ar >>> b) & 1 });
  return [
    { name: 'Type', value: type, text: segmentTypeName(type, s === 1) },
    { name: 'S (descriptor type)', value: s, text: s ? 'code or data' : 'system' },
    { name: 'DPL', value: (ar >>> 5) & 3 },
    flag('P (present)', 7),
    flag('AVL', 12),
    flag('L (64-bit code)', 13),
    flag('D/B (default size)', 14),
    flag('G (granularity)', 15),
    { name: 'Segment unusable', value: (ar >>> 16) & 1, text: (ar >>> 16) & 1 ? 'unusable' : 'usable' },
  ];
}

/** Guest interruptibility state (SDM 25.4.2, table "Format of Interruptibility State"). */
export function decodeInterruptibility(v: number): BitField[] {
  return [
    { name: 'Blocking by STI', value: v & 1 },
    { name: 'Blocking by MOV SS', value: (v >>> 1) & 1 },
    { name: 'Blocking by SMI', value: (v >>> 2) & 1 },
    { name: 'Blocking by NMI', value: (v >>> 3) & 1 },
    { name: 'Enclave interruption', value: (v >>> 4) & 1 },
  ];
}

export const ActivityState = { ACTIVE: 0, HLT: 1, SHUTDOWN: 2, WAIT_FOR_SIPI: 3 } as const;
const ACTIVITY_NAMES: readonly string[] = ['active', 'HLT', 'shutdown', 'wait-for-SIPI'];

/** Guest activity state (SDM 25.4.2). */
export function activityStateName(v: number): string {
  return ACTIVITY_NAMES[v] ?? `reserved (${v})`;
}

/**
 * Interruption-information fields (SDM 25.8.3 VM-entry, 28.2.2 VM-exit and IDT-vectoring): vector
 * 7:0, type 10:8, error-code bit 11, NMI unblocking bit 12 (exit fields), valid bit 31.
 */
export function decodeInterruptionInfoBits(v: number, forEntry: boolean): BitField[] {
  const type = (v >>> 8) & 7;
  const vector = v & 0xff;
  const isException = type === 2 || type === 3 || type === 5 || type === 6;
  const out: BitField[] = [
    { name: 'Vector', value: vector, text: isException ? exceptionName(vector) : undefined },
    { name: 'Type', value: type, text: INTR_TYPE_NAMES[type] },
    { name: forEntry ? 'Deliver error code' : 'Error code valid', value: (v >>> 11) & 1 },
  ];
  if (!forEntry) out.push({ name: 'NMI unblocking due to IRET', value: (v >>> 12) & 1 });
  out.push({ name: 'Valid', value: v >>> 31 });
  return out;
}

/** Exit reason (SDM 28.2.1, table "Format of Exit Reason"). */
export function decodeExitReasonBits(v: number): BitField[] {
  const basic = v & 0xffff;
  return [
    { name: 'Basic exit reason', value: basic, text: exitReasonName(basic) },
    { name: 'Shadow-stack prematurely busy', value: (v >>> 25) & 1 },
    { name: 'Bus lock detected', value: (v >>> 26) & 1 },
    { name: 'VM exit from enclave mode', value: (v >>> 27) & 1 },
    { name: 'Pending MTF VM exit', value: (v >>> 28) & 1 },
    { name: 'VM exit from VMX root operation', value: (v >>> 29) & 1 },
    { name: 'VM-entry failure', value: v >>> 31 },
  ];
}

const MEMORY_TYPES: Readonly<Record<number, string>> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB' };

/** EPT pointer, low 32 bits (SDM 25.6.11, table "Format of Extended-Page-Table Pointer"). */
export function decodeEptp(v: number): BitField[] {
  const mt = v & 7;
  const pml4 = (v & 0xfffff000) >>> 0;
  return [
    { name: 'Memory type', value: mt, text: MEMORY_TYPES[mt] ?? 'reserved' },
    { name: 'Page-walk length', value: ((v >>> 3) & 7) + 1 },
    { name: 'Accessed and dirty flags', value: (v >>> 6) & 1, text: (v >>> 6) & 1 ? 'enabled' : 'disabled' },
    { name: 'Supervisor shadow-stack enforcement', value: (v >>> 7) & 1 },
    { name: 'EPT PML4 table address', value: pml4, text: '0x' + pml4.toString(16).padStart(8, '0') },
  ];
}

/** Guest pending debug exceptions (SDM 25.4.2, table "Format of Pending-Debug-Exceptions"). */
export function decodePendingDebugExceptions(v: number): BitField[] {
  return [
    { name: 'B0', value: v & 1 },
    { name: 'B1', value: (v >>> 1) & 1 },
    { name: 'B2', value: (v >>> 2) & 1 },
    { name: 'B3', value: (v >>> 3) & 1 },
    { name: 'Enabled breakpoint', value: (v >>> 12) & 1 },
    { name: 'BS (single step)', value: (v >>> 14) & 1 },
    { name: 'RTM', value: (v >>> 16) & 1 },
  ];
}

const CR0_BITS: readonly (readonly [number, string, string])[] = [
  [0, 'PE', 'Protection enable'], [1, 'MP', 'Monitor coprocessor'], [2, 'EM', 'Emulation'],
  [3, 'TS', 'Task switched'], [4, 'ET', 'Extension type'], [5, 'NE', 'Numeric error'],
  [16, 'WP', 'Write protect'], [18, 'AM', 'Alignment mask'], [29, 'NW', 'Not write-through'],
  [30, 'CD', 'Cache disable'], [31, 'PG', 'Paging'],
];

const CR4_BITS: readonly (readonly [number, string, string])[] = [
  [0, 'VME', 'Virtual-8086 mode extensions'], [1, 'PVI', 'Protected-mode virtual interrupts'],
  [2, 'TSD', 'Time stamp disable'], [3, 'DE', 'Debugging extensions'], [4, 'PSE', 'Page size extensions'],
  [5, 'PAE', 'Physical address extension'], [6, 'MCE', 'Machine-check enable'], [7, 'PGE', 'Page global enable'],
  [8, 'PCE', 'Performance-monitoring counter enable'], [9, 'OSFXSR', 'OS supports FXSAVE/FXRSTOR'],
  [10, 'OSXMMEXCPT', 'OS supports unmasked SIMD FP exceptions'], [11, 'UMIP', 'User-mode instruction prevention'],
  [12, 'LA57', '57-bit linear addresses'], [13, 'VMXE', 'VMX enable'], [14, 'SMXE', 'SMX enable'],
  [16, 'FSGSBASE', 'FSGSBASE enable'], [17, 'PCIDE', 'PCID enable'], [18, 'OSXSAVE', 'XSAVE enable'],
  [19, 'KL', 'Key Locker enable'], [20, 'SMEP', 'SMEP enable'], [21, 'SMAP', 'SMAP enable'],
  [22, 'PKE', 'Protection keys for user pages'], [23, 'CET', 'Control-flow enforcement'],
  [24, 'PKS', 'Protection keys for supervisor pages'], [25, 'UINTR', 'User interrupts enable'],
];

const RFLAGS_BITS: readonly (readonly [number, string, string])[] = [
  [0, 'CF', 'Carry'], [1, 'reserved (1)', 'Always 1'], [2, 'PF', 'Parity'], [4, 'AF', 'Auxiliary carry'],
  [6, 'ZF', 'Zero'], [7, 'SF', 'Sign'], [8, 'TF', 'Trap'], [9, 'IF', 'Interrupt enable'],
  [10, 'DF', 'Direction'], [11, 'OF', 'Overflow'], [14, 'NT', 'Nested task'], [16, 'RF', 'Resume'],
  [17, 'VM', 'Virtual-8086 mode'], [18, 'AC', 'Alignment check'], [19, 'VIF', 'Virtual interrupt flag'],
  [20, 'VIP', 'Virtual interrupt pending'], [21, 'ID', 'CPUID available'],
];

function flags(v: number, rows: readonly (readonly [number, string, string])[]): BitField[] {
  return rows.map(([b, name, text]) => ({ name, value: (v >>> b) & 1, text }));
}

function decodeRflags(v: number): BitField[] {
  const out = flags(v, RFLAGS_BITS);
  out.splice(10, 0, { name: 'IOPL', value: (v >>> 12) & 3, text: 'I/O privilege level' });
  return out;
}

/** Set bits of the exception bitmap, by exception name. */
function decodeExceptionBitmap(v: number): BitField[] {
  const out: BitField[] = [];
  for (let i = 0; i < 32; i++) {
    if (((v >>> i) & 1) !== 0) out.push({ name: `${exceptionName(i)} (${i})`, value: 1, text: 'exit' });
  }
  return out;
}

const CR0_FIELDS: ReadonlySet<number> = new Set([VMCS.GUEST_CR0, VMCS.HOST_CR0, VMCS.CR0_GUEST_HOST_MASK, VMCS.CR0_READ_SHADOW]);
const CR4_FIELDS: ReadonlySet<number> = new Set([VMCS.GUEST_CR4, VMCS.HOST_CR4, VMCS.CR4_GUEST_HOST_MASK, VMCS.CR4_READ_SHADOW]);

/**
 * Named parts of a bit-structured field, for the VMCS view to expand; undefined for plain values
 * (addresses, counters, selectors, limits ...). `value` is the field's low 32 bits.
 */
export function decodeFieldBits(enc: number, value: number): BitField[] | undefined {
  const v = value >>> 0;
  if (CONTROL_TABLES.has(enc)) return decodeControlBits(enc, v);
  if (AR_FIELDS.has(enc)) return decodeAccessRights(v);
  if (CR0_FIELDS.has(enc)) return flags(v, CR0_BITS);
  if (CR4_FIELDS.has(enc)) return flags(v, CR4_BITS);
  switch (enc) {
    case VMCS.GUEST_INTERRUPTIBILITY_INFO:
      return decodeInterruptibility(v);
    case VMCS.GUEST_ACTIVITY_STATE:
      return [{ name: 'Activity state', value: v, text: activityStateName(v) }];
    case VMCS.VM_ENTRY_INTR_INFO_FIELD:
      return decodeInterruptionInfoBits(v, true);
    case VMCS.VM_EXIT_INTR_INFO:
    case VMCS.IDT_VECTORING_INFO_FIELD:
      return decodeInterruptionInfoBits(v, false);
    case VMCS.VM_EXIT_REASON:
      return decodeExitReasonBits(v);
    case VMCS.EPT_POINTER:
      return decodeEptp(v);
    case VMCS.GUEST_PENDING_DBG_EXCEPTIONS:
      return decodePendingDebugExceptions(v);
    case VMCS.GUEST_RFLAGS:
      return decodeRflags(v);
    case VMCS.EXCEPTION_BITMAP:
      return decodeExceptionBitmap(v);
    default:
      return undefined;
  }
}
