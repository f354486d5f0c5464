// The teachos COM1 shell, typed at through the recorded input log: `vmm-debug run teachos.img
// --serial-input FILE` puts the file's bytes on COM1's line at icount 0; the kernel keeps what was
// typed ahead, finishes its self-test, sees input waiting and starts the shell, which reads by
// the UART's receive interrupt through the I/O APIC (test/guests/teachos/kernel/serialin.c,
// shell.c). The responses are checked line by line; the output is byte for byte the same under
// EPT and shadow paging and across two runs, and the Multiboot path with `--cmdline shell` runs
// the same shell. Without input the self-test exits as before (teachos.test.ts).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SHELL_INPUT, TEACHOS_ELF, TEACHOS_IMAGE, assertAllPassed, shellTranscript, withoutBootLine } from './teachosExpected';


function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', ...args], { encoding: 'utf8', input: '', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('teachos shell on COM1 (serial input through the input log)', function () {
  this.timeout(900_000);
  let input = '';
  const outputs = new Map<string, string>();

  before(() => {
    input = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'teachos-shell-')), 'commands.txt');
    fs.writeFileSync(input, SHELL_INPUT);
  });

  it('run teachos.img --smp 2 --serial-input: self-test passes, then the shell answers each command and halts', () => {
    const r = run([TEACHOS_IMAGE, '--smp', '2', '--serial-input', input, '--max-insns', '400000000']);
    assertAllPassed(r.stdout.slice(0, r.stdout.indexOf('teachos shell on COM1')), 2, 'teachos shell run (the self-test before the shell)');
    assert.equal(r.status, 1, r.stderr);
    const t = shellTranscript(r.stdout);
    const expected = [
      'teachos shell on COM1 (help lists the commands)',
      'teachos> help', 'commands:',
      /^ {2}help {12}this list$/, /^ {2}echo TEXT/, /^ {2}ps /, /^ {2}mem /, /^ {2}cpus /, /^ {2}selftest /, /^ {2}stress /, /^ {2}halt /,
      'teachos> echo hello from the input log', 'hello from the input log',
      'teachos> ps', 'PID NAME     STATE    EXIT',
      '  1    alpha   exited    0', '  2     beta   exited    0', '  3    gamma   exited    0',
      '  4  spinner   exited  -1 (killed)', '  5  watcher   exited    0', '  6  faulter   exited  -1 (page fault)',
      'teachos> mem', /^mem: \d+ free pages \(\d+ KiB\) in the allocator, kernel ends at 0x[0-9a-f]+$/,
      'teachos> cpus', 'cpu0: local APIC ID 0, running', 'cpu1: local APIC ID 1, running',
      'teachos> bogus', 'bogus: unknown command (try help)',
      'teachos> selftest',
    ];
    const lines = t.split('\n');
    expected.forEach((e, k) => {
      if (typeof e === 'string') assert.equal(lines[k], e, `line ${k} of the shell transcript\n${t}`);
      else assert.match(lines[k], e, `line ${k} of the shell transcript\n${t}`);
    });
    const tail = lines.slice(expected.length);
    assert.equal(tail.filter((l) => l.startsWith('PASS ')).length, 19, t);
    assert.deepEqual(tail.slice(-3), ['teachos> halt', 'teachos: halting (self-test status 0)', ''], t);
    outputs.set('ept', r.stdout);
  });

  for (const mmu of ['shadow-lazy', 'shadow-eager']) {
    it(`--mmu ${mmu}: exactly the bytes of the EPT run`, function () {
      if (!outputs.has('ept')) this.skip();
      const r = run([TEACHOS_IMAGE, '--smp', '2', '--mmu', mmu, '--serial-input', input, '--max-insns', '400000000']);
      assert.equal(r.stdout, outputs.get('ept'), r.stderr);
      assert.equal(r.status, 1, r.stderr);
    });
  }

  it('a second EPT run with the same input: exactly the same bytes (deterministic)', function () {
    if (!outputs.has('ept')) this.skip();
    const r = run([TEACHOS_IMAGE, '--smp', '2', '--serial-input', input, '--max-insns', '400000000']);
    assert.equal(r.stdout, outputs.get('ept'));
  });

  it('--smp 1: the same shell, one CPU listed', () => {
    const r = run([TEACHOS_IMAGE, '--smp', '1', '--serial-input', input, '--max-insns', '400000000']);
    assert.equal(r.status, 1, r.stderr);
    const t = shellTranscript(r.stdout);
    assert.match(t, /teachos> cpus\ncpu0: local APIC ID 0, running\nteachos> bogus\n/);
  });

  it('teachos.elf --cmdline shell (Multiboot): the shell waits for input; with the same input, the same transcript', function () {
    if (!outputs.has('ept')) this.skip();
    const r = run([TEACHOS_ELF, '--disk', TEACHOS_IMAGE, '--smp', '2', '--cmdline', 'console shell', '--serial-input', input, '--max-insns', '400000000']);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(withoutBootLine(r.stdout), withoutBootLine(outputs.get('ept')!));
  });

  it('--cmdline shell with no input: the shell prompts and the VM idles in it (not the self-test exit)', () => {
    const r = run([TEACHOS_ELF, '--disk', TEACHOS_IMAGE, '--smp', '1', '--cmdline', 'shell', '--max-insns', '6000000']);
    assert.ok(r.stdout.endsWith('teachos: 19 passed, 0 failed\nteachos shell on COM1 (help lists the commands)\nteachos> '), r.stdout.slice(-300));
    assert.equal(r.status, 124, 'stopped by --max-insns, not exited through port 0xf4');
  });
});
