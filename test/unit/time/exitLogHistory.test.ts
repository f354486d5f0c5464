// The exit log keeps every exit of the history (issue 7): past 2^20 records (the old limit dropped the
// older half), in compressed chunks, with exact random access, icount search, going back (truncating
// across chunks) and thinning only under its budget, said in the query answer and the timeline view.
// One real run: a guest with 1.1M I/O exits (REP INSB, one exit per element) under recording.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { ExitLog } from '../../../src/core/time/exitLog';
import { exitQueryText, exitSeries, parseExitQuery, runExitQuery } from '../../../src/core/time/exitQuery';
import { timelineHtml } from '../../../src/webview/timelineHtml';
import { repInsbImage } from './repInsbGuest';

/** A deterministic mix: a CPUID loop, port I/O with varying ports and RIPs, two vCPUs, EPT violations. */
function record(k: number): { icount: number; vcpu: number; reason: number; qualification: number; rip: number } {
  const icount = k * 7 + (k % 5) + 1000; // increasing, as the log is
  switch (k % 11) {
    case 0: case 1: case 2: case 3: return { icount, vcpu: 0, reason: 10, qualification: 0, rip: 0x100234 };
    case 4: case 5: return { icount, vcpu: k % 2, reason: 30, qualification: ((0x3f8 + (k % 8)) << 16) | 8 | (k & 1 ? 0 : 0x10), rip: 0x100400 + (k % 97) };
    case 6: return { icount, vcpu: 1, reason: 48, qualification: 0x181 + (k % 3), rip: 0xc0100000 + ((k * 2654435761) >>> 20) };
    default: return { icount, vcpu: 0, reason: 18, qualification: 0xffffffff, rip: (k * 40503) >>> 0 };
  }
}
function fill(log: ExitLog, from: number, to: number): void {
  for (let k = from; k < to; k++) { const r = record(k); log.append(r.icount, r.vcpu, r.reason, r.qualification, r.rip); }
}

describe('time travel: the exit log keeps the whole history', function () {
  this.timeout(180_000);
  const N = 1_500_000;

  it('keeps more than 2^20 records, compressed, with exact records and queries over the whole history', () => {
    const log = new ExitLog();
    fill(log, 0, N);
    assert.equal(log.total, N);
    assert.equal(log.length, N, 'every record kept');
    assert.equal(log.thinned, 0);
    for (const k of [0, 1, 65_535, 65_536, 500_000, 1_048_575, 1_048_576, N - 1, 777_777, 3]) {
      assert.deepEqual(log.at(k), record(k), `record ${k}`);
      assert.equal(log.icountAt(k), record(k).icount);
      assert.equal(log.reasonAt(k), record(k).reason);
      assert.equal(log.vcpuAt(k), record(k).vcpu);
    }
    assert.ok(log.bytes < N * 24 / 3, `compressed: ${log.bytes} bytes for ${N} records`);
    // Queries reach the oldest records (the old log had dropped them).
    const first = runExitQuery(log, parseExitQuery(`reason=CPUID from=0 to=${record(100).icount} limit=1000`));
    assert.equal(first.records[0].icount, record(0).icount);
    assert.equal(first.count, [...Array(101).keys()].filter((k) => k % 11 < 4).length);
    const all = runExitQuery(log, parseExitQuery('reason=EPT_VIOLATION'));
    assert.equal(all.count, [...Array(N).keys()].filter((k) => k % 11 === 6).length);
    assert.equal(all.thinned, 0);
    const lo = record(1_200_000).icount;
    assert.equal(log.lowerBound(lo), 1_200_000);
    assert.equal(log.lowerBound(lo + 1), 1_200_001);
    assert.equal(exitSeries(log, 0, record(N - 1).icount + 1, 64).total, N);
  });

  it('going back truncates across compressed chunks; the log grows again from there', () => {
    const log = new ExitLog();
    fill(log, 0, 300_000);
    log.cursor = 100_000; // a moment in the past (in the second sealed chunk)
    log.truncateFuture();
    assert.equal(log.total, 100_000);
    assert.equal(log.length, 100_000);
    assert.deepEqual(log.at(99_999), record(99_999));
    fill(log, 100_000, 200_000);
    assert.equal(log.length, 200_000);
    for (const k of [65_535, 99_999, 100_000, 131_072, 199_999]) assert.deepEqual(log.at(k), record(k), `record ${k}`);
  });

  it('thins the oldest chunks only past its budget, and the answers say so', () => {
    const log = new ExitLog(512 * 1024);
    fill(log, 0, N);
    assert.ok(log.thinned > 0 && log.thinned % 65_536 === 0, `thinned ${log.thinned}`);
    assert.equal(log.length + log.thinned, N);
    assert.ok(log.bytes <= 512 * 1024 + 65_536 * 24);
    assert.deepEqual(log.at(0), record(log.thinned), 'the oldest kept record');
    const r = runExitQuery(log, parseExitQuery('reason=CPUID'));
    assert.equal(r.thinned, log.thinned);
    assert.match(exitQueryText(r), /older exits, up to instruction [\d,]+, were thinned under the history budget/);
    const late = runExitQuery(log, parseExitQuery(`from=${record(N - 10).icount}`));
    assert.equal(late.thinned, 0, 'a range after the thinned part is complete');
    const html = timelineHtml({ from: 0, to: 1, bins: 1, total: 0, lanes: [], history: { recording: true, start: 0, end: 1, now: 1, checkpoints: 1, historyBytes: 0, exits: N, exitsThinned: log.thinned, exitsThinnedThrough: log.thinnedThrough } }, 'N');
    assert.match(html, /were thinned under the history budget/);
  });

  it('under SMP the log is in the VM\'s instruction count (teachos --smp 2): in order, and an exit of vcpu1 is a moment to travel to', () => {
    const vm = Vm.fromImage(fs.readFileSync('build/guests/teachos.img'), 'teachos.img', { smp: 2 }, { serialOut: () => undefined });
    vm.setExitFilters([]);
    vm.startRecording();
    for (let k = 0; k < 2; k++) vm.run(1_000_000);
    const log = vm.vmm.exitLog;
    for (let k = 1; k < log.length; k++) assert.ok(log.icountAt(k) >= log.icountAt(k - 1), `record ${k} is before record ${k - 1}`);
    const ap = runExitQuery(log, parseExitQuery('vcpu=1 reason=HLT limit=5'));
    assert.ok(ap.count > 0, 'vcpu1 took HLT exits');
    const e = ap.records[ap.records.length - 1];
    assert.ok(e.icount <= vm.icount);
    vm.gotoIcount(e.icount, 1);
    assert.equal(vm.icount, e.icount);
    assert.equal(vm.pc(1), e.rip, 'vcpu1 is at the instruction that exited');
    assert.match(vm.disassemble(1, e.rip, 1)[0].text, /hlt/i);
  });

  it('a real run with 1.1M I/O exits under recording keeps every one; the query and the timeline cover it all', () => {
    const COUNT = 1_100_000;
    const vm = Vm.fromImage(repInsbImage(COUNT), 'repinsb.elf', {}, { serialOut: () => undefined });
    vm.setExitFilters([]);
    const tl = vm.startRecording();
    let stop = null;
    for (let k = 0; k < 100 && !stop; k++) stop = vm.run(1_000_000);
    assert.deepEqual(stop && stop.kind === 'exited' ? stop.status : stop, 1);
    const log = vm.vmm.exitLog;
    assert.ok(log.total > 2 ** 20);
    assert.equal(log.length, log.total, 'nothing dropped or thinned');
    const io = runExitQuery(log, parseExitQuery('reason=IO_INSTRUCTION limit=3'));
    assert.ok(io.count >= COUNT, `${io.count} I/O exits`);
    assert.equal(io.thinned, 0);
    assert.equal(exitSeries(log, tl.start, tl.frontier + 1, 100).total, log.total);
    // The oldest exit is still there, and travelling to it lands on its instruction.
    const first = io.records[0];
    vm.gotoIcount(first.icount, 0);
    assert.equal(vm.pc(0), first.rip);
    assert.match(vm.disassemble(0, first.rip, 1)[0].text, /rep\s+insb/i);
  });
});
