import { strict as assert } from 'node:assert';
import { registersView, type GuestRegs } from '../../../src/core/debug/registersView';

function state(): GuestRegs {
  return {
    gpr: [0x11, 0x22, 0x33, 0x44, 0x7ff0, 0x7ffc, 0xdeadbeef, 0x80000000],
    eip: 0x00100010,
    eflags: 0x00003243, // CF ZF IF IOPL=3 (bit 1 reserved)
    segSel: [0x10, 0x08, 0x10, 0x10, 0x10, 0x10, 0, 0x28],
    segBase: [0, 0, 0, 0, 0x1000, 0, 0, 0x2000],
    segLimit: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xfff, 0xffffffff, 0, 0x67],
    segAr: [0xc093, 0xc09b, 0xc093, 0xc093, 0x4093, 0xc093, 0x10000, 0x8b],
    cr0: 0x80000011, cr2: 0x0badf00d, cr3: 0x00105018, cr4: 0x2010,
    dr: [0x1000, 0x2000, 0, 0, 0, 0, 0xffff0ff1, 0x000d0409],
    gdtrBase: 0x00101000, gdtrLimit: 0x27, idtrBase: 0x00102000, idtrLimit: 0x7ff,
    efer: 0, cpl: 0,
  };
}

describe('debug/registersView', () => {
  const groups = registersView(state());
  const group = (n: string) => groups.find((g) => g.name === n)!;
  const field = (g: string, n: string) => group(g).fields.find((f) => f.name === n)!;
  const bit = (g: string, f: string, b: string) => field(g, f).bits!.find((x) => x.name === b)!;

  it('has the groups in order', () => {
    assert.deepEqual(groups.map((g) => g.name), ['General', 'EFLAGS', 'Segments', 'Control', 'Descriptor tables', 'Debug']);
  });

  it('general registers in hex', () => {
    assert.deepEqual(group('General').fields.map((f) => f.name), ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip']);
    assert.equal(field('General', 'esi').text, '0xdeadbeef');
    assert.equal(field('General', 'esi').value, 0xdeadbeef);
    assert.equal(field('General', 'edi').text, '0x80000000');
    assert.equal(field('General', 'eip').text, '0x00100010');
  });

  it('EFLAGS lists set flags and has all bits', () => {
    const f = field('EFLAGS', 'eflags');
    assert.equal(f.text, '0x00003243 [CF ZF IF IOPL=3]');
    for (const n of ['CF', 'PF', 'AF', 'ZF', 'SF', 'TF', 'IF', 'DF', 'OF', 'IOPL', 'NT', 'RF', 'VM', 'AC', 'VIF', 'VIP', 'ID']) {
      assert.ok(f.bits!.some((b) => b.name === n), n);
    }
    assert.equal(bit('EFLAGS', 'eflags', 'IOPL').value, 3);
    assert.equal(bit('EFLAGS', 'eflags', 'IF').value, 1);
    assert.equal(bit('EFLAGS', 'eflags', 'SF').value, 0);
    assert.equal(registersView({ ...state(), eflags: 0x202 })[1]!.fields[0]!.text, '0x00000202 [IF]');
  });

  it('segments with selector, base, limit and access rights', () => {
    assert.deepEqual(group('Segments').fields.map((f) => f.name), ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr']);
    assert.equal(field('Segments', 'cs').text, '0x0008 base=0x00000000 limit=0xffffffff');
    assert.equal(field('Segments', 'fs').text, '0x0010 base=0x00001000 limit=0x00000fff');
    const type = bit('Segments', 'cs', 'Type');
    assert.equal(type.value, 0xb);
    assert.match(type.text!, /code execute\/read.*accessed/);
    assert.equal(bit('Segments', 'cs', 'DPL').value, 0);
    assert.equal(bit('Segments', 'cs', 'P (present)').value, 1);
    assert.equal(bit('Segments', 'cs', 'G (granularity)').value, 1);
    assert.equal(bit('Segments', 'fs', 'G (granularity)').value, 0);
    assert.equal(bit('Segments', 'ss', 'D/B (default size)').value, 1);
    assert.match(bit('Segments', 'tr', 'Type').text!, /32-bit TSS \(busy\)/);
    assert.equal(bit('Segments', 'ldtr', 'Segment unusable').value, 1);
    assert.match(field('Segments', 'ldtr').text, /unusable/);
  });

  it('control registers', () => {
    const cr0 = field('Control', 'cr0');
    assert.equal(cr0.text, '0x80000011 [PE ET PG]');
    assert.deepEqual(cr0.bits!.map((b) => b.name), ['PE', 'MP', 'EM', 'TS', 'ET', 'NE', 'WP', 'AM', 'NW', 'CD', 'PG']);
    assert.equal(bit('Control', 'cr0', 'PG').value, 1);
    assert.equal(field('Control', 'cr2').text, '0x0badf00d');
    const cr3 = field('Control', 'cr3');
    assert.match(cr3.text, /page directory 0x00105000/);
    assert.equal(bit('Control', 'cr3', 'PWT').value, 1);
    assert.equal(bit('Control', 'cr3', 'PCD').value, 1);
    assert.equal(field('Control', 'cr4').text, '0x00002010 [PSE VMXE]');
    assert.equal(bit('Control', 'cr4', 'VMXE').value, 1);
    assert.equal(bit('Control', 'cr4', 'PAE').value, 0);
    assert.equal(field('Control', 'efer').value, 0);
    assert.equal(field('Control', 'cpl').text, '0');
  });

  it('descriptor tables', () => {
    assert.equal(field('Descriptor tables', 'gdtr').text, 'base=0x00101000 limit=0x0027');
    assert.equal(field('Descriptor tables', 'idtr').text, 'base=0x00102000 limit=0x07ff');
  });

  it('debug registers', () => {
    assert.deepEqual(group('Debug').fields.map((f) => f.name), ['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7']);
    assert.equal(field('Debug', 'dr0').text, '0x00001000');
    assert.equal(bit('Debug', 'dr7', 'L0').value, 1);
    assert.equal(bit('Debug', 'dr7', 'G0').value, 0);
    assert.equal(bit('Debug', 'dr7', 'G1').value, 1);
    assert.equal(bit('Debug', 'dr7', 'R/W0').text, 'write');
    assert.equal(bit('Debug', 'dr7', 'LEN0').text, '4 bytes');
    for (const n of ['L0', 'G0', 'L1', 'G1', 'L2', 'G2', 'L3', 'G3']) assert.ok(bit('Debug', 'dr7', n), n);
    assert.match(field('Debug', 'dr6').text, /B0/);
  });
});
