// The PC platform end to end: the `timer` fixture takes PIT interrupts through the 8259A, both while
// halted (idle time skipped to the timer deadline) and while spinning (VMX-preemption timer exits),
// reads the RTC, writes a POST code and the 0xE9 debug console. Two runs are identical.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Vm } from '../../src/core/machine/vm';
import type { StopEvent } from '../../src/core/debug/debugApi';

const TIMER = 'build/guests/timer.elf';
const EXPECTED = 'timer: PIC at 0x20/0x28, PIT 100 Hz, waiting for 10 ticks\nticks: 10\nspinning, ticks: 12\nrtc: 2024-01-01 00:00:00\ntimer done\n';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'utf8', input: '', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('PC platform: timer interrupts, RTC, POST, debugcon', function () {
  this.timeout(120_000);

  it('timer: ticks 10 then 12, the RTC time, exit 0; --debugcon - puts port 0xE9 output on stdout', () => {
    const r = cli(['run', TIMER, '--debugcon', '-']);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, EXPECTED.replace('timer done\n', 'timer: debugcon ok\ntimer done\n'));
  });

  it('timer: two runs are identical (output, exit statistics, I/O trace)', () => {
    const a = cli(['run', TIMER, '--exit-stats', '--trace', 'io']);
    const b = cli(['run', TIMER, '--exit-stats', '--trace', 'io']);
    assert.equal(a.status, 1);
    assert.equal(a.stdout, EXPECTED);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.stderr, b.stderr);
    assert.match(a.stderr, /PREEMPTION_TIMER\s+2\s/);
    assert.match(a.stderr, /HLT\s+10\s/);
  });

  it('--debugcon FILE and --trace io (icount, vCPU, port, direction, size, value)', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vmmdbg-')), 'debugcon.txt');
    const r = cli(['run', TIMER, '--debugcon', file, '--trace', 'io']);
    assert.equal(r.status, 1);
    assert.equal(fs.readFileSync(file, 'utf8'), 'timer: debugcon ok\n');
    const lines = r.stderr.split('\n').filter((l) => / io port=/.test(l));
    assert.ok(lines.some((l) => /^\d+ vcpu0 io port=0x0043 out size=1 value=0x34$/.test(l)), 'PIT control word');
    assert.ok(lines.some((l) => /^\d+ vcpu0 io port=0x0080 out size=1 value=0x55$/.test(l)), 'POST code');
    assert.ok(lines.some((l) => /^\d+ vcpu0 io port=0x0071 in size=1 value=0x24$/.test(l)), 'RTC year');
    const bad = cli(['run', TIMER, '--trace', 'bogus']);
    assert.equal(bad.status, 2);
  });

  it('Vm: injected interrupts are counted; device views, POST code and the idle clock are data', () => {
    const vm = Vm.fromImage(fs.readFileSync(TIMER), 'timer', {}, { serialOut() { /* */ } });
    let s: StopEvent | null = null;
    for (let n = 0; n < 100 && !s; n++) s = vm.run(1_000_000);
    assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 1 });
    assert.equal(vm.vmm.vcpus[0].injected, 12);
    assert.equal(vm.platform.pic.acknowledged, 12);
    assert.equal(vm.platform.post.last, 0x55);
    assert.ok(vm.vmm.clock.idle > 9 * 1_000_000, 'ten 10 ms periods were mostly spent halted');
    const views = vm.devices();
    const master = views.find((g) => g.name === '8259A PIC (master)')!;
    assert.equal(master.fields.find((f) => f.name === 'IMR')!.value, 0xfe);
    assert.equal(vm.textScreen().length, 25);
  });

  it('Vm: a different rtcStart shows in the guest', () => {
    let out = '';
    const vm = Vm.fromImage(fs.readFileSync(TIMER), 'timer', { rtcStart: Date.UTC(2031, 11, 31, 23, 59, 59) / 1000 }, { serialOut(_p, b) { out += String.fromCharCode(...b); } });
    for (let n = 0; n < 100 && !vm.ended; n++) vm.run(1_000_000);
    assert.match(out, /rtc: 2031-12-31 23:59:59\n/);
  });
});
