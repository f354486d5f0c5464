// The bootsector fixture on the reference PC: QEMU + SeaBIOS boots build/guests/bootsector.img and
// prints exactly the lines our VMM prints (images.json expectedSerial), including the A20 checks:
// memory wraps at 1 MiB while both the 8042 gate and port 0x92 are off, in real and protected mode.
// Pending (not passed) where qemu-system-i386 is not installed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const QEMU = 'qemu-system-i386';
interface ImageFixture { name: string; path: string; expectedStatus: number; expectedSerial?: string; }

describe('bootsector under QEMU (the reference PC)', function () {
  this.timeout(180_000);

  before(function () {
    if (spawnSync(QEMU, ['--version']).status !== 0) {
      console.log(`    ${QEMU} not installed: the QEMU reference run is skipped (not a pass)`);
      this.skip();
    }
  });

  it('prints the same PASS lines (A20 wrap included) and exits with the same status as under our VMM', () => {
    const images = JSON.parse(fs.readFileSync('build/guests/images.json', 'utf8')) as ImageFixture[];
    const f = images.find((i) => i.name === 'bootsector')!;
    const r = spawnSync(QEMU, ['-drive', `file=${f.path},format=raw`, '-snapshot', '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.stdout, f.expectedSerial, r.stderr);
    assert.match(r.stdout, /PASS a20 off: FFFF:0610 wraps to 0000:0600\n/);
    assert.equal(r.status, f.expectedStatus, r.stderr);
  });
});
