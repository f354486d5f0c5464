// Compare two moments: the differences between a moment of recorded history and now are the real
// ones (registers, memory pages, page-table mappings), and looking at the past leaves the present
// exactly as it was (the same state hash, the same future).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { compareMoments, momentDiffText } from '../../../src/core/time/compareMoments';
import { compareHtml } from '../../../src/webview/compareHtml';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const boot = (n: string): Vm => Vm.fromImage(fs.readFileSync(manifest.find((f) => f.name === n)!.path), n, {}, { serialOut: () => undefined });
function runTo(vm: Vm, n: number): void {
  while (vm.icount < n) { const s = vm.run(Math.min(n - vm.icount, 500_000)); if (s) throw new Error(`stopped at ${vm.icount}: ${JSON.stringify(s)}`); }
}

describe('time travel: compare two moments', function () {
  this.timeout(120_000);

  it('ptchurn: registers, memory pages and page-table mappings that differ; the present is untouched', () => {
    const vm = boot('ptchurn');
    vm.startRecording({ interval: 200_000, minInterval: 200_000 });
    runTo(vm, 1_500_000);
    const ref = boot('ptchurn');
    runTo(ref, 1_500_000);
    const hash = vm.stateHash();
    assert.equal(hash, ref.stateHash());
    const d = compareMoments(vm, 400_000);
    assert.equal(d.then, 400_000);
    assert.equal(d.now, 1_500_000);
    assert.equal(vm.stateHash(), hash, 'peeking at the past leaves the present as it was');
    assert.ok(d.registers.some((f) => f.name === 'eip' || f.name === 'EIP'), JSON.stringify(d.registers.slice(0, 5)));
    assert.ok(d.memoryPages > 0 && d.memory.length > 0);
    assert.ok(d.memory.every((m) => m.bytesChanged > 0));
    assert.ok(d.memory.some((m) => m.gpa !== undefined), 'guest RAM pages name their guest-physical address');
    // Each round builds a new address space: the user window at 1 GiB maps other frames.
    assert.ok(d.guestMappings.length > 0, 'page-table mappings differ');
    const text = momentDiffText(d);
    assert.match(text, /^compare instruction count 400000 \(then\) with 1500000 \(now\):/);
    assert.match(text, /memory pages: \d+ differences/);
    const html = compareHtml(d);
    assert.match(html, new RegExp(`Memory pages \\(${d.memoryPages}\\)`));
    assert.match(html, /Guest page-table mappings \(\d+\)/);
    assert.ok(!/<script/i.test(html));
    // The same future as a run that never looked back.
    runTo(vm, 2_000_000); runTo(ref, 2_000_000);
    assert.equal(vm.stateHash(), ref.stateHash());
  });

  it('the same moment has no differences; outside history is a clear error', () => {
    const vm = boot('cpuloop');
    vm.startRecording({ interval: 100_000, minInterval: 100_000 });
    runTo(vm, 300_000);
    const d = compareMoments(vm, 300_000);
    assert.deepEqual([d.registers.length, d.vmcs.length, d.memoryPages, d.guestMappings.length, d.eptMappings.length, d.devices.length], [0, 0, 0, 0, 0, 0]);
    assert.throws(() => compareMoments(vm, 400_000), /outside recorded history \(0\.\.300000\)/);
  });
});
