// Shadow paging under time travel (invariants 1 and 4): the shadow MMU's state (shadow pages, their
// sync state, the root cache, each vCPU's guest CR3) is saved with the VM, so restoring a snapshot or
// stepping back reproduces the forward run bit for bit, on the page-table-heavy ptchurn guest.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';

interface Fixture { name: string; path: string; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));

function boot(sync: 'lazy' | 'eager'): { vm: Vm; serial: () => string } {
  let out = '';
  const f = manifest.find((m) => m.name === 'ptchurn')!;
  const vm = Vm.fromImage(fs.readFileSync(f.path), f.name, { mmu: 'shadow', shadowSync: sync }, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
  return { vm, serial: () => out };
}
function runTo(vm: Vm, n: number): void {
  while (vm.icount < n) {
    const s = vm.run(Math.min(n - vm.icount, 300_000));
    if (s) throw new Error(`stopped at ${vm.icount} before ${n}: ${JSON.stringify(s)}`);
  }
  assert.equal(vm.icount, n);
}

describe('shadow paging under time travel', function () {
  this.timeout(120_000);
  for (const sync of ['lazy', 'eager'] as const) {
    it(`${sync}: a snapshot restored and re-run reaches the same state hash`, () => {
      const { vm } = boot(sync);
      runTo(vm, 700_000);
      const snap = vm.saveSnapshot('N');
      const hN = vm.stateHash();
      runTo(vm, 1_400_000);
      const hM = vm.stateHash();
      vm.loadSnapshot(snap);
      assert.equal(vm.stateHash(), hN);
      runTo(vm, 1_400_000);
      assert.equal(vm.stateHash(), hM);
      const fresh = boot(sync).vm;
      fresh.loadSnapshot(snap);
      runTo(fresh, 1_400_000);
      assert.equal(fresh.stateHash(), hM);
    });

    it(`${sync}: reverse steps reproduce the forward run, and the guest still finishes with the same output`, () => {
      const ref = boot(sync);
      const targets = [250_000, 610_000, 905_000, 1_300_000];
      const expected = new Map<number, string>();
      for (const t of targets) { runTo(ref.vm, t); expected.set(t, ref.vm.stateHash()); }
      const { vm, serial } = boot(sync);
      vm.startRecording({ interval: 200_000, minInterval: 200_000 });
      runTo(vm, 1_500_000);
      for (const t of [...targets].reverse()) {
        vm.gotoIcount(t + 1);
        const r = vm.stepBack(0);
        assert.equal(r.stop.kind, 'step');
        assert.equal(vm.stateHash(), expected.get(t), `state at ${t}`);
      }
      let s;
      for (let k = 0; k < 200 && !s; k++) s = vm.run(1_000_000);
      assert.equal(s?.kind, 'exited');
      assert.match(serial(), /ptchurn: checksum 0x[0-9a-f]{8}, 0 mismatches\nptchurn done\n$/);
    });
  }
});
