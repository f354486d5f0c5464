// SHL/SHR/SAR recorded lazily (lazyFlags.ts LF_SHL/LF_SHR/LF_SAR, used by the specialized handlers
// and translated blocks) must give exactly the flags exec/shift.ts computes eagerly, for every size,
// count 1-31 and edge operands, and every condition code read from the record must agree.
import { strict as assert } from 'node:assert';
import { Cpu } from '../../../src/core/hw/cpu/cpu';
import { HostPhysMem } from '../../../src/core/hw/physMem';
import { COND, LF_SAR, LF_SHL, LF_SHR, materialize } from '../../../src/core/hw/cpu/lazyFlags';
import { shiftOp } from '../../../src/core/hw/cpu/exec/shift';
import { Rng } from '../../diff/rng';

describe('lazy shift flags (issue 3)', () => {
  it('LF_SHL / LF_SHR / LF_SAR materialize to the eager shift flags, and conditions agree', () => {
    const cpu = new Cpu(0, new HostPhysMem(0x10000));
    const rng = new Rng(0x5417);
    const ops: [number, number][] = [[4, LF_SHL], [5, LF_SHR], [7, LF_SAR], [6, LF_SHL]];
    let checked = 0;
    for (const size of [8, 16, 32]) {
      const mk = size === 32 ? -1 : (1 << size) - 1;
      for (const [op, lf] of ops) {
        for (let count = 1; count < 32; count++) {
          for (let k = 0; k < 40; k++) {
            const v = (k < 4 ? [0, -1, 1, 1 << (size - 1)][k] : rng.value()) & mk;
            const before = 2 | (rng.u32() & 0x8d5);
            cpu.setEflags(before);
            const r = shiftOp(cpu, op, v, count, size);
            const eager = cpu.getEflags();
            const lazyState = { eflags: before, lfOp: lf, lfDst: size === 32 ? v | 0 : v, lfSrc: count, lfRes: r, lfSize: size, lfCin: 0 };
            assert.equal(materialize(lazyState) | 2, eager, `op ${op} size ${size} count ${count} v ${v}`);
            for (let cc = 0; cc < 16; cc++) {
              cpu.setEflags(eager);
              assert.equal(COND[cc](lazyState), COND[cc](cpu), `cc ${cc} after op ${op} size ${size} count ${count} v ${v}`);
            }
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 10_000);
  });
});
