// Task switch (exit reason 9; KVM's handle_task_switch -> kvm_task_switch). In VMX non-root operation
// every task switch exits (SDM Vol. 3C 26.1.2): the processor made the gate and privilege checks and
// reports the new TSS selector and the source in the exit qualification (Table 27-2); a switch through
// a task gate in the IDT also reports the event in IDT-vectoring information (27.2.4), which the switch
// consumes (its error code goes on the new task's stack; KVM clears its exception/interrupt queue).
// The switch itself is emulated with the processor's own task-switch code (hw/cpu/taskSwitch.ts) on a
// scratch processor loaded with the guest state (guestScratch.ts), so the guest sees exactly what it
// would see on bare metal; a fault the switch raises is injected into the guest.
import type { ExitHandler } from '../exitHandler';
import { queueException } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { GUEST_FAULT } from '../../hw/cpu/cpuSignals';
import { emulateTaskSwitch, TS_SOURCE_IDT } from '../../hw/cpu/taskSwitch';
import { loadScratch, storeScratch, UnbackedAccess } from '../guestScratch';
import { IntrType, INTR_INFO_VALID } from '../../hw/vmx/exitQualification';

const CR0_TS = 8, CR0_PG = 0x80000000, CR4_PAE = 0x20;

export const handleTaskSwitch: ExitHandler = (vmm, vcpu) => {
  const v = vcpu.vmcs;
  const q = v.read(VMCS.EXIT_QUALIFICATION);
  const sel = q & 0xffff, source = (q >>> 30) & 3;
  const idt = v.read(VMCS.IDT_VECTORING_INFO_FIELD);
  const type = (idt >> 8) & 7;
  const soft = type === IntrType.SOFTWARE_INTERRUPT || type === IntrType.SOFTWARE_EXCEPTION || type === IntrType.PRIVILEGED_SOFTWARE_EXCEPTION;
  // CALL/JMP/IRET and INT n through a task gate retire: the old task resumes after them (KVM skips the
  // instruction first). A hardware event resumes at the interrupted instruction; its EXT bit is 1.
  const retires = source !== TS_SOURCE_IDT || !(idt & INTR_INFO_VALID) || soft;
  const nextEip = retires ? (v.read(VMCS.GUEST_RIP) + v.read(VMCS.VM_EXIT_INSTRUCTION_LEN)) | 0 : v.read(VMCS.GUEST_RIP) | 0;
  const errorCode = source === TS_SOURCE_IDT && (idt & INTR_INFO_VALID) && type === IntrType.HARDWARE_EXCEPTION && (idt & (1 << 11))
    ? v.read(VMCS.IDT_VECTORING_ERROR_CODE) : -1;
  const ext = source === TS_SOURCE_IDT && (idt & INTR_INFO_VALID) && !soft ? 1 : 0;
  const c = loadScratch(vmm, vcpu);
  const oldCr3 = c.cr3;
  let fault = false;
  try {
    emulateTaskSwitch(c, sel, source, nextEip, errorCode, ext);
  } catch (e) {
    if (e instanceof UnbackedAccess) return { kind: 'error', vcpu: vcpu.id, text: `task switch to TSS 0x${sel.toString(16)}: ${e.message}; the VM is paused` };
    if (e !== GUEST_FAULT) throw e;
    fault = true;
  }
  storeScratch(vcpu, c, CR0_TS);
  if (c.cr3 !== oldCr3) {
    if (vmm.shadow) {
      if (!vmm.shadow.setCr3(vcpu, c.cr3 >>> 0)) { queueException(vcpu, 13, 0); return undefined; }
    } else {
      v.write(VMCS.GUEST_CR3, c.cr3 >>> 0);
      // PAE paging under EPT: VM entry loads the PDPTEs from the VMCS (SDM 26.3.2.4).
      if ((c.cr0 & CR0_PG) && (c.cr4 & CR4_PAE)) for (let k = 0; k < 8; k++) v.write(VMCS.GUEST_PDPTR0 + k, c.mmu.pdpte[k] >>> 0);
    }
  }
  if (fault) {
    if (c.excVector === 14) vcpu.cpu.cr2 = c.pfAddress;
    queueException(vcpu, c.excVector, c.excHasError ? c.excError : -1);
    return undefined;
  }
  if (retires) vcpu.cpu.icount++;
  return undefined;
};
