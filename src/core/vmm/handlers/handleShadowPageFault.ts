// #PF exits under shadow paging (exit reason 0, EXCEPTION_NMI, vector 14; KVM's handle_exception_nmi
// -> kvm_mmu_page_fault): the exit qualification is the faulting linear address, the exit
// interruption error code the processor's #PF error code against the shadow tables (SDM 27.2.2).
// The shadow MMU decides whether the guest's own tables allow the access (then it builds the shadow
// entries, or emulates a write to a protected guest page table) or not (then the guest gets its #PF,
// with the error code its own tables give and CR2 = the address). Any other exception exit, and every
// exception exit under EPT, goes to the plain exception handler.
import type { ExitHandler } from '../exitHandler';
import { skipInstruction } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import type { Vmm } from '../vmm';
import type { VCpu } from '../vcpu';
import type { StopEvent } from '../../debug/debugApi';
import { emulateMmio } from '../mmioEmulate';
import { gvaToGpa } from '../guestVirt';

/**
 * The #PF exit happened while an event was being delivered (IDT-vectoring information valid, SDM
 * 27.2.4; KVM's vmx_complete_interrupts / kvm_multiple_exception). The shadow was fixed: deliver the
 * event again. The #PF is the guest's own: the double-fault rules (SDM Vol. 3A Table 6-5) decide.
 */
function completeVectoring(vmm: Vmm, vcpu: VCpu, info: number, guestPf: boolean): StopEvent | undefined {
  const v = vcpu.vmcs;
  const vector = info & 0xff, type = (info >> 8) & 7;
  if (guestPf) return mergeNested(vcpu, info, 14);
  v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (info & 0x80000fff) >>> 0);
  if (vector === 14 && type === 3) vmm.shadow!.loadCr2(vcpu);
  if (info & (1 << 11)) v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, v.read(VMCS.IDT_VECTORING_ERROR_CODE));
  if (type === 4 || type === 5 || type === 6) v.write(VMCS.VM_ENTRY_INSTRUCTION_LEN, vmm.instructionLengthAt(vcpu));
  return undefined;
}

const contributory = (v: number): boolean => v === 0 || (v >= 10 && v <= 13);

/**
 * An exception (`nested`, already queued for injection) arose while delivering the event in IDT-vectoring
 * information `info`: SDM Vol. 3A Table 6-5 (KVM's kvm_multiple_exception). Contributory then
 * contributory, or #PF then contributory / #PF, become #DF(0); anything while delivering #DF shuts the
 * VM down; other pairs are handled serially (the nested exception is delivered).
 */
function mergeNested(vcpu: VCpu, info: number, nested: number): StopEvent | undefined {
  const first = info & 0xff;
  if (((info >> 8) & 7) !== 3) return undefined; // an interrupt or software event being delivered
  if (first === 8) return { kind: 'shutdown', vcpu: vcpu.id, text: `triple fault on vCPU${vcpu.id}: exception ${nested} while delivering #DF: VM shut down` };
  if ((contributory(first) && contributory(nested)) || (first === 14 && (nested === 14 || contributory(nested)))) {
    vcpu.vmcs.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (8 | (3 << 8) | (1 << 11) | 0x80000000) >>> 0);
    vcpu.vmcs.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
  }
  return undefined;
}

/** WRMSR under shadow paging: after the MSR handler, a change of IA32_EFER.NXE resets the shadows. */
export function withShadowEfer(plain: ExitHandler): ExitHandler {
  return (vmm, vcpu) => {
    const stop = plain(vmm, vcpu);
    if (vmm.shadow && (vcpu.regs[1] >>> 0) === 0xc0000080) vmm.shadow.eferWritten(vcpu);
    return stop;
  };
}

export function withShadowPageFaults(plain: ExitHandler): ExitHandler {
  return (vmm, vcpu) => {
    const shadow = vmm.shadow;
    const v = vcpu.vmcs;
    const info = v.read(VMCS.VM_EXIT_INTR_INFO);
    if (!shadow || (info & 0xff) !== 14 || ((info >> 8) & 7) !== 3) {
      // The plain handler re-injects the exception; if it arose while delivering another event
      // (the exception bitmap applies to nested exceptions), the double-fault rules decide.
      const stop = plain(vmm, vcpu);
      const vectoring = v.read(VMCS.IDT_VECTORING_INFO_FIELD);
      if (stop || !(vectoring & 0x80000000) || ((info >> 8) & 7) !== 3) return stop;
      return mergeNested(vcpu, vectoring, info & 0xff);
    }
    const gva = v.read(VMCS.EXIT_QUALIFICATION) >>> 0;
    const vectoring = v.read(VMCS.IDT_VECTORING_INFO_FIELD);
    const out = shadow.pageFault(vcpu, gva, v.read(VMCS.VM_EXIT_INTR_ERROR_CODE), (vectoring & 0x80000000) !== 0);
    if (vectoring & 0x80000000) {
      const stop = completeVectoring(vmm, vcpu, vectoring, out === 'reflected');
      if (stop) return stop;
    }
    if (out === 'mmio-write') {
      // The local / I/O APIC pages (reads and writes; shadowMmu.isMmio) are emulated.
      const gpa = gvaToGpa(vmm.memory, vmm.guestPaging(vcpu), gva);
      const region = gpa < 0 ? undefined : vmm.mmio.find(gpa);
      if (region) return emulateMmio(vmm, vcpu, region, gpa);
      // A write to unbacked guest-physical memory is dropped, as under EPT: skip the instruction.
      const len = vmm.instructionLengthAt(vcpu);
      if (len <= 0) return { kind: 'error', vcpu: vcpu.id, text: `shadow #PF: write to unbacked memory at 0x${gva.toString(16)} by an undecodable instruction` };
      v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, len);
      skipInstruction(vcpu);
      return undefined;
    }
    if (out === 'error') return { kind: 'error', vcpu: vcpu.id, text: `shadow MMU: ${shadow.lastError}. The VM is paused with its state intact.` };
    if (out === 'emulated') return vmm.checkGuestExit(vcpu);
    return undefined;
  };
}
