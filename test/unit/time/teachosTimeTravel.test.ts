// Issue 7's determinism proof on the OS fixture: teachos.img (disk boot, two vCPUs, LAPIC timers,
// IDE PIO on IRQ 14, ring-3 processes). A forward run without recording gives the state hash at
// random instruction counts; the recorded run travels back to each of them (go to the moment after,
// then step back), must find exactly that hash, and running forward from there must reproduce the
// forward run's hash further on. A snapshot taken at a moment loads into a fresh VM with the same hash
// and the same future.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { lcg, runTo as runToCount } from './runHelpers';
const runTo = (vm: Vm, n: number): void => runToCount(vm, n, 250_000);

const IMAGE = 'build/guests/teachos.img';

function boot(): Vm {
  return Vm.fromImage(fs.readFileSync(IMAGE), 'teachos.img', { smp: 2 }, { serialOut: () => undefined });
}

describe('time travel on teachos (--smp 2): determinism at random moments', function () {
  this.timeout(240_000);
  const END = 2_500_000; // teachos --smp 2 exits at about 2.77M
  const targets = ((): number[] => {
    const rnd = lcg(0x7ea0c5);
    return Array.from({ length: 6 }, () => 100_000 + Math.floor(rnd() * (END - 400_000))).sort((a, b) => a - b);
  })();
  const later = (t: number): number => t + 200_000;
  const expected = new Map<number, string>();
  before(() => {
    const ref = boot();
    ref.setExitFilters([]);
    for (const t of [...new Set([...targets, ...targets.map(later)])].sort((a, b) => a - b)) {
      runTo(ref, t);
      expected.set(t, ref.stateHash());
    }
  });

  it('reverse to each moment gives the forward run\'s state hash, and running on from it reproduces the forward run', () => {
    const vm = boot();
    vm.setExitFilters([]);
    vm.startRecording();
    runTo(vm, END);
    for (const t of [...targets].reverse()) {
      vm.gotoIcount(t + 1, 0);
      const r = vm.stepBack(0);
      assert.equal(r.stop.kind, 'step');
      assert.equal(vm.icount, t);
      assert.equal(vm.stateHash(), expected.get(t), `state at ${t}`);
      runTo(vm, later(t));
      assert.equal(vm.stateHash(), expected.get(later(t)), `state at ${later(t)}, run forward from ${t}`);
    }
  });

  it('a snapshot taken at a moment of the recorded run loads into a fresh VM with the same hash and the same future', () => {
    const vm = boot();
    vm.setExitFilters([]);
    vm.startRecording();
    runTo(vm, END);
    const t = targets[2];
    vm.gotoIcount(t, 0);
    assert.equal(vm.stateHash(), expected.get(t));
    const bytes = vm.saveSnapshot(`teachos at ${t}`);
    const fresh = boot();
    fresh.setExitFilters([]);
    fresh.loadSnapshot(bytes);
    assert.equal(fresh.icount, t);
    assert.equal(fresh.stateHash(), expected.get(t));
    runTo(fresh, later(t));
    assert.equal(fresh.stateHash(), expected.get(later(t)));
  });
});
