// Live marks (docs/adr/0019): while the VM runs forward at the end of history the timeline keeps a
// mark every `liveMarkSpacing` instructions (the last two), so the first step back after running
// forward replays at most that far instead of from the last checkpoint (up to a whole interval).
// They are a cache: exact like checkpoints, dropped by a fork of the timeline.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { runTo as runToCount } from './runHelpers';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const boot = (n: string): Vm => { const p = manifest.find((f) => f.name === n)!.path; return Vm.fromImage(fs.readFileSync(p), p, {}, { serialOut: () => undefined }); };
// Adapter-like slices that do not line up with the mark spacing.
const runTo = (vm: Vm, n: number): void => runToCount(vm, n, 333_333);

describe('time travel: live marks at the end of history (ADR 0019)', function () {
  this.timeout(300_000);

  it('the first step back after running forward starts from the latest live mark, and is exact', () => {
    const end = 7_654_321;
    const ref = boot('cpuloop');
    const want = new Map<number, string>();
    for (const t of [6_500_000, end - 2, end - 1]) { runTo(ref, t); want.set(t, ref.stateHash()); }

    const vm = boot('cpuloop');
    const tl = vm.startRecording({ liveMarkSpacing: 1_000_000 });
    runTo(vm, end);
    assert.equal(tl.stats().checkpoints, 1, 'one checkpoint (at the start): the run is shorter than an interval');
    const live = tl.marks.atOrBefore(end - 1);
    assert.ok(live && live.live && live.icount === 7_000_000, `latest mark before ${end}: ${live?.icount}`);
    assert.equal(tl.marks.count, 2, 'the last two live marks are kept');
    assert.equal(tl.marks.atOrBefore(5_999_999), undefined, 'older live marks were evicted');

    vm.stepBack(0);
    assert.equal(vm.icount, end - 1);
    assert.equal(vm.stateHash(), want.get(end - 1));
    vm.stepBack(0);
    assert.equal(vm.stateHash(), want.get(end - 2));
    vm.gotoIcount(6_500_000);
    assert.equal(vm.stateHash(), want.get(6_500_000), 'from the live mark at 6,000,000');
    runTo(vm, end + 200_000);
    runTo(ref, end + 200_000);
    assert.equal(vm.stateHash(), ref.stateHash(), 'forward again: replay, then live');
  });

  it('without live marks the first step back replays from the checkpoint', () => {
    const vm = boot('cpuloop');
    const tl = vm.startRecording({ liveMarkSpacing: 0 });
    runTo(vm, 3_000_000);
    assert.equal(tl.marks.count, 0);
    assert.equal(tl.marks.atOrBefore(2_999_999), undefined);
  });

  it('a fork drops live marks of the discarded future; new ones follow the new end of history', () => {
    const vm = boot('cpuloop');
    const tl = vm.startRecording({ liveMarkSpacing: 500_000 });
    runTo(vm, 2_600_000);
    vm.gotoIcount(1_200_000);
    const msg = vm.writeMemory(0, 'gpa', 0x200000, new Uint8Array([9])).message;
    assert.match(msg ?? '', /changed the past/);
    assert.ok((tl.marks.atOrBefore(2_600_000)?.icount ?? 0) < 1_200_000, 'marks at and after the fork point are gone');
    runTo(vm, 2_100_000);
    const m = tl.marks.atOrBefore(2_099_999)!;
    assert.ok(m.live && m.icount === 2_000_000, `new live mark: ${m.icount}`);
    const ref = boot('cpuloop');
    runTo(ref, 1_200_000);
    ref.writeMemory(0, 'gpa', 0x200000, new Uint8Array([9]));
    runTo(ref, 2_050_000);
    vm.gotoIcount(2_050_000);
    assert.equal(vm.stateHash(), ref.stateHash(), 'the new timeline through its live mark');
  });

  it('the history budget bounds checkpoints, exit log and marks together', () => {
    const vm = boot('cpuloop');
    const tl = vm.startRecording({ budgetBytes: 8 << 20, liveMarkSpacing: 250_000 });
    runTo(vm, 4_000_000);
    const st = tl.stats();
    assert.equal(st.budgetBytes, 8 << 20);
    assert.equal(tl.store.budgetBytes, 4 << 20, 'checkpoints: half');
    assert.equal(vm.vmm.exitLog.budgetBytes, 2 << 20, 'exit log: a quarter');
    assert.equal(tl.marks.capBytes, 2 << 20, 'marks: a quarter');
    assert.ok(st.markBytes <= 2 << 20 && st.markBytes > 0, `marks hold ${st.markBytes}`);
    assert.equal(st.totalBytes, st.bytes + st.exitLogBytes + st.markBytes);
  });
});
