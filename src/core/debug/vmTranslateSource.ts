// The inputs of a side-effect-free translation (translate.ts) for one vCPU of a VM: the paging
// registers as the hardware uses them (live in the CPU while in the guest, else the VMCS guest
// state), the EPTP when "enable EPT" is set, host memory and the memslots.
import type { Vmm } from '../vmm/vmm';
import { VMCS } from '../hw/vmx/vmcsFields';
import type { Hpa } from '../types';
import type { TranslateSource } from './translate';

const ENABLE_EPT = 1 << 1;

export function translateSourceOf(vmm: Vmm, vcpu: number): TranslateSource {
  const v = vmm.vcpus[vcpu];
  if (!v) throw new RangeError(`no vCPU ${vcpu}`);
  const m = v.vmcs;
  const c = v.cpu;
  const eptOn = (m.read(VMCS.SECONDARY_VM_EXEC_CONTROL) & ENABLE_EPT) !== 0;
  const pae = ((v.inGuest ? c.cr4 : m.read(VMCS.GUEST_CR4)) & 0x20) !== 0;
  let pdpte: ArrayLike<number> | undefined;
  if (pae && v.inGuest) pdpte = Array.from(c.mmu.pdpte);
  else if (pae && eptOn) pdpte = [0, 1, 2, 3].flatMap((k) => [m.read(VMCS.GUEST_PDPTR0 + 2 * k), m.read(VMCS.GUEST_PDPTR0 + 2 * k + 1)]);
  const host = vmm.host;
  const hostRead32 = (a: number): number | undefined => (a >= 0 && host.contains(a, 4) ? host.read32(a as Hpa) >>> 0 : undefined);
  const memslotHpa = (gpa: number): number => vmm.memory.gpaToHpa(gpa);
  if (vmm.shadow) {
    // Shadow paging: the guest's view for the guest walk, the processor's registers for the shadow walk.
    const g = vmm.guestPaging(v);
    const efer = m.read(VMCS.GUEST_IA32_EFER);
    return {
      paging: { cr0: g.cr0, cr3: g.cr3, cr4: g.cr4, efer, pdpte: g.pdpte ? Array.from(g.pdpte) : undefined },
      eptp: null, hostRead32, memslotHpa,
      shadow: v.inGuest
        ? { cr0: c.cr0, cr3: c.cr3, cr4: c.cr4, efer: c.efer }
        : { cr0: m.read(VMCS.GUEST_CR0), cr3: m.read(VMCS.GUEST_CR3), cr4: m.read(VMCS.GUEST_CR4), efer },
    };
  }
  return {
    paging: v.inGuest
      ? { cr0: c.cr0, cr3: c.cr3, cr4: c.cr4, efer: c.efer, pdpte }
      : { cr0: m.read(VMCS.GUEST_CR0), cr3: m.read(VMCS.GUEST_CR3), cr4: m.read(VMCS.GUEST_CR4), efer: c.efer, pdpte },
    eptp: eptOn ? m.read(VMCS.EPT_POINTER) : null,
    hostRead32, memslotHpa,
  };
}
