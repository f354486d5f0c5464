// CLI input flags: --keyboard-input FILE (ASCII -> 8042 scancode set 1 -> the BIOS's INT 09h ->
// INT 16h), --serial-input FILE (COM1's line, via the input log at icount 0; the teachos shell test
// uses it end to end), --rtc-start (the MC146818's start time, read back through INT 1Ah AH=04h/02h),
// and their one-line errors.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'latin1', input: '', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function disk(code: number[]): string {
  const b = Buffer.alloc(16 * 512);
  Buffer.from(code).copy(b);
  b[510] = 0x55; b[511] = 0xaa;
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-input-')), 'disk.img');
  fs.writeFileSync(f, b);
  return f;
}
const file = (text: string): string => { const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-input-')), 'in.txt'); fs.writeFileSync(f, text); return f; };
const exit0 = [0xb0, 0x00, 0xe6, 0xf4];

describe('CLI: --keyboard-input, --serial-input, --rtc-start', function () {
  this.timeout(120_000);

  it('--keyboard-input: each byte is a key press the guest reads with INT 16h AH=00h', () => {
    const getKeyAndEcho = [0xb4, 0x00, 0xcd, 0x16, 0xba, 0xf8, 0x03, 0xee]; // mov ah,0; int 16h; mov dx,3F8h; out dx,al
    const img = disk([...getKeyAndEcho, ...getKeyAndEcho, ...getKeyAndEcho, ...exit0]);
    const r = cli(['run', img, '--keyboard-input', file('Hi!')]);
    assert.equal(r.stdout, 'Hi!', r.stderr);
    assert.equal(r.status, 1, r.stderr);
  });

  it('--serial-input: the guest reads the bytes from COM1 (LSR.DR, RBR)', () => {
    // 3 x (wait for LSR bit 0; in al, dx from RBR; out dx, al to THR); exit
    const readEcho = [0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0xfb, 0xba, 0xf8, 0x03, 0xec, 0xee];
    const img = disk([...readEcho, ...readEcho, ...readEcho, ...exit0]);
    const r = cli(['run', img, '--serial-input', file('abc')]);
    assert.equal(r.stdout, 'abc', r.stderr);
    assert.equal(r.status, 1, r.stderr);
  });

  for (const [arg, bytes] of [['2030-05-17T13:45:00Z', [0x20, 0x30, 0x05, 0x17, 0x13, 0x45]], ['0', [0x19, 0x70, 0x01, 0x01, 0x00, 0x00]]] as const) {
    it(`--rtc-start ${arg}: INT 1Ah AH=04h/02h read that date and time (BCD)`, () => {
      // mov ah,4; int 1Ah; mov al,ch; mov bx,dx; mov dx,3F8h; out; mov al,cl; out; mov al,bh; out; mov al,bl; out;
      // mov ah,2; int 1Ah; mov dx,3F8h; mov al,ch; out; mov al,cl; out; exit
      const code = [0xb4, 0x04, 0xcd, 0x1a, 0x88, 0xe8, 0x89, 0xd3, 0xba, 0xf8, 0x03, 0xee, 0x88, 0xc8, 0xee, 0x88, 0xf8, 0xee, 0x88, 0xd8, 0xee,
        0xb4, 0x02, 0xcd, 0x1a, 0xba, 0xf8, 0x03, 0x88, 0xe8, 0xee, 0x88, 0xc8, 0xee, ...exit0];
      const r = cli(['run', disk(code), '--rtc-start', arg]);
      assert.deepEqual([...Buffer.from(r.stdout, 'latin1')], bytes, r.stderr);
      assert.equal(r.status, 1, r.stderr);
    });
  }

  it('bad input: a missing input file or a bad --rtc-start is one line and exit status 2', () => {
    const img = disk(exit0);
    let r = cli(['run', img, '--serial-input', '/nonexistent/commands.txt']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'vmm-debug: cannot read --serial-input file "/nonexistent/commands.txt": no such file\n');
    r = cli(['run', img, '--keyboard-input']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vmm-debug: --keyboard-input needs a file name\n/);
    r = cli(['run', img, '--rtc-start', 'yesterday']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vmm-debug: --rtc-start needs Unix seconds or a UTC date such as 2024-01-01T00:00:00Z, got "yesterday"\n/);
    r = cli(['run', img, '--rtc-start', '9999999999']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vmm-debug: rtcStart must be Unix seconds from 0 to 4102444799/);
  });
});
