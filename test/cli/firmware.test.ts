// The PC platform's boot paths end to end through the CLI: a raw disk image (the `bootsector`
// fixture, validated against QEMU + SeaBIOS: same COM1 lines), the copy-on-write disk overlay and
// --disk-writeback, bad disk images, a firmware ROM at the reset vector (`biosrom`), a flat binary
// (--load-addr). Fixtures: build/guests/images.json (scripts/buildGuests.mjs `imageFixtures`).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface ImageFixture { name: string; path: string; expectedStatus: number; expectedSerial?: string; expectedDebugcon?: string; expectedPost?: number[]; }
const images: ImageFixture[] = JSON.parse(fs.readFileSync('build/guests/images.json', 'utf8'));
const image = (n: string): ImageFixture => images.find((f) => f.name === n)!;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'utf8', input: '', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-fw-'));
/** The scratch sector's pattern the fixture writes with INT 13h AH=43h (byte k = k ^ 0x5A). */
const SCRATCH_LBA = 40;
const pattern = Uint8Array.from({ length: 512 }, (_, k) => (k & 0xff) ^ 0x5a);

describe('CLI: PC platform boot paths (disk image, BIOS ROM, flat binary)', function () {
  this.timeout(180_000);

  it('bootsector.img boots under EPT: the same PASS lines as under QEMU + SeaBIOS, exit 0', () => {
    const f = image('bootsector');
    const r = cli(['run', f.path]);
    assert.equal(r.stdout, f.expectedSerial, r.stderr);
    assert.equal(r.status, f.expectedStatus, r.stderr);
  });

  it('bootsector.img: BIOS services are VMCALL exits, the timer EOI an I/O exit', () => {
    const r = cli(['run', image('bootsector').path, '--exit-stats', '--trace', 'exits']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /VMCALL\s+\d+\s/);
    // INT 13h AH=42h from stage 1 (the guest's CS:IP is in the F000:E130 stub of vector 13h).
    assert.match(r.stderr, /VMCALL qual=0x0 rip=0xfe130/);
    assert.match(r.stderr, /VMCALL qual=0x0 rip=0xfe100/);   // INT 10h
    assert.match(r.stderr, /IO_INSTRUCTION .*port 0x20\b/i); // INT 08h's EOI to the master PIC
  });

  it('bootsector.img under shadow paging: a clear one-line error (real mode needs unrestricted guest), status 2', () => {
    const r = cli(['run', image('bootsector').path, '--mmu', 'shadow']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vmm-debug: mmu "shadow": .*starts in real mode.*EPT.*\n$/);
  });

  it('disk writes go to the copy-on-write overlay: the image file is unchanged afterwards', () => {
    const d = tmp(), img = path.join(d, 'disk.img');
    fs.copyFileSync(image('bootsector').path, img);
    const before = sha(img);
    const r = cli(['run', img]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /PASS int13 extended write and read back/);
    assert.match(r.stdout, /PASS ata read sectors sees the int13 write/);
    assert.equal(sha(img), before);
  });

  it('--disk-writeback writes the guest\'s sectors back to the image file', () => {
    const d = tmp(), img = path.join(d, 'disk.img');
    fs.copyFileSync(image('bootsector').path, img);
    const r = cli(['run', img, '--disk-writeback']);
    assert.equal(r.status, 1, r.stderr);
    const b = fs.readFileSync(img);
    assert.deepEqual(Uint8Array.from(b.subarray(SCRATCH_LBA * 512, SCRATCH_LBA * 512 + 512)), pattern);
    assert.deepEqual(b.subarray(0, 512), fs.readFileSync(image('bootsector').path).subarray(0, 512));
  });

  it('--disk attaches more drives: the boot disk is still 0x80 and the fixture still passes', () => {
    const d = tmp(), extra = path.join(d, 'extra.img');
    fs.writeFileSync(extra, Buffer.alloc(64 * 512));
    const r = cli(['run', image('bootsector').path, '--disk', extra, '--disk', extra]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, image('bootsector').expectedSerial);
  });

  it('bad disk images: missing, empty, not a multiple of 512, no 0x55AA: one line on stderr, status 2', () => {
    const d = tmp();
    const empty = path.join(d, 'empty.img'), odd = path.join(d, 'odd.img'), nosig = path.join(d, 'nosig.img');
    fs.writeFileSync(empty, Buffer.alloc(0));
    fs.writeFileSync(odd, Buffer.alloc(1000));
    fs.writeFileSync(nosig, Buffer.alloc(1024));
    const cases: [string[], RegExp][] = [
      [['run', path.join(d, 'missing.img')], /cannot read image .*missing\.img.*no such file/],
      [['run', empty], /empty\.img: .*the file is empty/],
      [['run', odd], /odd\.img: .*size \(1000 bytes\) is not a multiple of 512/],
      [['run', nosig], /nosig\.img: .*no boot signature 0x55AA at offset 510/],
      [['run', image('bootsector').path, '--disk', odd], /disk .*odd\.img: its size \(1000 bytes\) is not a multiple of 512/],
      [['run', image('bootsector').path, '--disk', path.join(d, 'nope.img')], /cannot read disk .*nope\.img.*no such file/],
      [['run', image('bootsector').path, '--disk', nosig, '--disk', nosig, '--disk', nosig, '--disk', nosig], /5 disks: .*at most 4/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    }
  });

  it('--bios biosrom.bin starts at the reset vector: POST codes on 0x80 and text on 0xE9, exit 0', () => {
    const f = image('biosrom');
    const r = cli(['run', '--bios', f.path, '--debugcon', '-', '--trace', 'io']);
    assert.equal(r.status, f.expectedStatus, r.stderr);
    assert.equal(r.stdout, f.expectedDebugcon);
    const post = [...r.stderr.matchAll(/io port=0x0080 out size=1 value=0x([0-9a-f]{2})/g)].map((m) => parseInt(m[1], 16));
    assert.deepEqual(post, f.expectedPost);
    // The very first instruction is the far jump at FFFF:FFF0 (linear 0xFFFFFFF0): the first I/O comes after it.
    assert.match(r.stderr, /^3 vcpu0 io port=0x0080 out size=1 value=0x01$/m);
  });

  it('--bios: a ROM of the wrong size is refused with one line, status 2', () => {
    const d = tmp(), rom = path.join(d, 'small.bin');
    fs.writeFileSync(rom, Buffer.alloc(4096));
    const r = cli(['run', '--bios', rom]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /small\.bin: a BIOS ROM must be 64 KiB to 256 KiB/);
  });

  it('--load-addr: a flat binary entered in flat 32-bit protected mode (CS = 0x08) under EPT and shadow paging', () => {
    const d = tmp(), bin = path.join(d, 'flat.bin');
    // mov eax, 0x12345678; cmp eax, 0x12345678; jne fail; mov ax, cs; cmp ax, 8; jne fail; mov al, 0; out 0xf4, al; fail: mov al, 1; out 0xf4, al
    fs.writeFileSync(bin, Buffer.from([0xb8, 0x78, 0x56, 0x34, 0x12, 0x3d, 0x78, 0x56, 0x34, 0x12, 0x75, 0x0c, 0x8c, 0xc8, 0x66, 0x83, 0xf8, 0x08,
      0x75, 0x04, 0xb0, 0x00, 0xe6, 0xf4, 0xb0, 0x01, 0xe6, 0xf4]));
    for (const mmu of ['ept', 'shadow']) {
      const r = cli(['run', bin, '--load-addr', '0x100000', '--mmu', mmu]);
      assert.equal(r.status, 1, `${mmu}: ${r.stderr}`);
    }
    const bad = cli(['run', bin, '--load-addr', 'nowhere']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--load-addr needs an address/);
  });
});
