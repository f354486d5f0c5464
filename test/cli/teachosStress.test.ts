// The teachos stress workload (test/guests/teachos/kernel/stress.c): the self-test's six processes
// round after round - spawned, run on both CPUs with timer preemption, judged by the self-test's
// checks, reaped (pages and process-table slots freed) - plus a scratch sector written and read
// back, one progress line per round. Typed through the input log (`stress 5` then `halt`), the lines
// say every round passed and the allocator's free pages are the same after every round (no leak);
// the bytes are the same under EPT and shadow paging. The Multiboot command line selects it too:
// `stress=N` ends the VM after N rounds, `stress` runs until Ctrl-C arrives on COM1.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TEACHOS_ELF, TEACHOS_IMAGE, assertAllPassed, assertStressRounds, STRESS_INPUT } from './teachosExpected';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', ...args], { encoding: 'utf8', input: '', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('teachos stress workload (processes round after round, reaped, no leak)', function () {
  this.timeout(600_000);
  let dir = '';
  let ept = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teachos-stress-'));
    fs.writeFileSync(path.join(dir, 'stress5.txt'), STRESS_INPUT);
    fs.writeFileSync(path.join(dir, 'ctrlc.txt'), '\x03halt\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('teachos.img --smp 2 with `stress 5`: five rounds pass, free pages equal after every round, halt ends the VM', () => {
    const r = run([TEACHOS_IMAGE, '--smp', '2', '--serial-input', path.join(dir, 'stress5.txt'), '--max-insns', '400000000']);
    assertAllPassed(r.stdout.slice(0, r.stdout.indexOf('teachos shell on COM1')), 2, 'the self-test before the shell');
    assertStressRounds(r.stdout, 5, 2);
    assert.ok(r.stdout.endsWith('teachos> halt\nteachos: halting (self-test status 0)\n'), r.stdout.slice(-400));
    assert.equal(r.status, 1, r.stderr);
    ept = r.stdout;
  });

  it('--mmu shadow-lazy: exactly the bytes of the EPT run', function () {
    if (!ept) this.skip();
    const r = run([TEACHOS_IMAGE, '--smp', '2', '--mmu', 'shadow-lazy', '--serial-input', path.join(dir, 'stress5.txt'), '--max-insns', '400000000']);
    assert.equal(r.stdout, ept, r.stderr);
    assert.equal(r.status, 1, r.stderr);
  });

  it('teachos.elf --cmdline stress=2 (Multiboot, --smp 1): two rounds, then the VM ends with the self-test status', () => {
    const r = run([TEACHOS_ELF, '--disk', TEACHOS_IMAGE, '--smp', '1', '--cmdline', 'console stress=2', '--max-insns', '400000000']);
    assertStressRounds(r.stdout, 2, 1);
    assert.ok(!r.stdout.includes('teachos shell on COM1'), 'no shell: the command line asked for stress only');
    assert.ok(r.stdout.endsWith('stress: 2 rounds, 0 failed\nteachos: halting (self-test status 0)\n'), r.stdout.slice(-400));
    assert.equal(r.status, 1, r.stderr);
  });

  it('--cmdline stress (until Ctrl-C, --smp 1): a Ctrl-C on COM1 ends it after the round, then the shell takes `halt`', () => {
    const r = run([TEACHOS_ELF, '--disk', TEACHOS_IMAGE, '--smp', '1', '--cmdline', 'stress', '--serial-input', path.join(dir, 'ctrlc.txt'), '--max-insns', '400000000']);
    assert.match(r.stdout, /stress: rounds of the self-test's processes on 1 cpu\(s\) until Ctrl-C\n/);
    assertStressRounds(r.stdout, 1, 1);
    assert.ok(r.stdout.endsWith('teachos shell on COM1 (help lists the commands)\nteachos> halt\nteachos: halting (self-test status 0)\n'), r.stdout.slice(-400));
    assert.equal(r.status, 1, r.stderr);
  });
});
