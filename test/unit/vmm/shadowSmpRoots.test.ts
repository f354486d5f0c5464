// Shadow paging with several vCPUs: a zap of every shadow page (a paging-mode change on one vCPU,
// KVM's kvm_mmu_reset_context -> zap all) must not leave another vCPU on freed tables. Regression:
// teachos under `--mmu shadow --smp 2` stopped with "internal error ... reading 'children'" when an
// AP turned paging on while the BSP was running: the BSP's roots were dropped and never reloaded.
// KVM answers with KVM_REQ_MMU_RELOAD: the other vCPUs are kicked out of the guest and load new
// roots before their next entry.
import { strict as assert } from 'node:assert';
import { Vmm } from '../../../src/core/vmm/vmm';
import type { VCpu } from '../../../src/core/vmm/vcpu';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { EXIT_HANDLERS } from '../../../src/core/vmm/exitHandlers';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';

const BOOT = { eip: 0x1000, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: 0, gdtLimit: 0 };
const PD = 0x10000, PT = 0x11000;

function pfExit(vmm: Vmm, vcpu: VCpu, gva: number, err: number): void {
  const v = vcpu.vmcs;
  v.write(VMCS.VM_EXIT_REASON, ExitReason.EXCEPTION_NMI);
  v.write(VMCS.VM_EXIT_INTR_INFO, (0x80000000 | (3 << 8) | (1 << 11) | 14) >>> 0);
  v.write(VMCS.VM_EXIT_INTR_ERROR_CODE, err);
  v.write(VMCS.EXIT_QUALIFICATION, gva);
  v.write(VMCS.IDT_VECTORING_INFO_FIELD, 0);
  assert.equal(EXIT_HANDLERS[ExitReason.EXCEPTION_NMI]!(vmm, vcpu), undefined);
}

/** The host-physical frame the vCPU's shadow tables (GUEST_CR3) map `gva` to, or 0. */
function spteFor(vmm: Vmm, vcpu: VCpu, gva: number): number {
  const root = vcpu.vmcs.read(VMCS.GUEST_CR3);
  const pde = vmm.host.read32((root + (gva >>> 22) * 4) as never);
  if (!(pde & 1)) return 0;
  return vmm.host.read32(((pde & ~0xfff) + ((gva >>> 12) & 1023) * 4) as never) >>> 0;
}

describe('shadow MMU with two vCPUs', () => {
  it('a zap-all caused by one vCPU leaves the other with live roots: its next #PF exit is handled and maps the page', () => {
    const vmm = new Vmm({ memMiB: 8, smp: 2, mmu: 'shadow' });
    const [bsp, ap] = vmm.vcpus;
    vmm.setupVcpu(bsp, BOOT);
    vmm.setupVcpu(ap, BOOT);
    const mem = vmm.memory, host = vmm.host, shadow = vmm.shadow!;
    for (let i = 0; i < 1024; i++) host.write32(mem.gpaToHpa(PT + 4 * i) as never, ((i << 12) | 7) >>> 0);
    host.write32(mem.gpaToHpa(PD) as never, PT | 7);
    for (const v of [bsp, ap]) v.vmcs.write(VMCS.CR0_READ_SHADOW, 0x80010031); // the guest's CR0: PG, WP, PE

    assert.ok(shadow.setCr3(bsp, PD));
    shadow.resetContext(bsp);
    pfExit(vmm, bsp, 0x5010, 0);
    assert.equal(spteFor(vmm, bsp, 0x5000) & ~0xfff, mem.gpaToHpa(0x5000), 'BSP: shadow entry built');

    // The AP changes its paging mode: every shadow page is zapped, the BSP's root page included.
    assert.ok(shadow.setCr3(ap, PD));
    shadow.resetContext(ap);

    // Before the BSP enters the guest again it reloads its roots; a #PF exit taken meanwhile works too.
    pfExit(vmm, bsp, 0x6010, 2);
    assert.equal(spteFor(vmm, bsp, 0x6000) & ~0xfff, mem.gpaToHpa(0x6000), 'BSP: #PF after the AP zapped everything is handled on new roots');
    shadow.reloadRootsIfDropped(bsp);
    assert.notEqual(spteFor(vmm, bsp, 0x6000), 0);
    assert.equal(spteFor(vmm, ap, 0x6000) & 1, 1, 'the AP shares the rebuilt shadow for the same CR3 and mode');
  });
});
