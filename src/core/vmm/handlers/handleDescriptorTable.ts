// Descriptor-table exits (46 GDTR/IDTR access: SGDT SIDT LGDT LIDT; 47 LDTR/TR access: SLDT STR LLDT
// LTR), with "descriptor-table exiting" (optional: `--vmx-exits desc`; KVM turns it on to emulate
// UMIP). The processor made its privilege checks before the exit (SDM 26.1.1); the VMM emulates the
// instruction with the product's own interpreter on a scratch processor loaded with the guest state
// (guestScratch.ts, as task switches are), then copies the result back: the guest sees exactly the
// bare-metal result. A fault the instruction raises (#PF on the operand, #GP on a bad selector) is
// injected into the guest.
import type { ExitHandler } from '../exitHandler';
import { queueException } from '../exitHandler';
import type { Cpu, NonRootHooks } from '../../hw/cpu/cpu';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { loadScratch, storeScratch, UnbackedAccess } from '../guestScratch';

const STOP = { signal: 'descriptor-table-emulation-stop' } as const;

/** Hooks of the scratch processor: the instruction itself must not exit; an exception ends the attempt. */
class FaultHooks implements NonRootHooks {
  fault: { vector: number; errorCode: number; address: number } | null = null;
  instruction(): void { /* the exiting instruction is the one being emulated */ }
  exception(cpu: Cpu, vector: number, errorCode: number, hasError: boolean): void {
    this.fault = { vector, errorCode: hasError ? errorCode : -1, address: cpu.pfAddress >>> 0 };
    throw STOP;
  }
  tripleFault(): never { throw STOP; }
  io(): void { throw STOP; }
  crWrite(): number { throw STOP; }
  crRead(): number { throw STOP; }
  msr(): void { throw STOP; }
  instructionBoundary(): void { /* no events */ }
}
const hooks = new FaultHooks();

export const handleDescriptorTable: ExitHandler = (vmm, vcpu) => {
  const v = vcpu.vmcs;
  const c = loadScratch(vmm, vcpu);
  c.nonRoot = true; c.vmx = hooks; hooks.fault = null;
  const before = c.icount;
  try {
    c.step();
  } catch (e) {
    if (e instanceof UnbackedAccess) return { kind: 'error', vcpu: vcpu.id, text: `descriptor-table instruction at 0x${(v.read(VMCS.GUEST_RIP) >>> 0).toString(16)}: ${e.message}; the VM is paused` };
    if (e !== STOP) throw e;
  } finally {
    c.nonRoot = false; c.vmx = null;
  }
  const fault = hooks.fault as { vector: number; errorCode: number; address: number } | null;
  if (fault) {
    if (fault.vector === 14) vcpu.cpu.cr2 = fault.address;
    queueException(vcpu, fault.vector, fault.errorCode);
    return undefined;
  }
  if (c.icount === before) return { kind: 'error', vcpu: vcpu.id, text: 'descriptor-table instruction could not be emulated; the VM is paused' };
  storeScratch(vcpu, c, 0);
  v.write(VMCS.GUEST_GDTR_BASE, c.gdtrBase >>> 0); v.write(VMCS.GUEST_GDTR_LIMIT, c.gdtrLimit);
  v.write(VMCS.GUEST_IDTR_BASE, c.idtrBase >>> 0); v.write(VMCS.GUEST_IDTR_LIMIT, c.idtrLimit);
  vcpu.cpu.icount++;
  return undefined;
};
