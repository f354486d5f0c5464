// Issue 7's determinism proof over a long run of the OS fixture: teachos.img (disk boot, two vCPUs)
// with `stress` typed on COM1 through the input log, so after its self-test the kernel runs its
// process workload round after round (spawn, ring 3, system calls, timer preemption on both CPUs,
// exit, reap, IDE write/read; test/guests/teachos/kernel/stress.c). Recorded with a small checkpoint
// interval so the run passes dozens of checkpoints; a forward run without recording gives the state
// hash at seeded random moments of the stress rounds, and the recorded run travels back to each (go
// to the moment after, step back), must find exactly that hash, and must reproduce the forward run's
// hash further on when it runs forward from there.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { lcg, runTo as runToCount } from './runHelpers';
const runTo = (vm: Vm, n: number): void => runToCount(vm, n, 250_000);

const IMAGE = 'build/guests/teachos.img';
const STRESS = new TextEncoder().encode('stress\n');

function boot(out: { text: string }): Vm {
  return Vm.fromImage(fs.readFileSync(IMAGE), 'teachos.img', { smp: 2 }, {
    serialOut: (_p: number, b: Uint8Array) => { for (const c of b) out.text += String.fromCharCode(c); },
  });
}

describe('time travel on teachos in stress mode (--smp 2, many checkpoints): determinism at random moments', function () {
  this.timeout(300_000);
  const SELFTEST_END = 3_000_000; // the self-test ends at about 2.8M; the rounds follow, ~3M instructions each
  const END = 12_000_000;
  const LATER = 250_000;
  const targets = ((): number[] => {
    const rnd = lcg(0x57e55);
    return Array.from({ length: 6 }, () => SELFTEST_END + Math.floor(rnd() * (END - SELFTEST_END - LATER))).sort((a, b) => a - b);
  })();
  const expected = new Map<number, string>();
  const refOut = { text: '' };
  before(() => {
    const ref = boot(refOut);
    ref.setExitFilters([]);
    ref.serialInput(0, STRESS);
    for (const t of [...new Set([...targets, ...targets.map((t) => t + LATER), END])].sort((a, b) => a - b)) {
      runTo(ref, t);
      expected.set(t, ref.stateHash());
    }
  });

  it('the forward run is in the stress rounds: several rounds pass with the same free pages', () => {
    const rounds = [...refOut.text.matchAll(/^stress: round (\d+) ok: 6 processes reaped, 0 in the table, (\d+) free pages$/gm)];
    assert.ok(rounds.length >= 2, refOut.text.slice(-1500));
    assert.equal(new Set(rounds.map((m) => m[2])).size, 1, 'free pages equal after every round');
    assert.ok(!/FAIL|watchdog|PANIC/.test(refOut.text), refOut.text.slice(-1500));
  });

  it('reverse to each moment gives the forward run\'s hash, and running on from it reproduces the forward run', () => {
    const out = { text: '' };
    const vm = boot(out);
    vm.setExitFilters([]);
    const tl = vm.startRecording({ interval: 300_000, minInterval: 300_000, maxInterval: 500_000 });
    vm.serialInput(0, STRESS);
    runTo(vm, END);
    assert.equal(vm.stateHash(), expected.get(END), 'the recorded run ends in the forward run\'s state');
    assert.equal(out.text, refOut.text, 'the recorded run printed what the forward run printed');
    assert.ok(tl.stats().checkpoints >= 15, `checkpoints: ${tl.stats().checkpoints}`);
    for (const t of [...targets].reverse()) {
      vm.gotoIcount(t + 1, 0);
      const r = vm.stepBack(0);
      assert.equal(r.stop.kind, 'step');
      assert.equal(vm.icount, t);
      assert.equal(vm.stateHash(), expected.get(t), `state at ${t}`);
      runTo(vm, t + LATER);
      assert.equal(vm.stateHash(), expected.get(t + LATER), `state at ${t + LATER}, run forward from ${t}`);
    }
    // Forward again to the end of history: the same final state.
    vm.gotoIcount(END, 0);
    assert.equal(vm.stateHash(), expected.get(END));
  });
});
