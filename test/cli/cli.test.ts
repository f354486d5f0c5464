// The CLI contract, run as a user would: `node bin/vmm-debug.js run IMAGE [options]` on the guest
// fixtures built from test/guests/ (manifest: build/guests/manifest.json).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Fixture { name: string; path: string; outcome: string; expectedStatus: number | null; expectedSerial?: string; expectedSerialIncludes?: string[]; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const fixture = (n: string): Fixture => manifest.find((f) => f.name === n)!;

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'utf8', input: input ?? '', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI: vmm-debug run', function () {
  this.timeout(120_000);

  for (const f of manifest.filter((m) => m.name !== 'cpuloop')) {
    it(`runs the ${f.name} fixture: serial output and exit status`, () => {
      const r = cli(['run', f.path]);
      if (f.expectedSerial !== undefined) assert.equal(r.stdout, f.expectedSerial);
      for (const s of f.expectedSerialIncludes ?? []) assert.ok(r.stdout.includes(s), `missing ${JSON.stringify(s)} in ${JSON.stringify(r.stdout)}`);
      if (f.outcome === 'exit') assert.equal(r.status, f.expectedStatus, r.stderr);
      else assert.equal(r.status, 0, r.stderr); // triple fault / halted for good: the VM shut down
    });
  }

  it('demo: the hypercall console and the virtual CPU model are visible to the guest', () => {
    const r = cli(['run', fixture('demo').path]);
    assert.match(r.stdout, /cpuid\.40000000: max=0x40000001 vendor=vmm-debug VT/);
    assert.match(r.stdout, /vmcall putc: \[!\] eax=0x00000000/);
  });

  it('triple fault explains itself on stderr', () => {
    const r = cli(['run', fixture('triple').path]);
    assert.match(r.stderr, /triple fault on vCPU0/);
  });

  it('--max-insns stops with status 124', () => {
    const r = cli(['run', fixture('demo').path, '--max-insns', '1000']);
    assert.equal(r.status, 124);
    assert.match(r.stderr, /stopped after 1000 instructions/);
  });

  it('--exit-stats prints a perf-kvm-stat style table to stderr', () => {
    const r = cli(['run', fixture('hello').path, '--exit-stats']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /VM-EXIT\s+Samples\s+Samples%/);
    assert.match(r.stderr, /IO_INSTRUCTION\s+\d+\s+[\d.]+%/);
    assert.match(r.stderr, /CPUID\s+1\s+/);
    assert.equal(r.stdout, 'Hello from the guest\n');
  });

  it('--trace exits prints one line per VM exit with icount, vCPU, reason and qualification', () => {
    const r = cli(['run', fixture('hello').path, '--trace', 'exits']);
    const lines = r.stderr.split('\n').filter((l) => /^\d+ vcpu0 /.test(l));
    assert.ok(lines.length > 10);
    assert.ok(lines.some((l) => /^\d+ vcpu0 CPUID /.test(l)));
    assert.ok(lines.some((l) => /IO_INSTRUCTION qual=0x3f80000 .*port 0x3f8 out, 1 byte/.test(l)), lines.join('\n'));
    const icounts = lines.map((l) => Number(l.split(' ')[0]));
    assert.deepEqual(icounts, [...icounts].sort((a, b) => a - b), 'icount never goes backwards');
  });

  it('the same image gives the same output and exit trace on every run (determinism)', () => {
    const a = cli(['run', fixture('demo').path, '--trace', 'exits']);
    const b = cli(['run', fixture('demo').path, '--trace', 'exits']);
    assert.equal(a.stdout, b.stdout);
    assert.equal(a.stderr, b.stderr);
  });

  describe('bad input: a clear message, no stack trace, status 2', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-cli-'));
    const bad = (args: string[], re: RegExp): void => {
      const r = cli(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    };
    it('missing image file', () => bad(['run', path.join(tmp, 'nope.elf')], /cannot read image ".*nope\.elf": no such file/));
    it('a directory', () => bad(['run', tmp], /it is a directory/));
    it('a file that is neither ELF nor Multiboot', () => {
      const p = path.join(tmp, 'text.bin');
      fs.writeFileSync(p, 'just some text, not a kernel\n');
      bad(['run', p], /not a Multiboot kernel or ELF32 executable, and not a bootable disk image/);
    });
    it('a 64-bit ELF', () => bad(['run', process.execPath], /64-bit ELF.*IA-32/));
    it('a truncated ELF', () => {
      const p = path.join(tmp, 'trunc.elf');
      fs.writeFileSync(p, fs.readFileSync(fixture('hello').path).subarray(0, 40));
      bad(['run', p], /truncated ELF header/);
    });
    it('an ELF for another machine', () => {
      const b = Buffer.from(fs.readFileSync(fixture('hello').path));
      b.writeUInt16LE(40, 18); // EM_ARM
      const p = path.join(tmp, 'arm.elf');
      fs.writeFileSync(p, b);
      bad(['run', p], /machine 40 \(ARM\); expected EM_386/);
    });
    it('unknown --mmu value', () => bad(['run', fixture('hello').path, '--mmu', 'bogus'], /--mmu must be "ept" or "shadow", got "bogus"/));
    it('unknown option', () => bad(['run', fixture('hello').path, '--frobnicate'], /unknown option --frobnicate/));
    it('missing IMAGE', () => bad(['run'], /missing IMAGE/));
    it('--smp out of range', () => bad(['run', fixture('hello').path, '--smp', '99'], /smp must be an integer from 1 to 8/));
  });
});
