// VMCS storage as plain data (ARCHITECTURE.md invariant 4) plus the VMREAD/VMWRITE rules of
// SDM Vol. 3C 31.3 ("VMX Instructions": VMREAD, VMWRITE) and the VM-instruction error numbers of
// Table 31-1.
//
// The SDM leaves the in-memory layout of a VMCS implementation-specific (25.2 "Format of the VMCS
// Region"); only the revision identifier (bits 30:0 of the first dword), the shadow-VMCS indicator
// (bit 31) and the VMX-abort indicator (second dword) are architectural. Here every field has a slot
// in two Uint32Arrays indexed by fieldIndex(): `lo` holds 16-bit, 32-bit and natural-width fields
// (natural width is 32 bits on this IA-32 model) and the low half of 64-bit fields; `hi` holds the
// high half of 64-bit fields and stays 0 for the others.

import { fieldIndex, isReadOnlyField, VMCS_FIELD_COUNT } from './vmcsFields';

/** VMCS revision identifier reported in IA32_VMX_BASIC bits 30:0 (see vmxCapabilities.ts). */
export const VMCS_REVISION_ID = 1;

/** SDM 25.1 / 25.11.3: a VMCS is "clear" after VMCLEAR and "launched" after a successful VMLAUNCH. */
export type LaunchState = 'clear' | 'launched';

export class Vmcs {
  /** Low 32 bits of every field (all of a 16/32/natural field). */
  readonly lo: Uint32Array = new Uint32Array(VMCS_FIELD_COUNT);
  /** High 32 bits of 64-bit fields. */
  readonly hi: Uint32Array = new Uint32Array(VMCS_FIELD_COUNT);
  launchState: LaunchState = 'clear';
  /** VMCS revision identifier (first dword bits 30:0). */
  revisionId: number;
  /** Shadow-VMCS indicator (first dword bit 31, SDM 25.10). */
  shadow = false;
  /** VMX-abort indicator (second dword, SDM 25.7 / 28.7 "VMX Aborts"). */
  abortIndicator = 0;

  constructor(revisionId: number = VMCS_REVISION_ID) {
    this.revisionId = revisionId >>> 0;
  }

  /**
   * Low 32 bits of a field; for a HIGH encoding, the upper half of the 64-bit field.
   * The encoding must be supported (use `vmread` for guest-supplied encodings).
   */
  read(enc: number): number {
    const i = fieldIndex(enc);
    if (i < 0) throw unsupported(enc);
    // Bit 0 set only survives fieldIndex() for the high half of a 64-bit field (SDM 25.11.2).
    return (enc & 1) === 1 ? this.hi[i]! : this.lo[i]!;
  }

  /** Whole field as a bigint; for a HIGH encoding, the upper half alone (as VMREAD returns it). */
  read64(enc: number): bigint {
    const i = fieldIndex(enc);
    if (i < 0) throw unsupported(enc);
    if ((enc & 1) === 1) return BigInt(this.hi[i]!);
    return (BigInt(this.hi[i]!) << 32n) | BigInt(this.lo[i]!);
  }

  /**
   * Write as VMWRITE with a 32-bit operand would on IA-32 (SDM 31.3 VMWRITE): a 16-bit field takes
   * the low 16 bits; a 32-bit or natural-width field takes 32 bits; a full 64-bit encoding sets the
   * low half and clears the high half; a HIGH encoding sets the high half only.
   * No read-only check: that is VMWRITE's rule (see `vmwrite`); the hardware model itself writes
   * exit-information fields through here.
   */
  write(enc: number, value: number): void {
    const i = fieldIndex(enc);
    if (i < 0) throw unsupported(enc);
    const w = (enc >>> 13) & 3;
    if (w === 0) {
      this.lo[i] = value & 0xffff;
    } else if (w === 1) {
      if ((enc & 1) === 1) {
        this.hi[i] = value >>> 0;
      } else {
        this.lo[i] = value >>> 0;
        this.hi[i] = 0;
      }
    } else {
      this.lo[i] = value >>> 0;
    }
  }

  /** Write a 64-bit value: both halves of a 64-bit field; otherwise truncated as `write`. */
  write64(enc: number, v: bigint): void {
    const i = fieldIndex(enc);
    if (i < 0) throw unsupported(enc);
    if (((enc >>> 13) & 3) === 1 && (enc & 1) === 0) {
      this.lo[i] = Number(v & 0xffffffffn);
      this.hi[i] = Number((v >> 32n) & 0xffffffffn);
    } else {
      this.write(enc, Number(v & 0xffffffffn));
    }
  }

  /** Zero every field and return to the clear state (a freshly allocated VMCS region). */
  reset(): void {
    this.lo.fill(0);
    this.hi.fill(0);
    this.launchState = 'clear';
    this.abortIndicator = 0;
  }

  copyFrom(other: Vmcs): void {
    this.lo.set(other.lo);
    this.hi.set(other.hi);
    this.launchState = other.launchState;
    this.revisionId = other.revisionId;
    this.shadow = other.shadow;
    this.abortIndicator = other.abortIndicator;
  }
}

function unsupported(enc: number): RangeError {
  return new RangeError(`VMCS: unsupported field encoding 0x${(enc >>> 0).toString(16)}`);
}

// ---- VM-instruction error numbers (SDM Vol. 3C 31.4, Table 31-1), KVM's VMXERR_* names.

export const VmInstructionError = {
  VMCALL_IN_VMX_ROOT_OPERATION: 1,
  VMCLEAR_INVALID_ADDRESS: 2,
  VMCLEAR_VMXON_POINTER: 3,
  VMLAUNCH_NONCLEAR_VMCS: 4,
  VMRESUME_NONLAUNCHED_VMCS: 5,
  VMRESUME_AFTER_VMXOFF: 6,
  ENTRY_INVALID_CONTROL_FIELD: 7,
  ENTRY_INVALID_HOST_STATE_FIELD: 8,
  VMPTRLD_INVALID_ADDRESS: 9,
  VMPTRLD_VMXON_POINTER: 10,
  VMPTRLD_INCORRECT_VMCS_REVISION_ID: 11,
  UNSUPPORTED_VMCS_COMPONENT: 12,
  VMWRITE_READ_ONLY_VMCS_COMPONENT: 13,
  VMXON_IN_VMX_ROOT_OPERATION: 15,
  ENTRY_INVALID_EXECUTIVE_VMCS_POINTER: 16,
  ENTRY_NONLAUNCHED_EXECUTIVE_VMCS: 17,
  ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER: 18,
  VMCALL_NONCLEAR_VMCS: 19,
  VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS: 20,
  VMCALL_INCORRECT_MSEG_REVISION_ID: 22,
  VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM: 23,
  VMCALL_INVALID_SMM_MONITOR_FEATURES: 24,
  ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS: 25,
  ENTRY_EVENTS_BLOCKED_BY_MOV_SS: 26,
  INVALID_OPERAND_TO_INVEPT_INVVPID: 28,
} as const;
export type VmInstructionError = (typeof VmInstructionError)[keyof typeof VmInstructionError];

/** SDM texts of Table 31-1; numbers 14, 21 and 27 are reserved. */
export const VM_INSTRUCTION_ERRORS: Readonly<Record<number, string>> = Object.freeze({
  1: 'VMCALL executed in VMX root operation',
  2: 'VMCLEAR with invalid physical address',
  3: 'VMCLEAR with VMXON pointer',
  4: 'VMLAUNCH with non-clear VMCS',
  5: 'VMRESUME with non-launched VMCS',
  6: 'VMRESUME after VMXOFF (VMXOFF and VMXON between VMLAUNCH and VMRESUME)',
  7: 'VM entry with invalid control field(s)',
  8: 'VM entry with invalid host-state field(s)',
  9: 'VMPTRLD with invalid physical address',
  10: 'VMPTRLD with VMXON pointer',
  11: 'VMPTRLD with incorrect VMCS revision identifier',
  12: 'VMREAD/VMWRITE from/to unsupported VMCS component',
  13: 'VMWRITE to read-only VMCS component',
  15: 'VMXON executed in VMX root operation',
  16: 'VM entry with invalid executive-VMCS pointer',
  17: 'VM entry with non-launched executive VMCS',
  18: 'VM entry with executive-VMCS pointer not VMXON pointer (when attempting to deactivate the dual-monitor treatment of SMIs and SMM)',
  19: 'VMCALL with non-clear VMCS (when attempting to activate the dual-monitor treatment of SMIs and SMM)',
  20: 'VMCALL with invalid VM-exit control fields',
  22: 'VMCALL with incorrect MSEG revision identifier (when attempting to activate the dual-monitor treatment of SMIs and SMM)',
  23: 'VMXOFF under dual-monitor treatment of SMIs and SMM',
  24: 'VMCALL with invalid SMM-monitor features (when attempting to activate the dual-monitor treatment of SMIs and SMM)',
  25: 'VM entry with invalid VM-execution control fields in executive VMCS (when attempting to return from SMM)',
  26: 'VM entry with events blocked by MOV SS',
  28: 'Invalid operand to INVEPT/INVVPID',
});

/** SDM text for a VM-instruction error number. */
export function vmInstructionErrorText(n: number): string {
  return VM_INSTRUCTION_ERRORS[n] ?? `reserved VM-instruction error ${n}`;
}

// ---- VMREAD / VMWRITE semantics (SDM 31.3). The caller (the VMX instruction emulation) has
// already handled #UD/#GP and the "no current VMCS" VMfailInvalid case; these are the VMfailValid
// checks that depend on the field.

export type VmreadResult = { ok: true; value: number } | { ok: false; error: VmInstructionError };
export type VmwriteResult = { ok: true } | { ok: false; error: VmInstructionError };

export interface VmwriteOptions {
  /** IA32_VMX_MISC bit 29: software may VMWRITE any supported field, read-only ones included. Not advertised by our model. */
  writeAnyField?: boolean;
}

/** VMREAD: error 12 if the encoding names no supported component. */
export function vmread(vmcs: Vmcs, enc: number): VmreadResult {
  if (fieldIndex(enc) < 0) return { ok: false, error: VmInstructionError.UNSUPPORTED_VMCS_COMPONENT };
  return { ok: true, value: vmcs.read(enc) };
}

/**
 * VMWRITE: error 12 for an unsupported component; error 13 for a VM-exit information field unless
 * IA32_VMX_MISC bit 29 is set (SDM 31.3 VMWRITE, "ELSIF VMCS field is read-only ...").
 */
export function vmwrite(vmcs: Vmcs, enc: number, value: number, opts?: VmwriteOptions): VmwriteResult {
  if (fieldIndex(enc) < 0) return { ok: false, error: VmInstructionError.UNSUPPORTED_VMCS_COMPONENT };
  if (isReadOnlyField(enc) && !(opts?.writeAnyField ?? false)) {
    return { ok: false, error: VmInstructionError.VMWRITE_READ_ONLY_VMCS_COMPONENT };
  }
  vmcs.write(enc, value);
  return { ok: true };
}

// ---- Snapshots (ARCHITECTURE.md invariant 4: explicit, versioned save/restore).
// Layout (dwords): [version, fieldCount, revisionId | shadow<<31, launched, abortIndicator,
//                   lo[0..n), hi[0..n)]

export const VMCS_SAVE_VERSION = 1;
const HEADER = 5;

export function saveVmcs(v: Vmcs): Uint32Array {
  const n = v.lo.length;
  const out = new Uint32Array(HEADER + 2 * n);
  out[0] = VMCS_SAVE_VERSION;
  out[1] = n;
  out[2] = ((v.revisionId & 0x7fffffff) | (v.shadow ? 0x80000000 : 0)) >>> 0;
  out[3] = v.launchState === 'launched' ? 1 : 0;
  out[4] = v.abortIndicator >>> 0;
  out.set(v.lo, HEADER);
  out.set(v.hi, HEADER + n);
  return out;
}

/** Restore into an existing VMCS (no allocation). Throws on a snapshot from another layout. */
export function restoreVmcsInto(v: Vmcs, data: Uint32Array): void {
  if (data.length < HEADER) throw new Error('VMCS snapshot: truncated header');
  if (data[0] !== VMCS_SAVE_VERSION) throw new Error(`VMCS snapshot: version ${data[0]} is not ${VMCS_SAVE_VERSION}`);
  const n = data[1]!;
  if (n !== v.lo.length) throw new Error(`VMCS snapshot: ${n} fields, this build has ${v.lo.length}`);
  if (data.length !== HEADER + 2 * n) throw new Error('VMCS snapshot: wrong length');
  v.revisionId = data[2]! & 0x7fffffff;
  v.shadow = (data[2]! & 0x80000000) !== 0;
  v.launchState = data[3] === 1 ? 'launched' : 'clear';
  v.abortIndicator = data[4]!;
  v.lo.set(data.subarray(HEADER, HEADER + n));
  v.hi.set(data.subarray(HEADER + n, HEADER + 2 * n));
}

export function restoreVmcs(data: Uint32Array): Vmcs {
  const v = new Vmcs();
  restoreVmcsInto(v, data);
  return v;
}
