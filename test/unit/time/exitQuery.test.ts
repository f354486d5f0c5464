// The exit log queries behind the Debug Console's `exits …` and the exit timeline view: counts and
// records agree with the exits the VM took, ranges and filters work, bad queries get clear errors,
// and the timeline's bins add up; the webview draws one lane per vCPU with the reasons' counts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { exitQueryText, exitSeries, parseExitQuery, runExitQuery } from '../../../src/core/time/exitQuery';
import { timelineHtml } from '../../../src/webview/timelineHtml';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const boot = (n: string): Vm => Vm.fromImage(fs.readFileSync(manifest.find((f) => f.name === n)!.path), n, {}, { serialOut: () => undefined });

describe('time travel: exit log queries and the exit timeline', function () {
  this.timeout(60_000);

  it('counts, ranges and lists CPUID exits of cpuidloop', () => {
    const vm = boot('cpuidloop');
    vm.setExitFilters([]);
    for (let k = 0; k < 100; k++) { const s = vm.run(1_000_000); if (s) break; }
    const log = vm.vmm.exitLog;
    const cpuid = vm.exitStats().find((r) => r.reasonName === 'CPUID')!.count;
    assert.ok(cpuid >= 20_000);
    const all = runExitQuery(log, parseExitQuery('reason=CPUID'));
    assert.equal(all.count, cpuid);
    assert.equal(all.records.length, 20);
    assert.ok(all.records.every((r) => r.reasonName === 'CPUID' && r.reason === 10 && r.vcpu === 0));
    // A range: exactly the records whose icount lies in it.
    const a = all.records[3].icount, b = all.records[12].icount;
    const some = runExitQuery(log, parseExitQuery(`reason=cpuid from=${a} to=${b} limit=100`));
    assert.equal(some.count, 10);
    assert.deepEqual(some.records.map((r) => r.icount), all.records.slice(3, 13).map((r) => r.icount));
    assert.equal(runExitQuery(log, parseExitQuery('reason=EXIT_REASON_CPUID vcpu=1')).count, 0);
    const text = exitQueryText(some);
    assert.match(text, /^10 CPUID exits in instructions \d+\.\.\d+/);
    assert.match(text, /vcpu0 {2}CPUID/);
    // No reason: every exit, with the counts per reason.
    const every = runExitQuery(log, parseExitQuery(''));
    assert.equal(every.count, log.total);
    assert.equal(every.byReason.reduce((n, r) => n + r.count, 0), log.total);
  });

  it('refuses bad queries with a clear message', () => {
    assert.throws(() => parseExitQuery('reason=NOPE'), /unknown exit reason "NOPE"/);
    assert.throws(() => parseExitQuery('from=10 to=5'), /from=10 is after to=5/);
    assert.throws(() => parseExitQuery('colour=red'), /unknown key "colour"/);
    assert.throws(() => parseExitQuery('cpuid'), /expected key=value/);
    assert.throws(() => parseExitQuery('from=abc'), /from=abc is not a number/);
  });

  it('bins exits per vCPU and reason for the timeline, and the webview draws them', () => {
    const vm = boot('io');
    vm.setExitFilters([]);
    for (let k = 0; k < 10; k++) { if (vm.run(1_000_000)) break; }
    const log = vm.vmm.exitLog;
    const s = exitSeries(log, 0, vm.icount + 1, 50);
    assert.equal(s.total, log.total);
    assert.equal(s.lanes.reduce((n, l) => n + l.counts.reduce((x, y) => x + y, 0), 0), log.total);
    assert.ok(s.lanes.some((l) => l.reasonName === 'IO_INSTRUCTION'));
    const html = timelineHtml({ ...s, history: { recording: true, start: 0, end: vm.icount, now: vm.icount, checkpoints: 1, historyBytes: 1024, exits: log.total } }, 'NONCE123');
    assert.match(html, /script-src 'nonce-NONCE123'/);
    assert.match(html, /IO_INSTRUCTION \(30\)/);
    assert.ok(!/<script>/.test(html), 'every script carries the nonce');
  });
});
