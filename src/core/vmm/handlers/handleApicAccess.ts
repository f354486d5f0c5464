// APIC access (exit reason 44) with "virtualize APIC accesses" (optional: `--vmx-exits apic`, EPT only;
// ADR 0015). The VMM maps the guest-physical local APIC page (0xFEE00000) in the EPT to a private
// APIC-access page and names it in APIC_ACCESS_ADDR; the processor then turns every linear access that
// reaches the page into this exit, with the register offset and the access type in the qualification
// (SDM 29.4.1, Table 28-6), before any memory is touched. The handler emulates the instruction on the
// local APIC model exactly as the EPT-violation path does (mmioEmulate.ts); KVM without APICv does the
// same in handle_apic_access. Fetches and accesses during event delivery are not emulated: the VM stops
// with the reason (a guest executing its APIC page, or an IDT/stack on it).
import type { ExitHandler } from '../exitHandler';
import type { Vmm } from '../vmm';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { emulateMmio } from '../mmioEmulate';
import { EPT_RWX } from '../ept';
import { LAPIC_BASE } from '../../devices/apicAddresses';

/** Allocate the APIC-access page and map the guest's local APIC page to it (KVM's APIC_ACCESS_PAGE_PRIVATE_MEMSLOT). */
export function mapApicAccessPage(vmm: Vmm): number {
  const page = vmm.host.allocPages(1) as number;
  vmm.ept.map(LAPIC_BASE, page, EPT_RWX);
  return page;
}

export const handleApicAccess: ExitHandler = (vmm, vcpu) => {
  const q = vcpu.vmcs.read(VMCS.EXIT_QUALIFICATION);
  const offset = q & 0xfff, type = (q >>> 12) & 15;
  const gpa = (LAPIC_BASE + offset) >>> 0;
  const region = vmm.mmio.find(gpa);
  if (!region || type > 1) {
    return { kind: 'error', vcpu: vcpu.id, text: `APIC access at offset 0x${offset.toString(16)} (access type ${type}) is not a data read or write the VMM emulates; the VM is paused` };
  }
  return emulateMmio(vmm, vcpu, region, gpa);
};
