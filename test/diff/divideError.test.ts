// #DE and the other cases the differential test cannot run natively (they would kill the native
// process with SIGFPE): DIV/IDIV by zero and with a quotient too large, AAM 0. A fault leaves every
// register, the memory and EIP as they were (SDM Vol. 3A 6.5: faults restart the instruction).
import { strict as assert } from 'node:assert';
import { Case } from './gen';
import { Rng } from './rng';
import { Interp } from './interp';
import { CASE_IN, CODE_PAGE } from './native';

function run(bytes: number[], regs: Partial<Record<'eax' | 'ecx' | 'edx' | 'ebx', number>>, flags = 2): { fault: number; before: Int32Array; after: Int32Array; eip: number; eflags: number } {
  const c = new Case(new Rng(1));
  c.reset();
  c.flags = flags;
  c.emit(...bytes);
  const idx = { eax: 0, ecx: 1, edx: 2, ebx: 3 } as const;
  for (const [k, v] of Object.entries(regs)) c.regs[idx[k as keyof typeof idx]] = v;
  const buf = Buffer.alloc(CASE_IN);
  c.serialize(buf, 0);
  const interp = new Interp();
  const r = interp.run(buf, 0);
  return { fault: r.fault, before: Int32Array.from(c.regs), after: r.regs, eip: interp.cpu.eip, eflags: r.eflags };
}

const DE = 0;
describe('divide errors (#DE) and their state (issue 3)', () => {
  const faults: [string, number[], Partial<Record<'eax' | 'ecx' | 'edx' | 'ebx', number>>][] = [
    ['div ebx by zero', [0xf7, 0xf3], { eax: 5, edx: 0, ebx: 0 }],
    ['div bl by zero', [0xf6, 0xf3], { eax: 5, ebx: 0x100 }],
    ['div bl: quotient 0x100 does not fit AL', [0xf6, 0xf3], { eax: 0x1000, ebx: 0x10 }],
    ['div bx: quotient does not fit AX', [0x66, 0xf7, 0xf3], { eax: 0, edx: 1, ebx: 1 }],
    ['div ebx: EDX >= divisor', [0xf7, 0xf3], { eax: 0, edx: 7, ebx: 7 }],
    ['idiv ebx: 0x80000000 / -1', [0xf7, 0xfb], { eax: 0x80000000 | 0, edx: -1, ebx: -1 }],
    ['idiv bx: -32768 / -1', [0x66, 0xf7, 0xfb], { eax: 0x8000, edx: 0xffff, ebx: 0xffff }],
    ['idiv bl: -128 / -1', [0xf6, 0xfb], { eax: 0xff80, ebx: 0xff }],
    ['idiv bl: +128 / 1 does not fit', [0xf6, 0xfb], { eax: 0x0080, ebx: 0x01 }],
    ['idiv ecx by zero', [0xf7, 0xf9], { eax: 1, edx: 0, ecx: 0 }],
    ['aam 0', [0xd4, 0x00], { eax: 0x1234 }],
  ];
  for (const [name, bytes, regs] of faults) {
    it(`${name} raises #DE with no state change`, () => {
      const r = run(bytes, regs, 0x8d7);
      assert.equal(r.fault, DE);
      assert.deepEqual(Array.from(r.after), Array.from(r.before));
      assert.equal(r.eip, CODE_PAGE, 'EIP stays at the faulting instruction');
      assert.equal(r.eflags & 0x8d5, 0x8d5 & 0x8d7, 'flags unchanged');
    });
  }
  it('the largest legal quotients do not fault', () => {
    assert.equal(run([0xf6, 0xfb], { eax: 0xff00, ebx: 0x02 }).fault, -1); // idiv bl: -256 / 2 = -128
    const r = run([0xf7, 0xfb], { eax: 0x80000000 | 0, edx: -1, ebx: 1 }); // idiv ebx: -2^31 / 1
    assert.equal(r.fault, -1);
    assert.equal(r.after[0], 0x80000000 | 0);
    assert.equal(run([0xf6, 0xf3], { eax: 0xfeff, ebx: 0xff }).fault, -1); // div bl: 0xfeff / 0xff = 0xff r 0xfe
  });
});
