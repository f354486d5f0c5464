// Issue 5's determinism proof on the OS fixture: two runs of teachos (disk boot, two vCPUs, IDE and
// APIC interrupts, a timer-preempted scheduler) produce identical serial output and identical final
// state hashes (memory, CPUs, VMCS, devices), also when the host slices the run differently, and under
// shadow paging the guest prints exactly what it prints under EPT.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import type { StopEvent } from '../../../src/core/debug/debugApi';

const IMAGE = 'build/guests/teachos.img';

interface Run { out: string; stop: StopEvent; icount: number; hash: string }

function boot(mmu: 'ept' | 'shadow', slice: number): Run {
  const bytes: number[] = [];
  const vm = Vm.fromImage(fs.readFileSync(IMAGE), 'teachos.img', { smp: 2, mmu }, { serialOut: (_port, b) => { bytes.push(...b); } });
  let stop: StopEvent | null = null;
  for (let k = 0; k < 10_000 && !stop; k++) stop = vm.run(slice);
  assert.ok(stop, 'teachos did not finish within the instruction budget');
  return { out: Buffer.from(bytes).toString('latin1'), stop, icount: vm.icount, hash: vm.stateHash() };
}

describe('teachos: deterministic runs (issue 5)', function () {
  this.timeout(600_000);
  let first: Run;

  it('runs to its exit with every self-test passing (--smp 2, EPT)', () => {
    first = boot('ept', 100_000);
    assert.match(first.out, /teachos: \d+ passed, 0 failed/);
    assert.deepEqual([first.stop.kind, first.stop.kind === 'exited' ? first.stop.status : -1], ['exited', 1], JSON.stringify(first.stop)); // isa-debug-exit: (0 << 1) | 1
  });

  it('a second run with different host slices: same output, same icount, same final state hash', function () {
    if (!first) this.skip();
    const again = boot('ept', 37_813);
    assert.equal(again.out, first.out);
    assert.equal(again.icount, first.icount);
    assert.equal(again.hash, first.hash);
  });

  it('under shadow paging the guest prints exactly the same', function () {
    if (!first) this.skip();
    const shadow = boot('shadow', 100_000);
    assert.equal(shadow.out, first.out);
  });
});
