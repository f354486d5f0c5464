// The guest's system-table registers (GDTR, IDTR, LDTR, TR) and paging registers of one vCPU, as the
// guest has them: live in the CPU while in the guest, else from the VMCS guest-state area.
import type { Vmm } from '../vmm/vmm';
import { VMCS } from '../hw/vmx/vmcsFields';

export interface SystemRegs {
  gdtrBase: number; gdtrLimit: number; idtrBase: number; idtrLimit: number;
  ldtrSel: number; ldtrBase: number; ldtrLimit: number;
  trSel: number; trBase: number; trLimit: number;
}

export function systemRegsOf(vmm: Vmm, vcpu: number): SystemRegs {
  const v = vmm.vcpus[vcpu];
  if (!v) throw new RangeError(`no vCPU ${vcpu}`);
  const c = v.cpu;
  if (v.inGuest) {
    return {
      gdtrBase: c.gdtrBase >>> 0, gdtrLimit: c.gdtrLimit & 0xffff, idtrBase: c.idtrBase >>> 0, idtrLimit: c.idtrLimit & 0xffff,
      ldtrSel: c.segSel[6], ldtrBase: c.segBase[6] >>> 0, ldtrLimit: c.segLimit[6] >>> 0,
      trSel: c.segSel[7], trBase: c.segBase[7] >>> 0, trLimit: c.segLimit[7] >>> 0,
    };
  }
  const m = v.vmcs;
  return {
    gdtrBase: m.read(VMCS.GUEST_GDTR_BASE) >>> 0, gdtrLimit: m.read(VMCS.GUEST_GDTR_LIMIT) & 0xffff,
    idtrBase: m.read(VMCS.GUEST_IDTR_BASE) >>> 0, idtrLimit: m.read(VMCS.GUEST_IDTR_LIMIT) & 0xffff,
    ldtrSel: m.read(VMCS.GUEST_LDTR_SELECTOR), ldtrBase: m.read(VMCS.GUEST_LDTR_BASE) >>> 0, ldtrLimit: m.read(VMCS.GUEST_LDTR_LIMIT) >>> 0,
    trSel: m.read(VMCS.GUEST_TR_SELECTOR), trBase: m.read(VMCS.GUEST_TR_BASE) >>> 0, trLimit: m.read(VMCS.GUEST_TR_LIMIT) >>> 0,
  };
}
