// VM-exit paths of the hardware model (issue 4): the VM-exit MSR-store and MSR-load areas (SDM 27.4,
// 27.6) with the VMX abort a bad entry causes (28.7), and GUEST_PHYSICAL_ADDRESS holding the full
// byte address of the access on an EPT violation (27.2.1).
import { strict as assert } from 'node:assert';
import { Vmm } from '../../../src/core/vmm/vmm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';
import { vmmFrameView } from '../../../src/core/debug/vmmFrame';

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const BOOT = { eip: 0x1000, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: 0x500, gdtLimit: 0x17 };
const IA32_SYSENTER_ESP = 0x175, IA32_SYSENTER_EIP = 0x176, IA32_EFER = 0xc0000080, IA32_FS_BASE = 0xc0000100;

function guest(code: number[], cfg: Partial<ConstructorParameters<typeof Vmm>[0]> = {}): { vmm: Vmm; exits: { reason: number; gpa: number; gla: number; qual: number }[] } {
  const vmm = new Vmm({ memMiB: 4, smp: 1, ...cfg });
  const vcpu = vmm.vcpus[0];
  vmm.setupVcpu(vcpu, BOOT);
  const w = (gpa: number, bytes: number[]): void => vmm.host.u8.set(bytes, vmm.memory.gpaToHpa(gpa) as number);
  w(0x1000, code);
  w(0x500, [0, 0, 0, 0, 0, 0, 0, 0, ...le(0x0000ffff), ...le(0x00cf9b00), ...le(0x0000ffff), ...le(0x00cf9300)]);
  const exits: { reason: number; gpa: number; gla: number; qual: number }[] = [];
  vmm.exitTrace = (e) => exits.push({ reason: e.reason, gpa: vcpu.vmcs.read(VMCS.GUEST_PHYSICAL_ADDRESS) >>> 0, gla: vcpu.vmcs.read(VMCS.GUEST_LINEAR_ADDRESS) >>> 0, qual: e.qualification });
  return { vmm, exits };
}

/** An MSR area of [index, reserved, lo, hi] entries in a fresh host page; returns its address. */
function area(vmm: Vmm, entries: [number, number, number, number][]): number {
  const at = vmm.host.allocPages(1) as number;
  entries.forEach((e, k) => e.forEach((d, j) => vmm.host.write32((at + 16 * k + 4 * j) as never, d >>> 0)));
  return at;
}

// cpuid; mov al, 0; out 0xf4, al (exit 1)
const CPUID_THEN_EXIT = [0x0f, 0xa2, 0xb0, 0x00, 0xe6, 0xf4];

describe('VMX: VM-exit MSR areas (SDM 27.4, 27.6)', () => {
  it('the store area receives the guest MSRs at every exit; the load area overrides host MSRs after the host state', () => {
    const { vmm } = guest(CPUID_THEN_EXIT);
    const v = vmm.vcpus[0].vmcs;
    v.write(VMCS.GUEST_SYSENTER_ESP, 0x00c0ffee);
    v.write(VMCS.GUEST_IA32_EFER, 0x800);
    v.write(VMCS.HOST_IA32_SYSENTER_EIP, 0x11111111);
    const store = area(vmm, [[IA32_SYSENTER_ESP, 0, 0xdeadbeef, 0xdeadbeef], [IA32_EFER, 0, 0xdeadbeef, 0xdeadbeef]]);
    const load = area(vmm, [[IA32_SYSENTER_EIP, 0, 0x22222222, 0]]);
    v.write(VMCS.VM_EXIT_MSR_STORE_ADDR, store); v.write(VMCS.VM_EXIT_MSR_STORE_COUNT, 2);
    v.write(VMCS.VM_EXIT_MSR_LOAD_ADDR, load); v.write(VMCS.VM_EXIT_MSR_LOAD_COUNT, 1);
    const s = vmm.run(vmm.vcpus[0], 1000);
    assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 1 });
    const h = vmm.host;
    assert.equal(h.read32((store + 8) as never) >>> 0, 0x00c0ffee, 'IA32_SYSENTER_ESP stored');
    assert.equal(h.read32((store + 12) as never) >>> 0, 0, 'high half stored too');
    assert.equal(h.read32((store + 24) as never) >>> 0, 0x800, 'IA32_EFER (NXE) stored');
    assert.equal(h.read32((store + 4) as never), 0, 'the reserved dword is left alone');
    assert.equal(vmm.vcpus[0].cpu.sysenterEip >>> 0, 0x22222222, 'the load area came after HOST_IA32_SYSENTER_EIP');
    assert.equal(v.abortIndicator, 0);
  });

  it('without the areas (count 0) nothing is stored', () => {
    const { vmm } = guest(CPUID_THEN_EXIT);
    const v = vmm.vcpus[0].vmcs;
    const store = area(vmm, [[IA32_SYSENTER_ESP, 0, 0xdeadbeef, 0xdeadbeef]]);
    v.write(VMCS.VM_EXIT_MSR_STORE_ADDR, store); v.write(VMCS.VM_EXIT_MSR_STORE_COUNT, 0);
    vmm.run(vmm.vcpus[0], 1000);
    assert.equal(vmm.host.read32((store + 8) as never) >>> 0, 0xdeadbeef);
  });

  const aborts: [string, 'store' | 'load', [number, number, number, number], number][] = [
    ['a store entry with reserved bits set', 'store', [IA32_SYSENTER_ESP, 1, 0, 0], 1],
    ['a store entry naming an MSR RDMSR cannot read', 'store', [0x12345, 0, 0, 0], 1],
    ['a load entry naming IA32_FS_BASE', 'load', [IA32_FS_BASE, 0, 0, 0], 4],
    ['a load entry WRMSR would refuse (reserved EFER bit)', 'load', [IA32_EFER, 0, 0x1, 0], 4],
  ];
  for (const [what, kind, entry, indicator] of aborts) {
    it(`${what}: VMX abort with indicator ${indicator} (SDM 28.7); the VMM stops the VM, never crashes`, () => {
      const { vmm } = guest(CPUID_THEN_EXIT);
      const v = vmm.vcpus[0].vmcs;
      const at = area(vmm, [entry]);
      if (kind === 'store') { v.write(VMCS.VM_EXIT_MSR_STORE_ADDR, at); v.write(VMCS.VM_EXIT_MSR_STORE_COUNT, 1); }
      else { v.write(VMCS.VM_EXIT_MSR_LOAD_ADDR, at); v.write(VMCS.VM_EXIT_MSR_LOAD_COUNT, 1); }
      const s = vmm.run(vmm.vcpus[0], 1000);
      assert.equal(s?.kind, 'error');
      assert.match((s as { text: string }).text, new RegExp(`VMX abort \\(indicator ${indicator}, SDM 28.7\\) at the EPT_VIOLATION exit`));
      assert.equal(v.abortIndicator, indicator);
      assert.equal(vmm.vcpus[0].cpu.activity, 2, 'the processor is in the shutdown state');
    });
  }
});

describe('VMX: EPT violation exit information (SDM 27.2.1)', () => {
  it('GUEST_PHYSICAL_ADDRESS is the byte address of the access, not its page', () => {
    // mov eax, [0x123456]; mov byte [0x2345ff], 1; mov al, 0; out 0xf4, al
    const { vmm, exits } = guest([0xa1, ...le(0x123456), 0xc6, 0x05, ...le(0x2345ff), 0x01, 0xb0, 0x00, 0xe6, 0xf4]);
    assert.deepEqual(vmm.run(vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    const ept = exits.filter((e) => e.reason === ExitReason.EPT_VIOLATION);
    assert.ok(ept.some((e) => e.gpa === 0x123456 && e.gla === 0x123456), JSON.stringify(ept));
    assert.ok(ept.some((e) => e.gpa === 0x2345ff), JSON.stringify(ept));
  });

  it('the local APIC is still emulated at the right register (the handler uses the byte address)', () => {
    // mov eax, [0xfee00030] (version register); mov [0x3000], eax; mov al, 0; out 0xf4, al
    const { vmm } = guest([0xa1, ...le(0xfee00030), 0xa3, ...le(0x3000), 0xb0, 0x00, 0xe6, 0xf4]);
    assert.deepEqual(vmm.run(vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    const ver = vmm.memory.read32(0x3000)! >>> 0;
    assert.equal(ver & 0xff, 0x14, `local APIC version register read: 0x${ver.toString(16)}`);
  });
});

describe('VMM: the MMIO fast path through EPT misconfigurations (KVM\'s MMIO sptes)', () => {
  it('the first APIC access is an EPT violation, the next ones EPT misconfigurations with the byte address, all emulated', () => {
    // mov eax, [0xfee00030]; mov [0x3000], eax; mov eax, [0xfee00020]; mov [0x3004], eax; mov eax, [0xfee00030]; mov [0x3008], eax; exit
    const { vmm, exits } = guest([0xa1, ...le(0xfee00030), 0xa3, ...le(0x3000), 0xa1, ...le(0xfee00020), 0xa3, ...le(0x3004),
      0xa1, ...le(0xfee00030), 0xa3, ...le(0x3008), 0xb0, 0x00, 0xe6, 0xf4]);
    assert.deepEqual(vmm.run(vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    const apic = exits.filter((e) => ((e.gpa & ~0xfff) >>> 0) === 0xfee00000);
    assert.deepEqual(apic.map((e) => [e.reason, e.gpa]), [
      [ExitReason.EPT_VIOLATION, 0xfee00030], [ExitReason.EPT_MISCONFIG, 0xfee00020], [ExitReason.EPT_MISCONFIG, 0xfee00030],
    ]);
    assert.equal(vmm.memory.read32(0x3000), vmm.memory.read32(0x3008));
    assert.equal(vmm.memory.read32(0x3000)! & 0xff, 0x14);
    assert.equal(vmm.memory.read32(0x3004), 0, 'APIC ID of vCPU 0');
    assert.equal(vmm.ept.lookup(0xfee00000) & 7, 2, 'the mark: a write-only (misconfigured) leaf');
  });

  it('a misconfiguration outside an MMIO page is still a hypervisor bug: the VM stops with the address, never crashes', () => {
    const { vmm } = guest([0xa1, ...le(0x5000), 0xb0, 0x00, 0xe6, 0xf4]);
    vmm.ept.map(0x5000, vmm.memory.gpaToHpa(0x5000) as number, 2); // write-only RAM: what a VMM bug would leave
    const s = vmm.run(vmm.vcpus[0], 1000);
    assert.equal(s?.kind, 'error');
    assert.match((s as { text: string }).text, /EPT misconfiguration at guest-physical 0x5000: a hypervisor bug/);
  });
});

describe('VMX: APIC-access exits with "virtualize APIC accesses" (SDM 29.4, option vmxExits apic)', () => {
  // mov eax, [0xfee00030]; mov [0x3000], eax; mov dword [0xfee00080], 0x20 (TPR); mov eax, [0xfee00080]; mov [0x3004], eax; exit
  const CODE = [0xa1, ...le(0xfee00030), 0xa3, ...le(0x3000), 0xc7, 0x05, ...le(0xfee00080), ...le(0x20), 0xa1, ...le(0xfee00080), 0xa3, ...le(0x3004), 0xb0, 0x00, 0xe6, 0xf4];

  it('every access to the local APIC page is exit 44 with the offset and the access type; the VMM emulates it', () => {
    const { vmm, exits } = guest(CODE, { vmxExits: ['apic'] });
    assert.deepEqual(vmm.run(vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    const apic = exits.filter((e) => e.reason === ExitReason.APIC_ACCESS).map((e) => e.qual);
    assert.deepEqual(apic, [0x030, 0x1080, 0x080], 'read of 0x30, write of 0x80 (type 1), read of 0x80');
    assert.equal(exits.filter((e) => e.reason === ExitReason.EPT_VIOLATION && ((e.gpa & ~0xfff) >>> 0) === 0xfee00000).length, 0);
    assert.equal(vmm.memory.read32(0x3000)! & 0xff, 0x14);
    assert.equal(vmm.memory.read32(0x3004), 0x20, 'TPR written and read back through the APIC model');
    assert.equal(vmm.host.read32(vmm.apicAccessPage as never), 0, 'the APIC-access page itself is never written');
  });

  it('the same program without the option takes the EPT path and reads the same values', () => {
    const { vmm, exits } = guest(CODE);
    assert.deepEqual(vmm.run(vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    assert.equal(exits.filter((e) => e.reason === ExitReason.APIC_ACCESS).length, 0);
    assert.equal(vmm.memory.read32(0x3000)! & 0xff, 0x14);
    assert.equal(vmm.memory.read32(0x3004), 0x20);
  });

  it('is ignored under shadow paging (the #PF path stays), with the same results', () => {
    const { vmm, exits } = guest(CODE, { vmxExits: ['apic'], mmu: 'shadow' });
    assert.deepEqual(vmm.run(vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    assert.equal(vmm.apicAccessPage, -1);
    assert.equal(exits.filter((e) => e.reason === ExitReason.APIC_ACCESS).length, 0);
    assert.equal(vmm.memory.read32(0x3004), 0x20);
  });
});

describe('VMM handler frame: the new exits say what their handler does', () => {
  it('RDPMC (#GP, no PMU) and MOV DR (emulated) are described from the pending exit', () => {
    // mov ecx, 0; rdpmc; (never reached)
    const { vmm } = guest([0xb9, ...le(0), 0x0f, 0x33, 0xb0, 0x00, 0xe6, 0xf4]);
    vmm.exitFilter = (e) => (e.reason === ExitReason.RDPMC ? 'rdpmc' : undefined);
    const s = vmm.run(vmm.vcpus[0], 1000);
    assert.equal(s?.kind, 'vmexit');
    assert.match(vmmFrameView(vmm, 0)!.action, /injects #GP\(0\): the virtual CPU has no performance counters/);
    // mov eax, 0x1234; mov dr1, eax; mov al, 0; out 0xf4, al
    const g = guest([0xb8, ...le(0x1234), 0x0f, 0x23, 0xc8, 0xb0, 0x00, 0xe6, 0xf4]);
    g.vmm.exitFilter = (e) => (e.reason === ExitReason.DR_ACCESS ? 'dr' : undefined);
    assert.equal(g.vmm.run(g.vmm.vcpus[0], 1000)?.kind, 'vmexit');
    assert.match(vmmFrameView(g.vmm, 0)!.action, /emulates MOV to DR1/);
    g.vmm.exitFilter = () => undefined;
    assert.deepEqual(g.vmm.run(g.vmm.vcpus[0], 1000), { kind: 'exited', vcpu: 0, status: 1 });
    assert.equal(g.vmm.vcpus[0].cpu.dr[1], 0x1234, 'DR1 written on the processor by the handler');
  });
});
