// INVEPT and INVVPID (issue 4): decoded from the one opcode table (66 0F 38 80/81), they always exit in
// VMX non-root operation (reasons 50 and 53, SDM 26.1.2) with the displacement as qualification (27.2.1)
// and the VM-exit instruction-information field of Table 28-13; this VMM gives the guest no VMX, so the
// handler injects #UD. In root operation their semantics act on the model's TLB (SDM 29.4.3, 30.3):
// single-context invalidation drops only the named VPID's / EPTP's translations, all-context drops all,
// a bad type is VM-instruction error 28.
import { strict as assert } from 'node:assert';
import { Decoder } from '../../../src/core/isa/decoder';
import { Insn } from '../../../src/core/isa/insn';
import { formatInsn } from '../../../src/core/isa/disassembler';
import { Vmm } from '../../../src/core/vmm/vmm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';
import { SecondaryExecControls as S } from '../../../src/core/hw/vmx/vmxControls';

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const BOOT = { eip: 0x1000, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: 0x500, gdtLimit: 0x17 };

function guest(code: number[]): { vmm: Vmm; exits: { reason: number; qual: number; info: number; len: number }[] } {
  const vmm = new Vmm({ memMiB: 4, smp: 1 });
  const vcpu = vmm.vcpus[0];
  vmm.setupVcpu(vcpu, BOOT);
  const w = (gpa: number, bytes: number[]): void => vmm.host.u8.set(bytes, vmm.memory.gpaToHpa(gpa) as number);
  w(0x1000, code);
  w(0x2000, [0xb0, 0x06, 0xe6, 0xf4]); // #UD handler: exit with 6 (status 13)
  w(0x500, [0, 0, 0, 0, 0, 0, 0, 0, ...le(0x0000ffff), ...le(0x00cf9b00), ...le(0x0000ffff), ...le(0x00cf9300)]);
  w(0x3000 + 6 * 8, [...le((0x08 << 16) | 0x2000), ...le(0x8e00)]);
  vcpu.vmcs.write(VMCS.GUEST_IDTR_BASE, 0x3000); vcpu.vmcs.write(VMCS.GUEST_IDTR_LIMIT, 0x7ff);
  const exits: { reason: number; qual: number; info: number; len: number }[] = [];
  vmm.exitTrace = (e) => exits.push({ reason: e.reason, qual: e.qualification, info: vcpu.vmcs.read(VMCS.VMX_INSTRUCTION_INFO) >>> 0, len: vcpu.vmcs.read(VMCS.VM_EXIT_INSTRUCTION_LEN) });
  return { vmm, exits };
}

describe('VMX: INVEPT / INVVPID', () => {
  it('decode from the opcode table (66 0F 38 80 /r, 66 0F 38 81 /r)', () => {
    const d = new Decoder(), i = new Insn();
    const bytes = [0x66, 0x0f, 0x38, 0x80, 0x4b, 0x10];
    assert.ok(d.decode({ byteAt: (k) => bytes[k] ?? 0 }, 32, i));
    assert.equal(i.def.mnemonic, 'invept');
    assert.equal(i.length, 6);
    assert.match(formatInsn(i), /^invept ecx, .*ebx\+0x10/);
    const b2 = [0x66, 0x0f, 0x38, 0x81, 0x10];
    assert.ok(d.decode({ byteAt: (k) => b2[k] ?? 0 }, 32, i));
    assert.equal(i.def.mnemonic, 'invvpid');
    assert.ok(!d.decode({ byteAt: (k) => [0x0f, 0x38, 0x80, 0x10][k] ?? 0 }, 32, i), 'without the 66 prefix: not an instruction');
  });

  for (const [op, reason, name] of [[0x80, ExitReason.INVEPT, 'INVEPT'], [0x81, ExitReason.INVVPID, 'INVVPID']] as const) {
    it(`${name} in the guest: exit ${reason} with qualification and instruction information, then #UD in the guest`, () => {
      // mov ebx, 0x4000; invxxx ecx, [ebx + 0x10]
      const { vmm, exits } = guest([0xbb, ...le(0x4000), 0x66, 0x0f, 0x38, op, 0x4b, 0x10, 0xf4]);
      const s = vmm.run(vmm.vcpus[0], 100_000);
      assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 13 }, 'the guest got #UD');
      const e = exits.find((x) => x.reason === reason);
      assert.ok(e, `an exit with reason ${reason}`);
      assert.equal(e.qual, 0x10, 'qualification: the displacement');
      assert.equal(e.len, 6);
      // Table 28-13: scaling 0, address size 32 (1 << 7), segment DS (3 << 15), index invalid (bit 22),
      // base EBX (3 << 23), register 2 = ECX (1 << 28).
      assert.equal(e.info, ((1 << 7) | (3 << 15) | (1 << 22) | (3 << 23) | (1 << 28)) >>> 0);
    });
  }

  it('root-operation semantics on the TLB: single context by VPID / EPTP, all contexts, error 28', () => {
    const vmm = new Vmm({ memMiB: 4, smp: 1 });
    const vcpu = vmm.vcpus[0];
    vmm.setupVcpu(vcpu, BOOT);
    const v = vcpu.vmcs;
    v.write(VMCS.SECONDARY_VM_EXEC_CONTROL, v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) | S.SECONDARY_EXEC_ENABLE_VPID);
    v.write(VMCS.VIRTUAL_PROCESSOR_ID, 5);
    for (const g of [0x1000, 0x5000]) vmm.ept.map(g, vmm.memory.gpaToHpa(g) as number);
    assert.equal(vcpu.vmx.vmentry(true), undefined);
    const cpu = vcpu.cpu, tlb = cpu.mmu.tlb;
    const fill = (): void => { cpu.readLin32(0x1000); cpu.readLin32(0x5000); };
    fill();
    assert.ok(tlb[1] && tlb[5], 'translations cached');
    assert.equal(vcpu.vmx.invvpid(1, 0, 7), 0);
    assert.ok(tlb[1] && tlb[5], 'another VPID: nothing dropped');
    assert.equal(vcpu.vmx.invvpid(0, 0x5000, 5), 0);
    assert.ok(tlb[1] && !tlb[5], 'individual address: only that page');
    fill();
    assert.equal(vcpu.vmx.invvpid(1, 0, 5), 0);
    assert.ok(!tlb[1] && !tlb[5], 'single context: the VPID\'s translations');
    fill();
    assert.equal(vcpu.vmx.invept(1, 0x123000 | 0x1e), 0);
    assert.ok(tlb[1] && tlb[5], 'another EPTP: nothing dropped');
    assert.equal(vcpu.vmx.invept(1, vmm.ept.eptp), 0);
    assert.ok(!tlb[1] && !tlb[5], 'single context: translations derived from this EPTP');
    fill();
    assert.equal(vcpu.vmx.invept(2), 0);
    assert.ok(!tlb[1] && !tlb[5], 'all contexts');
    assert.equal(vcpu.vmx.invept(0), 28, 'type 0 is not an INVEPT type');
    assert.equal(v.read(VMCS.VM_INSTRUCTION_ERROR), 28);
    assert.equal(vcpu.vmx.invvpid(4, 0, 5), 28);
  });
});
