// A failed VM entry as an exit event, so the "VM-entry failure" exception filter can stop on it and
// the adapter can show it like any exit: reason 33 (INVALID_GUEST_STATE) or 34 with bit 31 set in
// VM_EXIT_REASON (SDM 26.8 "VM-Entry Failures During or After Loading Guest State"), or a VMfailValid
// with its VM-instruction error number (SDM 30.4, table "VM-Instruction Error Numbers").
import type { ExitEvent } from './debugApi';
import type { VCpu } from '../vmm/vcpu';
import type { EntryFailure } from '../hw/vmx/vmxCpu';
import { VMCS } from '../hw/vmx/vmcsFields';
import { exitReasonName } from '../hw/vmx/exitReasons';

export function entryFailureExit(vcpu: VCpu, fail: EntryFailure, text: string): ExitEvent {
  const v = vcpu.vmcs;
  const reason = fail.kind === 'exit' ? fail.code : 0;
  const fields: Record<string, number | boolean> = { reason, qualification: 0, entryFailure: true };
  if (fail.kind === 'vmfail') fields.vmInstructionError = fail.code;
  return {
    icount: vcpu.cpu.icount, vcpu: vcpu.id, reason,
    reasonName: fail.kind === 'exit' ? exitReasonName(reason) : 'VMFAIL',
    qualification: 0,
    guestRip: (v.read(VMCS.GUEST_RIP) + v.read(VMCS.GUEST_CS_BASE)) >>> 0,
    detail: `${text.replace(/^VM entry failed: /, '')}`,
    fields,
  };
}
