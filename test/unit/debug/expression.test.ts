import { strict as assert } from 'node:assert';
import { compileExpression, ExpressionError } from '../../../src/core/debug/expression';
import { compileCondition, CONDITION_FIELDS } from '../../../src/core/debug/exitCondition';
import { interpolate, evaluateVmExpression, type ExpressionTarget } from '../../../src/core/debug/vmExpression';

const env = { name: (id: string) => (id === 'x' ? () => 6 : id === 'y' ? () => 0x30 : undefined) };
const ev = (s: string): number => compileExpression<void>(s, env)(undefined);

describe('debug/expression', () => {
  it('C precedence and operators', () => {
    assert.equal(ev('1 + 2 * 3'), 7);
    assert.equal(ev('(1 + 2) * 3'), 9);
    assert.equal(ev('x << 2 | 1'), 25);
    assert.equal(ev('y >> 4 == 3'), 1);
    assert.equal(ev('x & 2 && !0'), 1);
    assert.equal(ev('~0'), 0xffffffff);
    assert.equal(ev('0x10 % 6 - -1'), 5);
  });
  it('errors name the problem', () => {
    assert.throws(() => ev('1 +'), /ends too early/);
    assert.throws(() => ev('(1'), /missing \)/);
    assert.throws(() => ev('zz'), ExpressionError);
    assert.throws(() => ev('*(u32*)0'), /memory is not available/);
  });
  it('exit conditions are the same language', () => {
    const c = compileCondition('port == 0x3f8 && !in', CONDITION_FIELDS);
    assert.equal(c({ port: 0x3f8, in: false }), true);
    assert.equal(c({ port: 0x3f8, in: true }), false);
    assert.throws(() => compileCondition('bogus == 1', CONDITION_FIELDS), /unknown name "bogus" \(known: reason/);
    assert.equal(compileCondition('reason == EPT_VIOLATION', CONDITION_FIELDS)({ reason: 48 }), true);
  });
  it('over a VM: registers, vmcs fields, symbols, memory derefs, logpoint interpolation', () => {
    const mem = new Uint8Array(0x100);
    mem.set([0x78, 0x56, 0x34, 0x12], 0x40);
    const t: ExpressionTarget = {
      registers: () => [{ name: 'General', fields: [{ name: 'eax', value: 0x40, text: '' }] }],
      vmcs: () => [{ name: 'Guest', fields: [{ name: 'GUEST_CR3', value: 0x1000, text: '' }] }],
      readMemory: (_v, _s, a, n) => ({ data: a + n <= mem.length ? mem.slice(a, a + n) : new Uint8Array(0), unreadable: a + n <= mem.length ? 0 : n }),
      symbols: [{ name: 'table', address: 0x40, size: 4 }],
    };
    assert.equal(evaluateVmExpression(t, 0, '*(u32*)eax'), 0x12345678);
    assert.equal(evaluateVmExpression(t, 0, '*(u16*)(table + 2)'), 0x1234);
    assert.equal(evaluateVmExpression(t, 0, 'vmcs.GUEST_CR3 + $eax'), 0x1040);
    assert.throws(() => evaluateVmExpression(t, 0, '*(u8*)0x1000'), /cannot read 1 byte at guest-virtual 0x00001000/);
    assert.equal(interpolate(t, 0, 'v={*(u8*)eax} bad={nope}'), 'v=0x78 bad={nope: unknown name "nope": not a register (eax, eip, cr3, ...), vmcs.FIELD or a symbol}');
  });
});
