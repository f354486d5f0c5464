// Several vCPUs on the smp fixture through the Vm facade: INIT-SIPI-SIPI start-up, the schedule's
// determinism (same state hash twice; independent of how run() is sliced; stepping keeps the
// schedule), snapshots and time travel with all vCPUs and APIC state, and the per-vCPU API the
// debugger uses (vcpuCount, registers/VMCS per vCPU, lastVcpu, vcpuExitStats).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm, type VmOptions } from '../../../src/core/machine/vm';
import type { StopEvent } from '../../../src/core/debug/debugApi';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';

interface Fixture { name: string; path: string; symbols: Record<string, number>; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const smp = manifest.find((f) => f.name === 'smp')!;

function boot(opts: VmOptions): { vm: Vm; serial: () => string } {
  let out = '';
  const vm = Vm.fromImage(fs.readFileSync(smp.path), 'smp', opts, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
  return { vm, serial: () => out };
}
function runToStop(vm: Vm, slice = 1_000_000, limit = 60_000_000): StopEvent {
  for (let n = 0; n < limit; n += slice) { const s = vm.run(slice); if (s) return s; }
  throw new Error('no stop');
}

describe('Vm with several vCPUs (smp fixture)', function () {
  this.timeout(300_000);

  it('smp 2: the AP waits for SIPI, is started by INIT-SIPI-SIPI, and the guest passes', () => {
    const { vm, serial } = boot({ smp: 2 });
    assert.equal(vm.vcpuCount, 2);
    assert.equal(vm.vmcs(1).flatMap((g) => g.fields).find((f) => f.name === 'GUEST_ACTIVITY_STATE')?.value, 3, 'wait-for-SIPI');
    const s = runToStop(vm);
    assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 1 }, serial());
    assert.match(serial(), /smp: 2 CPUs\n/);
    assert.match(serial(), /smp: counter 2000\n/);
    const st = vm.vcpuExitStats();
    const count = (v: number, r: number): number => st[v].exits.find((e) => e.reason === r)?.count ?? 0;
    assert.equal(count(1, ExitReason.INIT_SIGNAL), 1);
    assert.equal(count(1, ExitReason.SIPI), 1, 'the second SIPI finds the AP running: discarded');
    assert.equal(count(0, ExitReason.INIT_SIGNAL), 0);
    assert.ok(st[0].apicAccesses > 10 && st[1].apicAccesses >= 4);
    assert.ok(vm.registers(1).length > 0);
    assert.equal(vm.apicDevices().length, 3);
  });

  it('the same run twice gives the same state hash; slicing run() differently changes nothing', () => {
    const a = boot({ smp: 4 }), b = boot({ smp: 4 }), c = boot({ smp: 4 });
    runToStop(a.vm);
    runToStop(b.vm);
    runToStop(c.vm, 77_777);
    assert.equal(a.vm.stateHash(), b.vm.stateHash());
    assert.equal(a.vm.stateHash(), c.vm.stateHash());
    assert.equal(a.serial(), c.serial());
  });

  it('the quantum changes the interleaving, not the result', () => {
    const a = boot({ smp: 3, quantum: 1000 }), b = boot({ smp: 3, quantum: 37 });
    runToStop(a.vm); runToStop(b.vm);
    assert.equal(a.serial(), b.serial());
    assert.notEqual(a.vm.stateHash(), b.vm.stateHash());
  });

  it('a snapshot mid-run (APs running) restored into a fresh VM continues to the same final state', () => {
    const a = boot({ smp: 2 });
    // Run until the AP has started and is inside its counting loop.
    while (a.vm.vcpuExitStats()[1].icount < 5000) assert.equal(a.vm.run(10_000), null);
    const snap = a.vm.saveSnapshot('AP running');
    const hMid = a.vm.stateHash();
    runToStop(a.vm);
    const b = boot({ smp: 2 });
    b.vm.loadSnapshot(snap);
    assert.equal(b.vm.stateHash(), hMid);
    runToStop(b.vm);
    assert.equal(b.vm.stateHash(), a.vm.stateHash());
    const c = boot({ smp: 1 });
    assert.throws(() => c.vm.loadSnapshot(snap), /vCPU|components/);
  });

  it('time travel: going back to an icount and running forward replays every vCPU exactly', () => {
    const { vm } = boot({ smp: 2 });
    vm.startRecording();
    while (vm.vcpuExitStats()[1].icount < 4000) assert.equal(vm.run(2000), null);
    const mark = vm.icount;
    const hMark = vm.stateHash();
    for (let k = 0; k < 5; k++) assert.equal(vm.run(2000), null);
    const hLater = vm.stateHash();
    const later = vm.icount;
    vm.gotoIcount(mark);
    assert.equal(vm.stateHash(), hMark);
    vm.gotoIcount(later);
    assert.equal(vm.stateHash(), hLater);
  });

  it('stepping vCPU 0 lets the others run their turns: the state equals a continuous run', () => {
    const a = boot({ smp: 2 }), b = boot({ smp: 2 });
    while (a.vm.vcpuExitStats()[1].icount < 3000) assert.equal(a.vm.run(5000), null);
    for (let k = 0; k < 200; k++) { const s = a.vm.step(0); assert.equal(s.kind, 'step'); }
    b.vm.run(a.vm.icount);
    assert.equal(b.vm.icount, a.vm.icount);
    // Reading the registers materializes the lazy flags in both (stepping reads them at every stop).
    assert.deepEqual(a.vm.registers(0), b.vm.registers(0));
    assert.deepEqual(a.vm.registers(1), b.vm.registers(1));
    assert.equal(a.vm.stateHash(), b.vm.stateHash());
  });

  it('shadow paging: a zap of the shared shadow pages makes every vCPU flush, exit and reload its root; the guest still passes', () => {
    const { vm, serial } = boot({ smp: 3, mmu: 'shadow' });
    while (vm.vcpuExitStats()[2].icount < 2000) assert.equal(vm.run(5000), null);
    const sh = vm.vmm.shadow!;
    sh.zapAll();
    for (const v of vm.vmm.vcpus) {
      assert.equal(v.shadowReload, true);
      if (v.inGuest && v.cpu.activity === 0) assert.equal(v.vmx.kickPending, true, `vCPU${v.id} kicked`);
    }
    const s = runToStop(vm);
    assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 1 }, serial());
    assert.ok(vm.vmm.vcpus.every((v) => !v.shadowReload || v.cpu.activity !== 0));
    assert.match(serial(), /smp: counter 4000\n[^]*smp: PASS\n$/);
  });
});
