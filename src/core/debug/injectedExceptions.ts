// Guest-exception filters (guest.GP, guest.PF, ...) for exceptions that reach the guest without an
// exception exit of their own: the VMM injects them while handling another exit (#GP(0) for an RDMSR
// of an absent MSR, #GP for a bad CR0 write, a #PF the shadow MMU reflects to the guest, a #DF from the
// double-fault rules). After the handler, before the VM entry that delivers the event through the
// guest IDT (VM_ENTRY_INTR_INFO_FIELD, SDM 26.6 "Event Injection"), the VM stops if the vector's
// filter is checked. An exception exit the VMM merely re-injects (the exception bitmap route) already
// stopped at its exit and does not stop twice, and neither does an event the VMM delivers again after
// an exit during its delivery.
import type { Vmm } from '../vmm/vmm';
import type { VCpu } from '../vmm/vcpu';
import type { ExitEvent, StopEvent } from './debugApi';
import type { ActiveFilters } from './exitFilters';
import { VMCS } from '../hw/vmx/vmcsFields';
import { ExitReason } from '../hw/vmx/exitReasons';

const MNEMONIC: Record<number, string> = { 0: 'DE', 1: 'DB', 3: 'BP', 4: 'OF', 5: 'BR', 6: 'UD', 7: 'NM', 8: 'DF', 10: 'TS', 11: 'NP', 12: 'SS', 13: 'GP', 14: 'PF', 16: 'MF', 17: 'AC' };

export function installInjectedExceptionStops(vmm: Vmm, filters: ActiveFilters, on = true): void {
  filters.deferPageFaults = vmm.shadow !== null;
  vmm.afterExitHandled = on && filters.exceptionBitmap !== 0 ? (v, exit) => injectedExceptionStop(filters, v, exit, vmm.shadow !== null) : null;
}

function injectedExceptionStop(filters: ActiveFilters, v: VCpu, exit: ExitEvent, shadow: boolean): StopEvent | undefined {
  const info = v.vmcs.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
  if (!(info & 0x80000000) || ((info >> 8) & 7) !== 3) return undefined; // only hardware exceptions
  const vector = info & 0xff;
  const reinjected = exit.reason === ExitReason.EXCEPTION_NMI && exit.fields.vector === vector && !(vector === 14 && shadow);
  if (reinjected) return undefined;
  // The exit interrupted the delivery of this very event (IDT-vectoring information, SDM 27.2.4): the
  // VMM delivers it again after fixing what the delivery touched; it is not a new exception.
  const vectoring = v.vmcs.read(VMCS.IDT_VECTORING_INFO_FIELD);
  if ((vectoring & 0x80000000) && (vectoring & 0x7ff) === (info & 0x7ff)) return undefined;
  const hasError = (info & (1 << 11)) !== 0;
  const errorCode = hasError ? v.vmcs.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE) >>> 0 : undefined;
  const fields: Record<string, number | boolean> = { vector, type: 3, reason: exit.reason, qualification: exit.qualification, rip: exit.guestRip };
  if (errorCode !== undefined) { fields.errorCode = errorCode; fields.error_code = errorCode; }
  if (vector === 14) { fields.gva = v.cpu.cr2 >>> 0; fields.gla = fields.gva; }
  const id = filters.matchVector(vector, fields);
  if (!id) return undefined;
  const name = `#${MNEMONIC[vector] ?? vector}`;
  const code = errorCode !== undefined ? `(0x${errorCode.toString(16)})` : '';
  const cr2 = vector === 14 ? `, CR2 0x${(v.cpu.cr2 >>> 0).toString(16).padStart(8, '0')}` : '';
  return {
    kind: 'exception', vcpu: v.id, vector, errorCode, filterId: id,
    text: `Guest exception ${name}${code}${cr2}: injected by the VMM while handling the ${exit.reasonName} exit at 0x${exit.guestRip.toString(16).padStart(8, '0')}; the next VM entry delivers it through the guest IDT`,
  };
}
