// I/O breakpoints of an I/O instruction the VMM emulated (exit reason 30). The processor exits before
// the instruction executes, so the debug trap it would raise afterwards (DR7 R/W = 10b with CR4.DE,
// SDM Vol. 3B 17.2.4) is the VMM's to raise, as KVM does for instructions it emulates
// (kvm_vcpu_check_hw_bp / kvm_queue_exception(DB)): once the instruction completed (RIP advanced), a
// breakpoint whose range covers the port sets DR6.Bn and a #DB is injected (a trap: the guest's handler
// sees the next instruction). The guest's DR7 is in the VMCS ("save debug controls"); DR6 stays in the
// processor across VM entries and exits.
import type { ExitHandler } from '../exitHandler';
import { queueException } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { decodeIoQualification, INTR_INFO_VALID } from '../../hw/vmx/exitQualification';
import { DR6_FIXED1 } from '../../hw/cpu/debugExceptions';

const CR4_DE = 8;
const LEN = [1, 2, 8, 4];

export function withIoBreakpoints(handler: ExitHandler): ExitHandler {
  return (vmm, vcpu) => {
    const v = vcpu.vmcs;
    const rip = v.read(VMCS.GUEST_RIP);
    const stop = handler(vmm, vcpu);
    if (stop || v.read(VMCS.GUEST_RIP) === rip || (v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID)) return stop;
    if (!(vmm.guestPaging(vcpu).cr4 & CR4_DE)) return undefined;
    const dr7 = v.read(VMCS.GUEST_DR7);
    const q = decodeIoQualification(v.read(VMCS.EXIT_QUALIFICATION));
    let hits = 0;
    for (let n = 0; n < 4; n++) {
      if (((dr7 >> (2 * n)) & 3) === 0 || ((dr7 >>> (16 + 4 * n)) & 3) !== 2) continue;
      const l = LEN[(dr7 >>> (18 + 4 * n)) & 3];
      const a = vcpu.cpu.dr[n] & 0xffff & ~(l - 1);
      if (q.port <= a + l - 1 && a <= q.port + q.size - 1) hits |= 1 << n;
    }
    if (!hits) return undefined;
    vcpu.cpu.dr[6] = (vcpu.cpu.dr[6] & ~0x400f) | hits | DR6_FIXED1;
    queueException(vcpu, 1);
    return undefined;
  };
}
