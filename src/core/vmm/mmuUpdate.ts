// HC_MMU_UPDATE (hypercall 3): a paravirtual page-table update, after Xen's mmu_update. The guest
// hands the VMM a batch of (guest-physical address of a 32-bit page-table entry, new value) pairs:
//   EBX = guest-virtual address of the request list (8-byte entries: u32 pte_gpa, u32 value)
//   ECX = number of requests (at most MMU_UPDATE_MAX)
//   result: EAX = ECX when all were applied; else EAX = -KVM_EFAULT (-14: the list is not mapped) or
//   -KVM_EINVAL (-22: too many requests, or entry EDX has a misaligned or unbacked address; the
//   entries before it were applied).
// The VMM validates each request and writes the entry itself. Under shadow paging it updates the
// shadow entries made from it at once (ShadowMmu.guestWritten, KVM's kvm_mmu_pte_write), so the
// guest pays one VMCALL exit per batch instead of a write-protection #PF exit (and an emulated write,
// or an unsync and a later resync) per entry. Under EPT the guest's tables are ordinary memory and
// the call is only a batched write. Either way the TLB stays the guest's business: as after its own
// writes, it must INVLPG or reload CR3 (SDM 4.10.4), which keeps the call's meaning the same in every mode.
import type { VCpu } from './vcpu';
import type { Vmm } from './vmm';
import { gvaToGpa } from './guestVirt';

export const MMU_UPDATE_MAX = 512, KVM_EFAULT = 14, KVM_EINVAL = 22;

export function hcMmuUpdate(vmm: Vmm, vcpu: VCpu): void {
  const r = vcpu.regs;
  const list = r[3] >>> 0, count = r[1] >>> 0;
  if (count > MMU_UPDATE_MAX) { r[0] = -KVM_EINVAL; r[2] = 0; return; }
  const paging = vmm.guestPaging(vcpu), mem = vmm.memory;
  const readGva = (gva: number): number | undefined => {
    const gpa = gvaToGpa(mem, paging, gva >>> 0);
    return gpa < 0 || (gpa & 3) ? undefined : mem.read32(gpa);
  };
  for (let k = 0; k < count; k++) {
    const pteGpa = readGva(list + 8 * k), val = readGva(list + 8 * k + 4);
    if (pteGpa === undefined || val === undefined) { r[0] = -KVM_EFAULT; r[2] = k; return; }
    const at = pteGpa >>> 0;
    if ((at & 3) || mem.gpaToHpa(at & ~0xfff) === -1) { r[0] = -KVM_EINVAL; r[2] = k; return; }
    vmm.host.write32(mem.gpaToHpa(at) as never, val);
    if (vmm.shadow) vmm.shadow.guestWritten(vcpu, at, 4, true);
  }
  r[0] = count | 0;
  r[2] = count | 0;
}
