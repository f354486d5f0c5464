// Small exit handlers: HLT (12), VMCALL (18), triple fault (2), exception or NMI (0), MSR access (31/32),
// CR access (28), EPT violation (48) and misconfiguration (49).
import type { ExitHandler } from '../exitHandler';
import { queueException, skipInstruction } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { decodeCrAccess, decodeEptViolation } from '../../hw/vmx/exitQualification';
import { CR0_HOST_OWNED, CR4_HOST_OWNED } from '../vmcsSetup';
import { EPT_R, EPT_RWX, EPT_X } from '../ept';
import { dispatchHypercall } from '../hypercalls';
import { emulateMmio } from '../mmioEmulate';
import { isMmioMark, markMmioPage } from '../mmioFastPath';

/** HLT with HLT exiting: the vCPU is halted (GUEST_ACTIVITY_STATE = HLT). Before the next entry
 *  (irqInjection.ts prepareEntry) virtual time skips to the next device deadline that can wake it and
 *  the interrupt is injected; when nothing ever can (IF = 0, or no armed timer and nothing pending) the
 *  VM stops, saying it is idle for good. */
export const handleHlt: ExitHandler = (_vmm, vcpu) => {
  skipInstruction(vcpu);
  vcpu.vmcs.write(VMCS.GUEST_ACTIVITY_STATE, 1);
  return undefined;
};

export const handleVmcall: ExitHandler = (vmm, vcpu) => {
  const stop = dispatchHypercall(vmm, vcpu);
  skipInstruction(vcpu);
  return stop ?? vmm.checkGuestExit(vcpu);
};

export const handleTripleFault: ExitHandler = (_vmm, vcpu) => ({
  kind: 'shutdown', vcpu: vcpu.id,
  text: `triple fault on vCPU${vcpu.id} at EIP 0x${(vcpu.vmcs.read(VMCS.GUEST_RIP) >>> 0).toString(16).padStart(8, '0')}: VM shut down (GUEST_ACTIVITY_STATE = shutdown)`,
});

/** Exception bitmap exits exist so the debugger can stop on guest exceptions: re-inject the event unchanged. */
export const handleException: ExitHandler = (_vmm, vcpu) => {
  const v = vcpu.vmcs;
  const info = v.read(VMCS.VM_EXIT_INTR_INFO);
  const vector = info & 0xff;
  if (vector === 14) vcpu.cpu.cr2 = v.read(VMCS.EXIT_QUALIFICATION) | 0;
  const type = (info >> 8) & 7;
  v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, info & 0x80000fff);
  if (info & (1 << 11)) v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, v.read(VMCS.VM_EXIT_INTR_ERROR_CODE));
  if (type === 4 || type === 5 || type === 6) v.write(VMCS.VM_ENTRY_INSTRUCTION_LEN, v.read(VMCS.VM_EXIT_INSTRUCTION_LEN));
  vcpu.injected++;
  return undefined;
};

/** RDMSR/WRMSR (31/32): the virtual CPU's MSRs; an absent MSR gets #GP(0), as hardware gives. */
export const handleMsr: ExitHandler = (vmm, vcpu) => {
  const write = (vcpu.vmcs.read(VMCS.VM_EXIT_REASON) & 0xffff) === 32;
  const ok = write ? vmm.msrs.write(vcpu, vcpu.regs[1] >>> 0, vcpu.regs[0], vcpu.regs[2]) : vmm.msrs.read(vcpu, vcpu.regs[1] >>> 0);
  if (!ok) { queueException(vcpu, 13, 0); return undefined; }
  skipInstruction(vcpu);
  return undefined;
};

/** MOV to CR0/CR4 touching host-owned bits (NE, VMXE): keep the guest's view in the read shadow. */
export const handleCrAccess: ExitHandler = (vmm, vcpu) => {
  const v = vcpu.vmcs;
  const q = decodeCrAccess(v.read(VMCS.EXIT_QUALIFICATION));
  if (q.accessType !== 0 || (q.cr !== 0 && q.cr !== 4)) {
    return { kind: 'error', vcpu: vcpu.id, text: `CR access exit (cr${q.cr}, type ${q.accessType}) not handled yet by this VMM (issue 4: shadow paging)` };
  }
  const val = q.gpr === 4 ? v.read(VMCS.GUEST_RSP) : vcpu.regs[q.gpr];
  const oldCr0 = v.read(VMCS.GUEST_CR0), oldCr4 = v.read(VMCS.GUEST_CR4);
  const oldShadow0 = v.read(VMCS.CR0_READ_SHADOW), oldShadow4 = v.read(VMCS.CR4_READ_SHADOW);
  if (q.cr === 0) {
    if ((val & 0x80000000) && !(val & 1)) { queueException(vcpu, 13, 0); return undefined; }
    v.write(VMCS.GUEST_CR0, (val | CR0_HOST_OWNED | 0x10) >>> 0);
    v.write(VMCS.CR0_READ_SHADOW, val & CR0_HOST_OWNED);
  } else {
    // CR4 bits the virtual CPU lacks are reserved: VMXE (CPUID.1:ECX.VMX = 0, no nested VMX; KVM's
    // kvm_is_valid_cr4) and everything above the P6 set (OSXSAVE: CPUID.1:ECX.XSAVE = 0). #GP(0).
    if (val & ~0x7ff) { queueException(vcpu, 13, 0); return undefined; }
    v.write(VMCS.GUEST_CR4, (val | CR4_HOST_OWNED) >>> 0);
    v.write(VMCS.CR4_READ_SHADOW, val & CR4_HOST_OWNED);
  }
  // PAE paging under EPT: VM entry takes the PDPTEs from GUEST_PDPTEn (SDM 26.3.2.4), so load them
  // from guest memory as the MOV would have (SDM 4.4.1; KVM's load_pdptrs), #GP on a reserved bit.
  if ((v.read(VMCS.GUEST_CR0) & 0x80000000) && (v.read(VMCS.GUEST_CR4) & 0x20)) {
    const base = v.read(VMCS.GUEST_CR3) & ~0x1f;
    for (let k = 0; k < 8; k += 2) {
      const lo = vmm.memory.read32(base + 4 * k) ?? 0, hi = vmm.memory.read32(base + 4 * k + 4) ?? 0;
      if ((lo & 1) && ((lo & 0x1e6) || hi)) {
        v.write(VMCS.GUEST_CR0, oldCr0); v.write(VMCS.GUEST_CR4, oldCr4);
        v.write(VMCS.CR0_READ_SHADOW, oldShadow0); v.write(VMCS.CR4_READ_SHADOW, oldShadow4);
        queueException(vcpu, 13, 0);
        return undefined;
      }
      v.write(VMCS.GUEST_PDPTR0 + k, lo >>> 0); v.write(VMCS.GUEST_PDPTR0 + k + 1, hi >>> 0);
    }
  }
  vcpu.cpu.mmu.flushAll();
  skipInstruction(vcpu);
  return undefined;
};

/** EPT violation (48): RAM is mapped on first touch (lazily, as KVM's TDP MMU does). Outside RAM and
 *  devices, reads see all-ones (an empty bus) and writes are dropped. */
export const handleEptViolation: ExitHandler = (vmm, vcpu) => {
  const v = vcpu.vmcs;
  const gpa = v.read(VMCS.GUEST_PHYSICAL_ADDRESS) >>> 0;
  const q = decodeEptViolation(v.read(VMCS.EXIT_QUALIFICATION));
  // Events whose delivery this violation interrupted are re-injected by withIdtVectoring (exitHandlers.ts).
  const hpa = vmm.memory.gpaToHpa(gpa & ~0xfff);
  if (hpa !== -1) { vmm.ept.map(gpa & ~0xfff, hpa, EPT_RWX); vmm.stats.eptMaps++; return undefined; }
  // The local / I/O APIC pages are never mapped: every access exits and is emulated (mmioEmulate.ts).
  const region = vmm.mmio.find(gpa);
  // GUEST_PHYSICAL_ADDRESS holds the byte address of the access (SDM 27.2.1). The page is marked with
  // a misconfigured (write-only) entry so later accesses take the MMIO fast path (handleEptMisconfig).
  if (region && !q.fetch) { markMmioPage(vmm, gpa); return emulateMmio(vmm, vcpu, region, gpa); }
  if (!q.write) { vmm.ept.map(gpa & ~0xfff, vmm.emptyBusPage, EPT_R | EPT_X); return undefined; }
  const len = vmm.instructionLengthAt(vcpu);
  if (len <= 0) return { kind: 'error', vcpu: vcpu.id, text: `EPT violation: write to unbacked guest-physical 0x${gpa.toString(16)} by an undecodable instruction` };
  v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, len);
  skipInstruction(vcpu);
  return undefined;
};

/** EPT misconfiguration (49): the MMIO fast path (mmioFastPath.ts); on any other page, a hypervisor bug. */
export const handleEptMisconfig: ExitHandler = (vmm, vcpu) => {
  const gpa = vcpu.vmcs.read(VMCS.GUEST_PHYSICAL_ADDRESS) >>> 0;
  const region = vmm.mmio.find(gpa);
  if (region && isMmioMark(vmm, gpa)) return emulateMmio(vmm, vcpu, region, gpa);
  return {
    kind: 'error', vcpu: vcpu.id,
    text: `EPT misconfiguration at guest-physical 0x${gpa.toString(16)}: a hypervisor bug; the VM is paused with its state intact`,
  };
};
