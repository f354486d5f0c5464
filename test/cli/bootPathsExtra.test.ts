// Boot paths and CLI contract items the other platform tests do not cover: a Multiboot kernel in the
// a.out kludge format (header flags bit 16: load/entry addresses from the header, Multiboot spec
// 3.1.3), checked under EPT and shadow paging and against QEMU -kernel where it is installed; and
// `--debugcon FILE` (port 0xE9 output to a file, COM1 output alone on stdout).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'utf8', input: '', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-boot-'));

/**
 * A raw (non-ELF) Multiboot image: header at offset 0 with the a.out kludge (flags 0x00010003;
 * header_addr = load_addr = 0x100000, load_end_addr = 0: the whole file, bss_end_addr = 0x102000,
 * entry_addr = 0x100020). The code checks EAX = 0x2BADB002 and that EBX points at an info structure
 * whose flags have bit 0 (mem_lower/upper), then prints "A" on COM1 and exits with 0; else exits 1.
 */
function aoutKernel(): Uint8Array {
  const b = Buffer.alloc(0x800, 0x90);
  const h = [0x1badb002, 0x00010003, 0, 0x100000, 0x100000, 0, 0x102000, 0x100020];
  h[2] = (-(h[0] + h[1])) >>> 0;
  h.forEach((v, k) => b.writeUInt32LE(v >>> 0, 4 * k));
  Buffer.from([
    0x3d, 0x02, 0xb0, 0xad, 0x2b,       // cmp eax, 0x2BADB002
    0x75, 0x15,                         // jne fail
    0xf6, 0x03, 0x01,                   // test byte [ebx], 1 (mbi flags bit 0)
    0x74, 0x10,                         // jz fail
    0x66, 0xba, 0xf8, 0x03,             // mov dx, 0x3f8
    0xb0, 0x41, 0xee,                   // mov al, 'A'; out dx, al
    0xb0, 0x00, 0xe6, 0xf4, 0xf4,       // mov al, 0; out 0xf4, al; hlt
    0x90, 0x90, 0x90, 0x90,
    0xb0, 0x01, 0xe6, 0xf4, 0xf4,       // fail: mov al, 1; out 0xf4, al; hlt
  ]).copy(b, 0x20);
  return b;
}

describe('CLI: Multiboot a.out kludge, --debugcon FILE', function () {
  this.timeout(180_000);
  let kernel = '';
  before(() => { kernel = path.join(tmp(), 'aout.bin'); fs.writeFileSync(kernel, aoutKernel()); });

  for (const mmu of ['ept', 'shadow']) {
    it(`a.out kludge kernel (--mmu ${mmu}): loaded at load_addr, entered at entry_addr with the Multiboot magic and info`, () => {
      const r = cli(['run', kernel, '--mmu', mmu]);
      assert.equal(r.stdout, 'A', r.stderr);
      assert.equal(r.status, 1, r.stderr);
    });
  }

  it('a.out kludge kernel under QEMU -kernel: the same output and status (pending without QEMU)', function () {
    if (spawnSync('qemu-system-i386', ['--version']).status !== 0) { console.log('    qemu-system-i386 not installed: skipped (not a pass)'); this.skip(); }
    const r = spawnSync('qemu-system-i386', ['-kernel', kernel, '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.stdout, 'A', r.stderr);
    assert.equal(r.status, 1, r.stderr);
  });

  it('--debugcon FILE: port 0xE9 bytes go to the file, COM1 alone to stdout', () => {
    const f = path.join(tmp(), 'debugcon.txt');
    const r = cli(['run', 'build/guests/timer.elf', '--debugcon', f]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(fs.readFileSync(f, 'utf8'), 'timer: debugcon ok\n');
    assert.doesNotMatch(r.stdout, /debugcon ok/);
    assert.match(r.stdout, /timer done\n$/);
  });

  it('--debugcon into a directory that does not exist: one line, status 2', () => {
    const r = cli(['run', 'build/guests/timer.elf', '--debugcon', '/nonexistent/dir/out.txt']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vmm-debug: cannot write --debugcon file "\/nonexistent\/dir\/out\.txt": /);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  });
});
