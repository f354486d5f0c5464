import { strict as assert } from 'node:assert';
import { vmcsView } from '../../../src/core/debug/vmcsView';
import { Vmcs } from '../../../src/core/hw/vmx/vmcs';
import { VMCS, VMCS_FIELDS } from '../../../src/core/hw/vmx/vmcsFields';
import { CpuBasedControls } from '../../../src/core/hw/vmx/vmxControls';

describe('debug/vmcsView', () => {
  const v = new Vmcs();
  v.write(VMCS.GUEST_CR3, 0x00123000);
  v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, CpuBasedControls.CPU_BASED_HLT_EXITING);
  v.write64(VMCS.EPT_POINTER, 0x1234_5678_9abc_d01en);
  v.write(VMCS.GUEST_CS_SELECTOR, 0x0008);
  const groups = vmcsView(v);
  const find = (name: string) => {
    for (const g of groups) for (const f of g.fields) if (f.name === name) return { g, f };
    throw new Error(`no field ${name}`);
  };

  it('lists the SDM groups in order', () => {
    assert.deepEqual(groups.map((g) => g.name), [
      'Guest-state area', 'Host-state area', 'VM-execution control fields', 'VM-exit control fields',
      'VM-entry control fields', 'VM-exit information fields',
    ]);
  });

  it('shows every field once', () => {
    const n = groups.reduce((s, g) => s + g.fields.length, 0);
    assert.equal(n, VMCS_FIELDS.length);
    assert.equal(new Set(groups.flatMap((g) => g.fields.map((f) => f.name))).size, VMCS_FIELDS.length);
  });

  it('puts GUEST_CR3 in the guest group with its encoding and width', () => {
    const { g, f } = find('GUEST_CR3');
    assert.equal(g.name, 'Guest-state area');
    assert.match(f.detail!, /0x6802/);
    assert.match(f.detail!, /natural width/);
    assert.equal(f.text, '0x00123000');
    assert.equal(f.value, 0x123000);
  });

  it('formats 16-bit fields with 4 hex digits', () => {
    const { f } = find('GUEST_CS_SELECTOR');
    assert.equal(f.text, '0x0008');
    assert.match(f.detail!, /16-bit/);
  });

  it('decodes control bits with on/off', () => {
    const { g, f } = find('CPU_BASED_VM_EXEC_CONTROL');
    assert.equal(g.name, 'VM-execution control fields');
    const hlt = f.bits!.find((b) => /HLT exiting/i.test(b.name));
    assert.ok(hlt);
    assert.equal(hlt.text, 'on');
    assert.equal(hlt.value, 1);
    const inv = f.bits!.find((b) => /INVLPG exiting/i.test(b.name));
    assert.equal(inv?.text, 'off');
  });

  it('shows 64-bit fields with 16 hex digits', () => {
    const { f } = find('EPT_POINTER');
    assert.equal(f.text, '0x123456789abcd01e');
    assert.equal(f.value, 0x9abcd01e);
    assert.match(f.detail!, /64-bit/);
    assert.ok(f.bits && f.bits.length > 0);
  });

  it('leaves plain values without bits', () => {
    assert.equal(find('GUEST_RIP').f.bits, undefined);
  });
});
