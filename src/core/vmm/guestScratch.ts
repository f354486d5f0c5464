// A scratch processor for the hypervisor's software emulation of guest operations (KVM's x86 emulator
// reading and writing guest memory with kvm_read_guest_virt / kvm_write_guest_virt): a second hw/cpu
// Cpu in root operation, loaded from the VMCS and the saved GPRs, that walks the guest's own page
// tables (under shadow paging the guest's CR0/CR3/CR4, not the shadow root) and reaches guest-physical
// memory through the memslots, never through EPT or shadow tables. After the operation the caller
// copies the scratch state back into the VMCS (storeScratch). Used by the task-switch handler.
import { Cpu } from '../hw/cpu/cpu';
import type { EptWalker } from '../hw/cpu/mmu';
import { VMCS } from '../hw/vmx/vmcsFields';
import { SS } from '../hw/cpu/regs';
import type { VCpu } from './vcpu';
import type { Vmm } from './vmm';

const SEL = (s: number): number => 0x0800 + 2 * s;
const LIM = (s: number): number => 0x4800 + 2 * s;
const ARF = (s: number): number => 0x4814 + 2 * s;
const BASE = (s: number): number => 0x6806 + 2 * s;

/** Thrown when the emulated operation touches guest-physical memory that no memslot backs. */
export class UnbackedAccess extends Error {}

/** Guest-physical → host-physical through the memslots (the "EPT" of the scratch processor). */
class MemslotWalker implements EptWalker {
  constructor(private readonly vmm: Vmm) {}
  translateGpa(gpa: number): number {
    const h = this.vmm.memory.gpaToHpa(gpa & ~0xfff);
    if (h === -1) throw new UnbackedAccess(`guest-physical 0x${(gpa >>> 0).toString(16)} is not backed by a memslot`);
    return (h | (gpa & 0xfff)) >>> 0;
  }
}

const scratchByVmm = new WeakMap<Vmm, { cpu: Cpu; walker: MemslotWalker }>();

/** The guest's architectural state on a scratch processor, ready for emulation. */
export function loadScratch(vmm: Vmm, vcpu: VCpu): Cpu {
  let s = scratchByVmm.get(vmm);
  if (!s) { s = { cpu: new Cpu(254, vmm.host), walker: new MemslotWalker(vmm) }; scratchByVmm.set(vmm, s); }
  const c = s.cpu, v = vcpu.vmcs;
  c.reg.set(vcpu.regs);
  c.reg[4] = v.read(VMCS.GUEST_RSP) | 0;
  c.eip = v.read(VMCS.GUEST_RIP) | 0;
  c.insnEip = c.eip;
  c.setEflags(v.read(VMCS.GUEST_RFLAGS));
  for (let k = 0; k < 8; k++) c.setSegCache(k, v.read(SEL(k)), v.read(BASE(k)), v.read(LIM(k)), v.read(ARF(k)));
  c.gdtrBase = v.read(VMCS.GUEST_GDTR_BASE) | 0; c.gdtrLimit = v.read(VMCS.GUEST_GDTR_LIMIT);
  c.idtrBase = v.read(VMCS.GUEST_IDTR_BASE) | 0; c.idtrLimit = v.read(VMCS.GUEST_IDTR_LIMIT);
  const paging = vmm.guestPaging(vcpu);
  c.cr0 = paging.cr0 | 0; c.cr3 = paging.cr3 | 0; c.cr4 = paging.cr4 | 0;
  c.efer = v.read(VMCS.GUEST_IA32_EFER) | 0;
  c.cpl = (c.segAr[SS] >> 5) & 3;
  c.activity = 0; c.interruptibility = 0;
  c.dr[7] = 0x400; c.dbgInsnBps = 0; c.dbgDataBps = 0; c.dbgIoBps = 0; c.dbgHits = 0; c.dbgHeld = 0;
  c.nonRoot = false; c.vmx = null; c.ports = null; c.vmxEventAt = Infinity;
  c.mmu.ept = s.walker;
  c.mmu.flushAll();
  // PAE: the PDPTE registers the guest has loaded (the VMCS fields under EPT, the shadow MMU's copy otherwise).
  if (paging.pdpte) for (let k = 0; k < 8; k++) c.mmu.pdpte[k] = paging.pdpte[k] | 0;
  else for (let k = 0; k < 8; k++) c.mmu.pdpte[k] = v.read(VMCS.GUEST_PDPTR0 + k) | 0;
  return c;
}

/**
 * Copy the scratch processor's state back as the guest's: GPRs, RIP, RFLAGS, segments (LDTR and TR
 * included) and CR0. CR3 is the caller's business (EPT: GUEST_CR3; shadow paging: the shadow MMU).
 */
export function storeScratch(vcpu: VCpu, c: Cpu, guestCr0Bits: number): void {
  const v = vcpu.vmcs;
  vcpu.regs.set(c.reg);
  v.write(VMCS.GUEST_RSP, c.reg[4] >>> 0);
  v.write(VMCS.GUEST_RIP, c.eip >>> 0);
  v.write(VMCS.GUEST_RFLAGS, c.getEflags() >>> 0);
  for (let k = 0; k < 8; k++) {
    v.write(SEL(k), c.segSel[k]); v.write(BASE(k), c.segBase[k] >>> 0); v.write(LIM(k), c.segLimit[k] >>> 0); v.write(ARF(k), c.segAr[k] >>> 0);
  }
  // Only the guest-owned CR0 bits the operation may change (TS after a task switch).
  v.write(VMCS.GUEST_CR0, ((v.read(VMCS.GUEST_CR0) & ~guestCr0Bits) | (c.cr0 & guestCr0Bits)) >>> 0);
  v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & ~3);
}
