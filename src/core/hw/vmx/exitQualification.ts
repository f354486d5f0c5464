// Decoding (and, for the hardware model, encoding) of the exit qualification and the VM-exit
// interruption information, per SDM Vol. 3C 28.2.1 "Basic VM-Exit Information" (the per-reason
// exit-qualification tables) and 28.2.2 "Information for VM Exits Due to Vectored Events".
//
// decodeExit() turns one exit into a one-line `detail` for the UI and a flat `fields` record that
// breakpoint conditions test (`port == 0x3f8 && !in`, `cr == 3`, `write`, `vector == 14`, ...).

import { ExitReason, exitReasonDescription, VMX_EXIT_REASON_BASIC_MASK, VMX_EXIT_REASON_ENTRY_FAILURE } from './exitReasons';
import type { Vmcs } from './vmcs';
import { VMCS } from './vmcsFields';

/** VMCS values besides the qualification that some decoders need (all optional). */
export interface ExitInfo {
  guestLinearAddress?: number;
  guestPhysicalAddress?: number;
  exitIntrInfo?: number;
  exitIntrErrorCode?: number;
  instructionLength?: number;
  instructionInfo?: number;
  /** Guest registers at the exit: EAX for VMCALL / CPUID, ECX for CPUID / RDMSR / WRMSR / XSETBV. */
  regs?: { eax?: number; ecx?: number };
}

export interface DecodedExit {
  detail: string;
  fields: Record<string, number | boolean>;
}

const GPR_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** Name of a general-purpose register number as exit qualifications encode it (0 = EAX ... 7 = EDI). */
export function gprName(n: number): string {
  return GPR_NAMES[n & 15]!;
}

const hx = (n: number): string => '0x' + (n >>> 0).toString(16);
const hx8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

// ---- Exceptions and interruption information (SDM 6.15 "Exception and Interrupt Reference";
// 25.8.3 / 28.2.2 interruption-information format).

const EXCEPTION_NAMES: readonly string[] = [
  '#DE', '#DB', 'NMI', '#BP', '#OF', '#BR', '#UD', '#NM', '#DF', 'CSO',
  '#TS', '#NP', '#SS', '#GP', '#PF', 'reserved (15)', '#MF', '#AC', '#MC', '#XM',
  '#VE', '#CP',
];

/** Mnemonic of an exception vector ("#PF"); 2 is "NMI"; unassigned vectors say so. */
export function exceptionName(vector: number): string {
  const v = vector & 0xff;
  if (v < EXCEPTION_NAMES.length) return EXCEPTION_NAMES[v]!;
  if (v < 32) return `reserved (${v})`;
  return `vector ${hx(v)}`;
}

/** Exceptions that push an error code (SDM 6.15): #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP. */
export function exceptionHasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21;
}

/** Interruption types, bits 10:8 of the interruption-information fields. */
export const IntrType = {
  EXTERNAL_INTERRUPT: 0,
  NMI: 2,
  HARDWARE_EXCEPTION: 3,
  SOFTWARE_INTERRUPT: 4,
  PRIVILEGED_SOFTWARE_EXCEPTION: 5,
  SOFTWARE_EXCEPTION: 6,
  OTHER_EVENT: 7,
} as const;

export const INTR_TYPE_NAMES: readonly string[] = [
  'external interrupt', 'reserved', 'NMI', 'hardware exception',
  'software interrupt', 'privileged software exception', 'software exception', 'other event',
];

export const INTR_INFO_VECTOR_MASK = 0xff;
export const INTR_INFO_TYPE_SHIFT = 8;
export const INTR_INFO_DELIVER_CODE = 1 << 11;
export const INTR_INFO_UNBLOCK_NMI = 1 << 12;
export const INTR_INFO_VALID = 0x80000000;

export interface InterruptionInfo {
  valid: boolean;
  vector: number;
  type: number;
  errorCodeValid: boolean;
  nmiUnblocking: boolean;
}

export function decodeInterruptionInfo(v: number): InterruptionInfo {
  return {
    valid: (v & INTR_INFO_VALID) !== 0,
    vector: v & INTR_INFO_VECTOR_MASK,
    type: (v >>> INTR_INFO_TYPE_SHIFT) & 7,
    errorCodeValid: (v & INTR_INFO_DELIVER_CODE) !== 0,
    nmiUnblocking: (v & INTR_INFO_UNBLOCK_NMI) !== 0,
  };
}

/** Build an interruption-information value (valid bit set). */
export function encodeInterruptionInfo(vector: number, type: number, errorCodeValid: boolean, nmiUnblocking = false): number {
  return ((vector & 0xff) | ((type & 7) << 8) | (errorCodeValid ? INTR_INFO_DELIVER_CODE : 0) |
    (nmiUnblocking ? INTR_INFO_UNBLOCK_NMI : 0) | INTR_INFO_VALID) >>> 0;
}

/** "#PF error 0x2", "NMI", "#BP (software exception)", "vector 0x20 (external interrupt)". */
export function describeEvent(info: InterruptionInfo, errorCode?: number): string {
  let s = info.type === IntrType.EXTERNAL_INTERRUPT || info.type === IntrType.SOFTWARE_INTERRUPT
    ? `vector ${hx(info.vector)}`
    : exceptionName(info.vector);
  if (info.type !== IntrType.HARDWARE_EXCEPTION && info.type !== IntrType.NMI) s += ` (${INTR_TYPE_NAMES[info.type]})`;
  if (info.errorCodeValid && errorCode !== undefined) s += ` error ${hx(errorCode)}`;
  return s;
}

// ---- I/O instructions (table "Exit Qualification for I/O Instructions").

export interface IoQualification {
  port: number;
  /** Access size in bytes: 1, 2 or 4 (bits 2:0 hold size - 1). */
  size: number;
  /** Direction, bit 3: 1 = IN / INS. */
  in: boolean;
  /** Bit 4: string instruction (INS / OUTS). */
  string: boolean;
  /** Bit 5: REP prefixed. */
  rep: boolean;
  /** Bit 6: operand encoding; true = immediate port, false = DX. */
  imm: boolean;
}

export function decodeIoQualification(q: number): IoQualification {
  return {
    size: (q & 7) + 1,
    in: (q & 0x8) !== 0,
    string: (q & 0x10) !== 0,
    rep: (q & 0x20) !== 0,
    imm: (q & 0x40) !== 0,
    port: (q >>> 16) & 0xffff,
  };
}

export function encodeIoQualification(io: IoQualification): number {
  return (((io.size - 1) & 7) | (io.in ? 0x8 : 0) | (io.string ? 0x10 : 0) | (io.rep ? 0x20 : 0) |
    (io.imm ? 0x40 : 0) | ((io.port & 0xffff) << 16)) >>> 0;
}

// ---- Control-register accesses (table "Exit Qualification for Control-Register Accesses").

export const CrAccessType = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;

export interface CrAccessQualification {
  /** Bits 3:0: control register (0 for CLTS and LMSW). */
  cr: number;
  /** Bits 5:4: 0 MOV to CR, 1 MOV from CR, 2 CLTS, 3 LMSW. */
  accessType: number;
  /** Bit 6: LMSW operand type, true = memory. */
  lmswMemory: boolean;
  /** Bits 11:8: general-purpose register for MOV CR. */
  gpr: number;
  /** Bits 31:16: LMSW source data. */
  lmswData: number;
}

export function decodeCrAccess(q: number): CrAccessQualification {
  return {
    cr: q & 0xf,
    accessType: (q >>> 4) & 3,
    lmswMemory: (q & 0x40) !== 0,
    gpr: (q >>> 8) & 0xf,
    lmswData: (q >>> 16) & 0xffff,
  };
}

export function encodeCrAccess(c: CrAccessQualification): number {
  return ((c.cr & 0xf) | ((c.accessType & 3) << 4) | (c.lmswMemory ? 0x40 : 0) | ((c.gpr & 0xf) << 8) |
    ((c.lmswData & 0xffff) << 16)) >>> 0;
}

// ---- MOV DR (table "Exit Qualification for MOV DR").

export interface DrAccessQualification {
  /** Bits 2:0: debug register. */
  dr: number;
  /** Bit 4: 0 MOV to DR, 1 MOV from DR. */
  accessType: number;
  /** Bits 11:8: general-purpose register. */
  gpr: number;
}

export function decodeDrAccess(q: number): DrAccessQualification {
  return { dr: q & 7, accessType: (q >>> 4) & 1, gpr: (q >>> 8) & 0xf };
}

export function encodeDrAccess(d: DrAccessQualification): number {
  return ((d.dr & 7) | ((d.accessType & 1) << 4) | ((d.gpr & 0xf) << 8)) >>> 0;
}

// ---- EPT violations (table "Exit Qualification for EPT Violations").

export interface EptViolationQualification {
  /** Bits 0-2: the access was a data read / data write / instruction fetch. */
  read: boolean;
  write: boolean;
  fetch: boolean;
  /** Bits 3-5: the guest-physical address was readable / writable / executable (for supervisor-mode linear addresses when mode-based execute control is on). */
  readable: boolean;
  writable: boolean;
  executable: boolean;
  /** Bit 6: executable for user-mode linear addresses (mode-based execute control). */
  userExecutable: boolean;
  /** Bit 7: the guest-linear-address field is valid. */
  glaValid: boolean;
  /** Bit 8 (when bit 7 is set): 1 = the access was to the translated linear address; 0 = to a paging-structure entry during the walk. */
  translation: boolean;
  /** Bit 12: NMI unblocking due to IRET. */
  nmiUnblocking: boolean;
}

export function decodeEptViolation(q: number): EptViolationQualification {
  return {
    read: (q & 0x1) !== 0,
    write: (q & 0x2) !== 0,
    fetch: (q & 0x4) !== 0,
    readable: (q & 0x8) !== 0,
    writable: (q & 0x10) !== 0,
    executable: (q & 0x20) !== 0,
    userExecutable: (q & 0x40) !== 0,
    glaValid: (q & 0x80) !== 0,
    translation: (q & 0x100) !== 0,
    nmiUnblocking: (q & 0x1000) !== 0,
  };
}

export function encodeEptViolation(e: EptViolationQualification): number {
  return ((e.read ? 0x1 : 0) | (e.write ? 0x2 : 0) | (e.fetch ? 0x4 : 0) | (e.readable ? 0x8 : 0) |
    (e.writable ? 0x10 : 0) | (e.executable ? 0x20 : 0) | (e.userExecutable ? 0x40 : 0) |
    (e.glaValid ? 0x80 : 0) | (e.translation ? 0x100 : 0) | (e.nmiUnblocking ? 0x1000 : 0)) >>> 0;
}

// ---- Other small layouts.

const TASK_SWITCH_SOURCES = ['CALL', 'IRET', 'JMP', 'task gate in IDT'] as const;

const APIC_ACCESS_TYPES: Readonly<Record<number, string>> = {
  0: 'linear read', 1: 'linear write', 2: 'linear fetch', 3: 'linear access during event delivery',
  10: 'guest-physical access during event delivery', 15: 'guest-physical access for fetch or execution',
};

// Table "Exit Qualification for VM-Entry Failure due to invalid guest state" (reason 33).
const ENTRY_FAILURE_QUALIFICATIONS: Readonly<Record<number, string>> = {
  0: 'default', 2: 'PDPTE load failure', 3: 'NMI injection with blocking by STI/MOV SS', 4: 'invalid VMCS link pointer',
};

/**
 * Decode one VM exit. `reason` may be the whole exit-reason field (bits 15:0 are the basic reason).
 * Always sets fields.reason and fields.qualification.
 */
export function decodeExit(reason: number, qualification: number, info: ExitInfo = {}): DecodedExit {
  const basic = reason & VMX_EXIT_REASON_BASIC_MASK;
  const q = qualification >>> 0;
  const fields: Record<string, number | boolean> = { reason: basic, qualification: q };
  if ((reason & VMX_EXIT_REASON_ENTRY_FAILURE) !== 0) fields.entryFailure = true;
  if (info.instructionLength !== undefined) fields.instructionLength = info.instructionLength;
  const detail = decodeDetail(basic, q, info, fields);
  return { detail, fields };
}

function decodeDetail(basic: number, q: number, info: ExitInfo, f: Record<string, number | boolean>): string {
  const eax = info.regs?.eax;
  const ecx = info.regs?.ecx;
  switch (basic) {
    case ExitReason.EXCEPTION_NMI: {
      if (info.exitIntrInfo === undefined) return 'exception or NMI';
      const ii = decodeInterruptionInfo(info.exitIntrInfo);
      f.vector = ii.vector;
      f.type = ii.type;
      f.nmiUnblocking = ii.nmiUnblocking;
      f.errorCodeValid = ii.errorCodeValid;
      if (ii.errorCodeValid && info.exitIntrErrorCode !== undefined) f.errorCode = info.exitIntrErrorCode >>> 0;
      let s = describeEvent(ii, info.exitIntrErrorCode);
      if (ii.type === IntrType.HARDWARE_EXCEPTION && ii.vector === 14) {
        // #PF: the qualification is the faulting linear address (CR2 is not yet loaded).
        f.gla = q;
        s += `, address ${hx8(q)}`;
      } else if (ii.type === IntrType.HARDWARE_EXCEPTION && ii.vector === 1) {
        // #DB: table "Exit Qualification for Debug Exceptions": B3:B0, BD (13), BS (14), RTM (16).
        f.breakpoints = q & 0xf;
        f.bd = (q & 0x2000) !== 0;
        f.bs = (q & 0x4000) !== 0;
        const why: string[] = [];
        if (q & 0xf) why.push(`B${[0, 1, 2, 3].filter((i) => (q >>> i) & 1).join('/B')}`);
        if (q & 0x2000) why.push('debug-register access');
        if (q & 0x4000) why.push('single step');
        if (why.length > 0) s += ` (${why.join(', ')})`;
      }
      return s;
    }
    case ExitReason.EXTERNAL_INTERRUPT: {
      if (info.exitIntrInfo === undefined || (info.exitIntrInfo & INTR_INFO_VALID) === 0) return 'external interrupt';
      const vector = info.exitIntrInfo & 0xff;
      f.vector = vector;
      return `external interrupt vector ${hx(vector)}`;
    }
    case ExitReason.TRIPLE_FAULT:
      return 'triple fault (shutdown)';
    case ExitReason.INIT_SIGNAL:
      return 'INIT signal';
    case ExitReason.SIPI: {
      const vector = q & 0xff;
      f.vector = vector;
      return `SIPI vector ${hx(vector)} (start at ${hx8(vector << 12)})`;
    }
    case ExitReason.TASK_SWITCH: {
      const selector = q & 0xffff;
      const source = (q >>> 30) & 3;
      f.selector = selector;
      f.source = source;
      return `task switch to TSS ${hx(selector)} via ${TASK_SWITCH_SOURCES[source]}`;
    }
    case ExitReason.CPUID: {
      if (eax === undefined) return 'cpuid';
      const leaf = eax >>> 0;
      const subleaf = (ecx ?? 0) >>> 0;
      f.leaf = leaf;
      f.subleaf = subleaf;
      return `leaf ${hx(leaf)} subleaf ${hx(subleaf)}`;
    }
    case ExitReason.HLT:
      return 'hlt';
    case ExitReason.INVLPG:
      f.gla = q;
      return `invlpg ${hx8(q)}`;
    case ExitReason.VMCALL: {
      if (eax === undefined) return 'vmcall';
      f.nr = eax >>> 0;
      return `hypercall ${hx(eax)}`;
    }
    case ExitReason.CR_ACCESS: {
      const c = decodeCrAccess(q);
      f.cr = c.cr;
      f.accessType = c.accessType;
      switch (c.accessType) {
        case CrAccessType.MOV_TO_CR:
          f.gpr = c.gpr;
          return `mov to cr${c.cr} from ${gprName(c.gpr)}`;
        case CrAccessType.MOV_FROM_CR:
          f.gpr = c.gpr;
          return `mov from cr${c.cr} to ${gprName(c.gpr)}`;
        case CrAccessType.CLTS:
          return 'clts';
        default: {
          f.lmswMemory = c.lmswMemory;
          f.lmswData = c.lmswData;
          let s = `lmsw ${hx(c.lmswData)} from ${c.lmswMemory ? 'memory' : 'register'}`;
          if (c.lmswMemory && info.guestLinearAddress !== undefined) {
            f.gla = info.guestLinearAddress >>> 0;
            s += `, gla ${hx8(info.guestLinearAddress)}`;
          }
          return s;
        }
      }
    }
    case ExitReason.DR_ACCESS: {
      const d = decodeDrAccess(q);
      f.dr = d.dr;
      f.accessType = d.accessType;
      f.gpr = d.gpr;
      return d.accessType === 0 ? `mov to dr${d.dr} from ${gprName(d.gpr)}` : `mov from dr${d.dr} to ${gprName(d.gpr)}`;
    }
    case ExitReason.IO_INSTRUCTION: {
      const io = decodeIoQualification(q);
      f.port = io.port;
      f.in = io.in;
      f.size = io.size;
      f.string = io.string;
      f.rep = io.rep;
      f.imm = io.imm;
      let s = `port ${hx(io.port)} ${io.in ? 'in' : 'out'}, ${io.size} byte${io.size === 1 ? '' : 's'}`;
      if (io.string) {
        s += io.rep ? ', rep string' : ', string';
        if (info.guestLinearAddress !== undefined) {
          f.gla = info.guestLinearAddress >>> 0;
          s += `, gla ${hx8(info.guestLinearAddress)}`;
        }
      }
      return s;
    }
    case ExitReason.MSR_READ:
    case ExitReason.MSR_WRITE: {
      const op = basic === ExitReason.MSR_READ ? 'rdmsr' : 'wrmsr';
      if (ecx === undefined) return op;
      f.msr = ecx >>> 0;
      return `${op} ${hx(ecx)}`;
    }
    case ExitReason.INVALID_GUEST_STATE:
      return `VM entry failed: invalid guest state (${ENTRY_FAILURE_QUALIFICATIONS[q] ?? `qualification ${q}`})`;
    case ExitReason.MSR_LOAD_FAIL:
      f.msrIndex = q;
      return `VM entry failed: MSR load failed at entry ${q}`;
    case ExitReason.MCE_DURING_VMENTRY:
      return 'VM entry failed: machine-check event';
    case ExitReason.APIC_ACCESS: {
      const offset = q & 0xfff;
      const accessType = (q >>> 12) & 0xf;
      f.offset = offset;
      f.accessType = accessType;
      return `APIC access offset ${hx(offset)} ${APIC_ACCESS_TYPES[accessType] ?? `type ${accessType}`}`;
    }
    case ExitReason.EOI_INDUCED:
      f.vector = q & 0xff;
      return `virtualized EOI vector ${hx(q & 0xff)}`;
    case ExitReason.APIC_WRITE:
      f.offset = q & 0xfff;
      return `APIC write offset ${hx(q & 0xfff)}`;
    case ExitReason.EPT_VIOLATION: {
      const e = decodeEptViolation(q);
      Object.assign(f, e);
      const gpaValue = (info.guestPhysicalAddress ?? 0) >>> 0;
      f.gpa = gpaValue;
      const kinds = [e.read && 'read', e.write && 'write', e.fetch && 'fetch'].filter((k): k is string => typeof k === 'string');
      const present = e.readable || e.writable || e.executable || e.userExecutable;
      const perms = present ? `entry ${e.readable ? 'r' : '-'}${e.writable ? 'w' : '-'}${e.executable ? 'x' : '-'}` : 'not present';
      let s = `gpa ${hx8(gpaValue)} ${kinds.length > 0 ? kinds.join('/') : 'access'} (${perms})`;
      if (e.glaValid && info.guestLinearAddress !== undefined) {
        f.gla = info.guestLinearAddress >>> 0;
        s += `, gla ${hx8(info.guestLinearAddress)}`;
        if (!e.translation) s += ' (paging-structure access)';
      }
      return s;
    }
    case ExitReason.EPT_MISCONFIG: {
      const gpaValue = (info.guestPhysicalAddress ?? 0) >>> 0;
      f.gpa = gpaValue;
      return `EPT misconfiguration at gpa ${hx8(gpaValue)}`;
    }
    case ExitReason.PREEMPTION_TIMER:
      return 'VMX-preemption timer expired';
    case ExitReason.XSETBV: {
      if (ecx === undefined) return 'xsetbv';
      f.xcr = ecx >>> 0;
      return `xsetbv xcr${ecx >>> 0}`;
    }
    case ExitReason.VMCLEAR: case ExitReason.VMPTRLD: case ExitReason.VMPTRST: case ExitReason.VMREAD:
    case ExitReason.VMWRITE: case ExitReason.VMXON: case ExitReason.INVEPT: case ExitReason.INVVPID:
    case ExitReason.INVPCID: case ExitReason.GDTR_IDTR: case ExitReason.LDTR_TR: case ExitReason.XSAVES:
    case ExitReason.XRSTORS: {
      // Table "Exit Qualification for Instructions with memory operands": the displacement.
      f.displacement = q;
      if (info.instructionInfo !== undefined) f.instructionInfo = info.instructionInfo >>> 0;
      return exitReasonDescription(basic);
    }
    default:
      return exitReasonDescription(basic);
  }
}

/** The ExitInfo a decoder needs, read from the exit-information fields of a VMCS. */
export function exitInfoFromVmcs(vmcs: Vmcs, regs?: { eax?: number; ecx?: number }): ExitInfo {
  return {
    guestLinearAddress: vmcs.read(VMCS.GUEST_LINEAR_ADDRESS),
    guestPhysicalAddress: vmcs.read(VMCS.GUEST_PHYSICAL_ADDRESS),
    exitIntrInfo: vmcs.read(VMCS.VM_EXIT_INTR_INFO),
    exitIntrErrorCode: vmcs.read(VMCS.VM_EXIT_INTR_ERROR_CODE),
    instructionLength: vmcs.read(VMCS.VM_EXIT_INSTRUCTION_LEN),
    instructionInfo: vmcs.read(VMCS.VMX_INSTRUCTION_INFO),
    regs,
  };
}

/** Decode the exit recorded in a VMCS (exit reason + qualification + the other exit fields). */
export function decodeVmcsExit(vmcs: Vmcs, regs?: { eax?: number; ecx?: number }): DecodedExit {
  return decodeExit(vmcs.read(VMCS.VM_EXIT_REASON), vmcs.read(VMCS.EXIT_QUALIFICATION), exitInfoFromVmcs(vmcs, regs));
}
