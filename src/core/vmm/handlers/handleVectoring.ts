// Events whose delivery a VM exit interrupted (KVM's vmx_complete_interrupts / __vmx_complete_interrupts):
// when an EPT violation happens while the processor delivers an interrupt or exception through the IDT
// (the IDT, the handler's code or the stack not yet mapped), the exit records the event in the
// IDT-vectoring information field and its error code (SDM Vol. 3C 27.2.4), and nothing of it reached the
// guest. After the handler fixed the mapping, the event is injected again on the next VM entry
// (VM-entry interruption information = IDT-vectoring information without bit 12; 26.6), so the guest
// loses no interrupt. A software interrupt or exception is re-injected with the instruction length the
// exit reported (27.2.5): delivery pushes the address after the INT n.
import type { ExitHandler } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { INTR_INFO_VALID } from '../../hw/vmx/exitQualification';

/** Wrap a handler of an exit that can happen during event delivery (EPT violation) with the re-injection. */
export function withIdtVectoring(handler: ExitHandler): ExitHandler {
  return (vmm, vcpu) => {
    const stop = handler(vmm, vcpu);
    if (stop) return stop;
    reinjectVectoredEvent(vcpu.vmcs);
    return undefined;
  };
}

/** Queue the event in IDT-vectoring information for the next entry unless the handler queued one itself. */
export function reinjectVectoredEvent(v: { read(enc: number): number; write(enc: number, value: number): void }): boolean {
  const info = v.read(VMCS.IDT_VECTORING_INFO_FIELD);
  if (!(info & INTR_INFO_VALID) || (v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID)) return false;
  const type = (info >> 8) & 7;
  v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (info & 0x80000fff & ~0x1000) >>> 0);
  if (info & (1 << 11)) v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, v.read(VMCS.IDT_VECTORING_ERROR_CODE));
  if (type === 4 || type === 5 || type === 6) v.write(VMCS.VM_ENTRY_INSTRUCTION_LEN, v.read(VMCS.VM_EXIT_INSTRUCTION_LEN));
  return true;
}
