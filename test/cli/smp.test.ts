// CLI on the smp fixture: --smp 1, 2, 4 under --mmu ept and shadow (lazy, eager) give identical serial
// output and exit status; two runs are identical (serial output and every exit count); --exit-stats
// shows per-vCPU counts with the INIT / SIPI exits and the APIC accesses; bad --smp / --quantum values
// are refused with one line.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

interface Fixture { name: string; path: string; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const smp = manifest.find((f) => f.name === 'smp')!;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI: --smp on the smp fixture', function () {
  this.timeout(600_000);

  for (const n of [1, 2, 4]) {
    it(`--smp ${n}: PASS, and the same serial output and status under ept, shadow-lazy and shadow-eager`, () => {
      const runs = ['ept', 'shadow-lazy', 'shadow-eager'].map((m) => cli(['run', smp.path, '--smp', String(n), '--mmu', m]));
      const ept = runs[0];
      assert.equal(ept.status, 1, ept.stderr);
      assert.match(ept.stdout, new RegExp(`smp: ${n} CPUs\\n`));
      assert.match(ept.stdout, new RegExp(`smp: counter ${(n - 1) * 2000}\\n`));
      assert.ok(ept.stdout.endsWith('smp: PASS\n'), ept.stdout);
      assert.doesNotMatch(ept.stdout, /FAIL/);
      for (const r of runs.slice(1)) {
        assert.equal(r.stdout, ept.stdout);
        assert.equal(r.status, ept.status, r.stderr);
      }
    });
  }

  it('two runs are identical: serial output, exit status and every exit count (per vCPU too)', () => {
    const a = cli(['run', smp.path, '--smp', '4', '--exit-stats']);
    const b = cli(['run', smp.path, '--smp', '4', '--exit-stats']);
    assert.equal(a.status, 1);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.stderr, b.stderr);
  });

  it('--exit-stats shows per-vCPU exits with INIT_SIGNAL, SIPI and the APIC accesses', () => {
    const r = cli(['run', smp.path, '--smp', '2', '--exit-stats']);
    assert.equal(r.status, 1, r.stderr);
    const block = (v: number): string => r.stderr.split(`\nvcpu${v}: `)[1]?.split('\n\n')[0] ?? '';
    assert.match(block(0), /^\d+ exits, \d+ instructions, \d+ APIC accesses/);
    assert.doesNotMatch(block(0), /INIT_SIGNAL|SIPI/);
    assert.match(block(1), /INIT_SIGNAL\s+1\n/);
    assert.match(block(1), /SIPI\s+1/);
    const apic = Number(/(\d+) APIC accesses/.exec(block(1))?.[1]);
    assert.ok(apic >= 4, `vCPU1 APIC accesses ${apic}`);
    // The all-vCPU table counts the same exits.
    assert.match(r.stderr, /^\s+INIT_SIGNAL\s+1\s+[\d.]+%$/m);
  });

  it('--trace exits names the vCPU of INIT and SIPI exits and the SIPI vector', () => {
    const r = cli(['run', smp.path, '--smp', '2', '--trace', 'exits']);
    assert.match(r.stderr, /^\d+ vcpu1 INIT_SIGNAL /m);
    assert.match(r.stderr, /^\d+ vcpu1 SIPI qual=0x8 .*SIPI vector 0x8/m);
  });

  it('bad --smp and --quantum values are refused with one line', () => {
    for (const [args, re] of [[['--smp', '9'], /smp must be an integer from 1 to 8/], [['--smp', '0'], /smp must be an integer from 1 to 8/], [['--quantum', '0'], /quantum must be an integer/]] as const) {
      const r = cli(['run', smp.path, ...args]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, re);
    }
  });
});
