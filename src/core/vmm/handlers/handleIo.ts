// Exit reason 30 (I/O instruction). The qualification (SDM Table 28-5) gives port, size, direction,
// string and REP; the handler routes to the port bus. String instructions are emulated one element
// per exit, through the guest's page tables; RIP advances when the count is exhausted, and each
// element counts as one instruction (as the CPU counts REP iterations, exec/string.ts), so time moves
// between elements: a run budget, a pause and a checkpoint can fall between them.
import type { ExitHandler } from '../exitHandler';
import { queueException, repIteration, skipInstruction } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { decodeIoQualification } from '../../hw/vmx/exitQualification';
import { gvaToGpa } from '../guestVirt';

export const handleIo: ExitHandler = (vmm, vcpu) => {
  const v = vcpu.vmcs;
  const q = decodeIoQualification(v.read(VMCS.EXIT_QUALIFICATION));
  const r = vcpu.regs;
  const mask = q.size === 1 ? 0xff : q.size === 2 ? 0xffff : -1;
  if (!q.string) {
    if (q.in) {
      const val = vmm.ports.portIn(q.port, q.size);
      r[0] = mask === -1 ? val : (r[0] & ~mask) | (val & mask);
    } else {
      vmm.ports.portOut(q.port, q.size, r[0] & mask);
    }
    skipInstruction(vcpu);
    return vmm.checkGuestExit(vcpu);
  }
  // INS / OUTS: one element.
  const info = v.read(VMCS.VMX_INSTRUCTION_INFO);
  const a32 = ((info >> 7) & 7) === 1;
  const paging = vmm.guestPaging(vcpu); // the guest's own CR0/CR3/CR4 (not the shadow root under shadow paging)
  const gla = v.read(VMCS.GUEST_LINEAR_ADDRESS);
  const df = (v.read(VMCS.GUEST_RFLAGS) & 0x400) !== 0;
  const count = a32 ? r[1] >>> 0 : r[1] & 0xffff;
  if (q.rep && count === 0) { skipInstruction(vcpu); return undefined; }
  for (let k = 0; k < q.size; k++) {
    const gpa = gvaToGpa(vmm.memory, paging, gla + k);
    if (gpa < 0) {
      // The element is not mapped: the guest gets its #PF, as the instruction would raise it.
      vcpu.cpu.cr2 = gla + k;
      queueException(vcpu, 14, q.in ? 2 : 0);
      return undefined;
    }
  }
  const gpa0 = gvaToGpa(vmm.memory, paging, gla);
  if (q.in) {
    const val = vmm.ports.portIn(q.port, q.size);
    for (let k = 0; k < q.size; k++) vmm.memory.write8(gvaToGpa(vmm.memory, paging, gla + k), val >> (8 * k));
  } else {
    let val = 0;
    for (let k = 0; k < q.size; k++) val |= (vmm.memory.read8(k === 0 ? gpa0 : gvaToGpa(vmm.memory, paging, gla + k)) ?? 0xff) << (8 * k);
    vmm.ports.portOut(q.port, q.size, val);
  }
  const idx = q.in ? 7 : 6;
  const step = df ? -q.size : q.size;
  if (a32) r[idx] = (r[idx] + step) | 0; else r[idx] = (r[idx] & ~0xffff) | ((r[idx] + step) & 0xffff);
  if (q.rep) {
    const left = a32 ? (r[1] = (r[1] - 1) | 0) : ((r[1] = (r[1] & ~0xffff) | ((r[1] - 1) & 0xffff)) & 0xffff);
    if (left === 0) skipInstruction(vcpu);
    else repIteration(vcpu);
  } else {
    skipInstruction(vcpu);
  }
  return vmm.checkGuestExit(vcpu);
};
