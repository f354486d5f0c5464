// What a debugger front end (the DAP adapter, the CLI, tests) sees of a VM. Plain data only, so the
// adapter can map it to DAP without knowing the core's internals.

/** One VM exit as logged by time/exitLog and reported to the user. */
export interface ExitEvent {
  icount: number;
  vcpu: number;
  /** Basic exit reason, SDM Appendix C number (CPUID = 10, IO_INSTRUCTION = 30, ...). */
  reason: number;
  /** SDM name of the reason, e.g. "IO_INSTRUCTION". */
  reasonName: string;
  /** Exit qualification as the SDM lays it out (Table 28-x for the reason). */
  qualification: number;
  /** Guest linear address of the exiting instruction (GUEST_RIP + CS base). */
  guestRip: number;
  /** Decoded qualification in words: "port 0x3f8 out size 1", "leaf eax=0x1". */
  detail: string;
  /** Named values conditions can test: port, in, size, leaf, cr, msr, gpa, gla, qualification, ... */
  fields: Record<string, number | boolean>;
}

/** Why the VM stopped. `vcpu` is the vCPU that hit the event. */
export type StopEvent =
  | { kind: 'entry'; vcpu: number }
  | { kind: 'step'; vcpu: number }
  | { kind: 'pause'; vcpu: number }
  /** An instruction breakpoint at `address`, or (with `watch`) a data breakpoint hit by the instruction before `address`. */
  | { kind: 'breakpoint'; vcpu: number; address: number; watch?: { id: number; linear: number; write: boolean; size: number } }
  | { kind: 'vmexit'; vcpu: number; exit: ExitEvent; filterId: string }
  | { kind: 'exception'; vcpu: number; vector: number; errorCode?: number; text: string; filterId: string }
  /**
   * Before a privileged / sensitive instruction at `address` (debug/insnStops.ts): nothing of it ran.
   * `exits`: whether it will cause a VM exit under the current controls (`exitReason`), `why` says why (not).
   */
  | { kind: 'instruction'; vcpu: number; address: number; filterId: string; text: string; disassembly: string; exits: boolean; exitReason: string; why: string; classWhy: string }
  /** The guest wrote to the exit device (port 0xf4): status = (value << 1) | 1. */
  | { kind: 'exited'; vcpu: number; status: number }
  /** Triple fault / shutdown with no filter checked: the VM is stopped for good, state kept. */
  | { kind: 'shutdown'; vcpu: number; text: string }
  /** An internal error caught at the run-loop boundary; the VM is paused, state intact. */
  | { kind: 'error'; vcpu: number; text: string };

/** An exception-breakpoint filter the Breakpoints view lists (DAP ExceptionBreakpointsFilter). */
export interface ExitFilterInfo {
  id: string;
  label: string;
  description: string;
  default: boolean;
  supportsCondition: boolean;
  conditionDescription?: string;
}

/** A checked filter, as the adapter passes it back (DAP ExceptionFilterOptions). */
export interface ExitFilterSetting {
  id: string;
  condition?: string;
}

export interface BitField {
  name: string;
  value: number;
  /** Optional words for the value ("always", "disabled", "WB"). */
  text?: string;
}

/** A register or VMCS field as the Variables view shows it. */
export interface FieldView {
  name: string;
  value: number;
  /** Value as shown: hex of the right width, or decoded text. */
  text: string;
  /** Extra detail: SDM encoding, description. */
  detail?: string;
  bits?: BitField[];
}

export interface GroupView {
  name: string;
  fields: FieldView[];
}

export interface DisasmLine {
  address: number;
  bytes: string;
  text: string;
  /** Symbol at this address, if any. */
  symbol?: string;
}

export interface ExitStatRow {
  reason: number;
  reasonName: string;
  count: number;
}
