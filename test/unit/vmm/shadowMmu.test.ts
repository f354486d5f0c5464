// The shadow MMU's behaviour, step by step (issue 4; KVM's shadow paging, mmu.rst): shadow entries
// built on #PF exits from the guest's tables with A/D propagated back, guest page-table pages
// write-protected, lazy sync (unsync pages synced on INVLPG / CR3 load) vs eager sync (the write is
// emulated and the shadow updated at once), genuine guest faults reflected with the right error code
// and CR2, the CR3 the guest sees, and the options that select it all.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vmm } from '../../../src/core/vmm/vmm';
import type { VCpu } from '../../../src/core/vmm/vcpu';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { Vm, VmOptionError, validateOptions } from '../../../src/core/machine/vm';
import { EXIT_HANDLERS } from '../../../src/core/vmm/exitHandlers';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';
import type { ShadowSync } from '../../../src/core/vmm/shadow/shadowMmu';

const BOOT = { eip: 0x1000, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: 0, gdtLimit: 0 };
const PD = 0x10000, PT = 0x11000;

/** A guest with paging on: PD at 0x10000, one page table at 0x11000 mapping 0-4 MiB 1:1 (A = D = 0). */
function guest(policy: ShadowSync): { vmm: Vmm; vcpu: VCpu; pte: (i: number) => number; setPte: (i: number, v: number) => void; spteFor: (gva: number) => number } {
  const vmm = new Vmm({ memMiB: 8, smp: 1, mmu: 'shadow', shadowSync: policy });
  const vcpu = vmm.vcpus[0];
  vmm.setupVcpu(vcpu, BOOT);
  const mem = vmm.memory, host = vmm.host;
  const setPte = (i: number, v: number): void => host.write32(mem.gpaToHpa(PT + 4 * i) as never, v >>> 0);
  for (let i = 0; i < 1024; i++) setPte(i, (i << 12) | 7);
  host.write32(mem.gpaToHpa(PD) as never, PT | 7);
  host.u8.set([0x89, 0x18, 0xf4], mem.gpaToHpa(0x1000) as number); // mov [eax], ebx; hlt
  const v = vcpu.vmcs;
  v.write(VMCS.CR0_READ_SHADOW, 0x80010031);
  assert.ok(vmm.shadow!.setCr3(vcpu, PD));
  vmm.shadow!.resetContext(vcpu);
  const spteFor = (gva: number): number => {
    const root = v.read(VMCS.GUEST_CR3);
    const pde = host.read32((root + (gva >>> 22) * 4) as never);
    if (!(pde & 1)) return 0;
    return host.read32(((pde & ~0xfff) + ((gva >>> 12) & 1023) * 4) as never) >>> 0;
  };
  return { vmm, vcpu, pte: (i) => mem.read32(PT + 4 * i)! >>> 0, setPte, spteFor };
}

/** Take a #PF exit as the hardware reports it and run the exit handler. */
function pfExit(vmm: Vmm, vcpu: VCpu, gva: number, err: number): void {
  const v = vcpu.vmcs;
  v.write(VMCS.VM_EXIT_REASON, ExitReason.EXCEPTION_NMI);
  v.write(VMCS.VM_EXIT_INTR_INFO, (0x80000000 | (3 << 8) | (1 << 11) | 14) >>> 0);
  v.write(VMCS.VM_EXIT_INTR_ERROR_CODE, err);
  v.write(VMCS.EXIT_QUALIFICATION, gva);
  v.write(VMCS.IDT_VECTORING_INFO_FIELD, 0);
  assert.equal(EXIT_HANDLERS[ExitReason.EXCEPTION_NMI]!(vmm, vcpu), undefined);
}

describe('shadow MMU', () => {
  it('builds shadow entries on #PF, setting A on a read and D on the first write (A/D propagation)', () => {
    const { vmm, vcpu, pte, spteFor } = guest('lazy');
    const host = vmm.host, slot = vmm.memory.slots[0];
    assert.equal(spteFor(0x5000), 0);
    pfExit(vmm, vcpu, 0x5010, 0); // supervisor read, not present in the shadow
    assert.equal(pte(5) & 0x60, 0x20, 'A set in the guest PTE, D not');
    assert.equal(spteFor(0x5000) & ~0xfff, slot.hpaStart + 0x5000, 'the spte maps the memslot page');
    assert.equal(spteFor(0x5000) & 2, 0, 'read-only until the guest entry is dirty');
    assert.ok(host.read32((vcpu.vmcs.read(VMCS.GUEST_CR3)) as never) & 1, 'the shadow PD links the shadow PT');
    pfExit(vmm, vcpu, 0x5010, 3); // supervisor write to the present read-only spte
    assert.equal(pte(5) & 0x60, 0x60, 'D set in the guest PTE');
    assert.equal(spteFor(0x5000) & 2, 2, 'writable now');
    assert.equal(vmm.shadow!.stats.shadowPageFaults, 2);
    assert.equal(vcpu.vmcs.read(VMCS.VM_ENTRY_INTR_INFO_FIELD) & 0x80000000, 0, 'nothing injected');
  });

  it('write-protects the guest page-table pages it shadows', () => {
    const { vmm, vcpu, spteFor } = guest('lazy');
    pfExit(vmm, vcpu, PT + 8, 0); // the guest reads its own page table through the identity map
    assert.ok(spteFor(PT) & 1);
    assert.equal(spteFor(PT) & 2, 0);
    assert.ok(vmm.shadow!.stats.pagesWriteProtected >= 2, 'PD and PT');
  });

  it('lazy: a write to a page table makes it unsync; the stale entry is synced on INVLPG and on CR3 load', () => {
    const { vmm, vcpu, spteFor, setPte } = guest('lazy');
    const slot = vmm.memory.slots[0];
    pfExit(vmm, vcpu, 0x6000, 0);
    assert.equal(spteFor(0x6000) & ~0xfff, slot.hpaStart + 0x6000);
    pfExit(vmm, vcpu, PT + 4 * 6, 3); // write to the protected page table: it goes unsync, no emulation
    assert.equal(vmm.shadow!.stats.unsyncs, 1);
    assert.equal(vmm.shadow!.stats.writesEmulated, 0);
    assert.equal(spteFor(PT) & 2, 2, 'the page table is writable while unsync');
    setPte(6, 0x7000 | 0x27); // the guest remaps 0x6000 without a fault
    assert.equal(spteFor(0x6000) & ~0xfff, slot.hpaStart + 0x6000, 'stale until a sync point');
    vmm.shadow!.invlpg(vcpu, 0x6000);
    assert.equal(spteFor(0x6000) & ~0xfff, slot.hpaStart + 0x7000, 'INVLPG synced the entry');
    setPte(6, 0x8000 | 0x27);
    assert.ok(vmm.shadow!.setCr3(vcpu, PD));
    assert.equal(spteFor(0x6000) & ~0xfff, slot.hpaStart + 0x8000, 'the CR3 load synced the page');
    assert.equal(spteFor(PT) & 2, 0, 'and write-protected it again');
    assert.ok(vmm.shadow!.stats.syncs >= 2);
    assert.ok(vmm.shadow!.stats.rootCacheHits >= 1, 'the root for the same CR3 came from the cache');
  });

  it('eager: the write to a page table is emulated and the shadow entry updated at once', () => {
    const { vmm, vcpu, spteFor, pte } = guest('eager');
    const slot = vmm.memory.slots[0];
    pfExit(vmm, vcpu, 0x6000, 0);
    const v = vcpu.vmcs;
    v.write(VMCS.GUEST_RIP, 0x1000);
    vcpu.regs[0] = PT + 4 * 6; vcpu.regs[3] = 0x9000 | 0x27; // mov [eax], ebx writes PTE 6
    const before = vcpu.cpu.icount;
    pfExit(vmm, vcpu, PT + 4 * 6, 3);
    assert.equal(pte(6), 0x9027, 'the guest PTE was written');
    assert.equal(spteFor(0x6000) & ~0xfff, slot.hpaStart + 0x9000, 'its spte follows at once');
    assert.equal(spteFor(PT) & 2, 0, 'the page table stays write-protected');
    assert.equal(v.read(VMCS.GUEST_RIP), 0x1002, 'the instruction retired');
    assert.equal(vcpu.cpu.icount, before + 1);
    assert.equal(vmm.shadow!.stats.writesEmulated, 1);
    assert.equal(vmm.shadow!.stats.unsyncs, 0);
  });

  it('eager: a write it cannot emulate (INSB needs an I/O exit) unprotects the table and lets the guest write it', () => {
    const { vmm, vcpu, spteFor } = guest('eager');
    // A second page table (PT2 at 0x12000, PDE 1: 4-8 MiB), itself reached through the first one.
    const PT2 = 0x12000;
    for (let i = 0; i < 1024; i++) vmm.host.write32(vmm.memory.gpaToHpa(PT2 + 4 * i) as never, ((1024 + i) << 12) | 7);
    vmm.host.write32(vmm.memory.gpaToHpa(PD + 4) as never, PT2 | 7);
    pfExit(vmm, vcpu, 0x400000, 0); // shadows PT2: write-protected
    pfExit(vmm, vcpu, PT2, 0);
    assert.equal(spteFor(PT2) & 2, 0);
    const protectedBefore = vmm.shadow!.stats.protectedNow;
    vmm.host.u8.set([0x6c], vmm.memory.gpaToHpa(0x1000) as number); // insb: [edi] <- port dx
    vcpu.vmcs.write(VMCS.GUEST_RIP, 0x1000);
    vcpu.regs[7] = PT2 + 4 * 6; vcpu.regs[2] = 0x80;
    pfExit(vmm, vcpu, PT2 + 4 * 6, 3);
    assert.equal(vmm.shadow!.stats.writesEmulated, 0);
    assert.equal(vcpu.vmcs.read(VMCS.GUEST_RIP), 0x1000, 'the guest re-executes the instruction itself');
    assert.equal(spteFor(PT2) & 2, 2, 'the page table is no longer write-protected');
    assert.equal(vmm.shadow!.stats.protectedNow, protectedBefore - 1);
  });

  it('a debugger write to a shadowed page table updates the shadow entry', () => {
    const { vmm, vcpu, spteFor, setPte } = guest('eager');
    const slot = vmm.memory.slots[0];
    pfExit(vmm, vcpu, 0x6000, 0);
    setPte(6, 0xb000 | 0x27);
    vmm.shadow!.guestWritten(vcpu, PT + 4 * 6, 4);
    assert.equal(spteFor(0x6000) & ~0xfff, slot.hpaStart + 0xb000);
  });

  it('reflects genuine guest faults with the guest\'s error code and CR2', () => {
    const { vmm, vcpu, setPte } = guest('lazy');
    setPte(9, 0); // not present
    pfExit(vmm, vcpu, 0x9abc, 2 | 4);
    assert.equal(vcpu.vmcs.read(VMCS.VM_ENTRY_INTR_INFO_FIELD), (0x80000000 | (3 << 8) | (1 << 11) | 14) >>> 0);
    assert.equal(vcpu.vmcs.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE), 6);
    assert.equal(vcpu.cpu.cr2 >>> 0, 0x9abc);
    setPte(10, 0xa000 | 0x25); // present, read-only, user
    pfExit(vmm, vcpu, 0xa000, 2 | 4); // user write: a protection violation
    assert.equal(vcpu.vmcs.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE), 7);
    assert.equal(vmm.shadow!.stats.guestPageFaults, 2);
  });

  it('the Vm shows the guest its own CR3 and CR0 while the processor runs the shadow root', () => {
    const manifest = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8')) as { name: string; path: string }[];
    let out = '';
    const vm = Vm.fromImage(fs.readFileSync(manifest.find((f) => f.name === 'demo')!.path), 'demo', { mmu: 'shadow', shadowSync: 'eager' }, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
    for (let k = 0; k < 100 && !vm.ended; k++) if (vm.run(1_000_000)) break;
    const printed = Number(/CR3=0x([0-9a-f]+)/.exec(out)![1].replace(/^/, '0x'));
    const regs = vm.registers(0).flatMap((g) => g.fields);
    assert.equal(regs.find((f) => f.name === 'cr3')!.value >>> 0, printed);
    assert.ok(regs.find((f) => f.name === 'cr0')!.value & 0x80000000);
    assert.notEqual(vm.vmm.vcpus[0].vmcs.read(VMCS.GUEST_CR3), printed, 'GUEST_CR3 holds the shadow root');
    const st = vm.vmStats();
    assert.equal(st.mmu, 'shadow-eager');
    assert.ok(st.shadow!.shadowPageFaults > 0 && st.shadow!.rootsCached >= 1);
    assert.equal(st.eptMaps, 0);
  });

  it('launch options: mmu "shadow" with shadowSync lazy (default) or eager; anything else is refused clearly', () => {
    assert.equal(validateOptions({ mmu: 'shadow' }).shadowSync, 'lazy');
    assert.equal(validateOptions({ mmu: 'shadow', shadowSync: 'eager' }).shadowSync, 'eager');
    assert.throws(() => validateOptions({ mmu: 'shadow', shadowSync: 'sometimes' as never }), (e: Error) => e instanceof VmOptionError && /shadowSync must be "lazy" or "eager"/.test(e.message));
  });
});
