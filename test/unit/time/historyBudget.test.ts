// History under a memory budget: when checkpoints exceed it, older ones are thinned (merged), never
// dropped: every moment of history stays reachable and reproduces the forward run exactly.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { lcg, runTo } from './runHelpers';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const boot = (n: string): Vm => Vm.fromImage(fs.readFileSync(manifest.find((f) => f.name === n)!.path), n, {}, { serialOut: () => undefined });

describe('time travel: history memory budget', function () {
  this.timeout(180_000);

  for (const [name, interval] of [['cpuloop', 100_000], ['ptchurn', 10_000]] as const) {
    it(`${name}: thinned history stays within the budget and random moments reproduce the forward run`, () => {
      const end = name === 'ptchurn' ? 4_000_000 : 16_000_000;
      const rnd = lcg(name.length * 977);
      const targets = Array.from({ length: 6 }, () => Math.floor(rnd() * end)).sort((a, b) => a - b);
      const ref = boot(name);
      const expected = new Map<number, string>();
      for (const t of targets) { runTo(ref, t); expected.set(t, ref.stateHash()); }
      runTo(ref, end);
      const endHash = ref.stateHash();

      // The same recording without a limit tells what history costs; the budget is then set well
      // below that but above the floor (the newest version of every page is held in full).
      const opts = { interval, minInterval: interval, maxInterval: 2 * interval };
      const free = boot(name);
      const all = free.startRecording({ ...opts, budgetBytes: 1 << 30 });
      runTo(free, end);
      const full = all.stats();
      // Checkpoints get half of the history budget (the exit log and replay marks a quarter each).
      const share = Math.floor(full.poolBytes + 0.6 * (full.bytes - full.poolBytes));
      const budget = 2 * share;
      const vm = boot(name);
      const tl = vm.startRecording({ ...opts, budgetBytes: budget });
      runTo(vm, end);
      const st = tl.stats();
      assert.ok(st.thinned > 0, `expected thinning under a ${budget} byte budget: ${JSON.stringify(st)}`);
      assert.ok(st.bytes <= share, `checkpoints hold ${st.bytes} bytes, their share of the budget is ${share}`);
      assert.ok(st.totalBytes <= budget, `history (checkpoints, exit log, marks) holds ${st.totalBytes} bytes, budget ${budget}`);
      assert.equal(tl.start, 0, 'the start of history is kept');
      for (const t of [...targets].reverse()) {
        vm.gotoIcount(t);
        assert.equal(vm.icount, t);
        assert.equal(vm.stateHash(), expected.get(t), `state at ${t}`);
      }
      runTo(vm, end);
      assert.equal(vm.stateHash(), endHash);
    });
  }
});
