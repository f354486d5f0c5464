// IDE/ATA PIO controller against ATA/ATAPI-6 (T13/1410D): IDENTIFY DEVICE words, READ/WRITE SECTORS
// and MULTIPLE, CHS and LBA28 addressing, status/alternate status/error semantics, INTRQ and nIEN,
// SRST and the signature, absent drives, the copy-on-write overlay and save/restore.
import { strict as assert } from 'node:assert';
import { IdeDisk } from '../../../src/core/devices/ideDisk';
import { ATA_CMD, DC_NIEN, DC_SRST, ER_ABRT, ER_IDNF, IDE_PRIMARY, IdeChannel, ST_BSY, ST_DRDY, ST_DRQ, ST_ERR, identifyData } from '../../../src/core/devices/ide';
import { attachIde } from '../../../src/core/devices/ideController';
import { PortBus } from '../../../src/core/devices/portBus';
import { StateReader, StateWriter } from '../../../src/core/time/stateIo';

const SECTORS = 2048; // 1 MiB
/** A disk whose sector k is filled with byte (k & 0xff) except byte 0 = k >> 8. */
function image(n = SECTORS): Uint8Array {
  const b = new Uint8Array(n * 512);
  for (let k = 0; k < n; k++) { b.fill(k & 0xff, k * 512, k * 512 + 512); b[k * 512] = k >> 8; }
  return b;
}

function rig(slave: IdeDisk | null = null): { ch: IdeChannel; irq: boolean[]; disk: IdeDisk; img: Uint8Array; out: (r: number, v: number) => void; inb: (r: number) => number; word: () => number } {
  const img = image();
  const disk = new IdeDisk('d', img);
  const irq: boolean[] = [];
  const ch = new IdeChannel(0, IDE_PRIMARY, disk, slave, (l) => irq.push(l));
  return {
    ch, irq, disk, img,
    out: (r, v) => ch.portOut(r === 8 ? 0x3f6 : 0x1f0 + r, 1, v),
    inb: (r) => ch.portIn(r === 8 ? 0x3f6 : 0x1f0 + r, 1),
    word: () => ch.portIn(0x1f0, 2),
  };
}
function readWords(word: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n * 2);
  for (let k = 0; k < n; k++) { const w = word(); b[2 * k] = w & 0xff; b[2 * k + 1] = w >> 8; }
  return b;
}
const ascii = (w: Uint16Array, from: number, n: number): string => {
  let s = '';
  for (let k = from; k < from + n; k++) s += String.fromCharCode(w[k] >> 8, w[k] & 0xff);
  return s;
};

describe('devices/ide: ATA PIO (ATA/ATAPI-6)', () => {
  it('after power-on: DRDY, the ATA signature (count 1, LBA 1/0/0), error 01h (diagnostics passed)', () => {
    const { inb } = rig();
    assert.equal(inb(7) & (ST_BSY | ST_DRDY | ST_DRQ | ST_ERR), ST_DRDY);
    assert.deepEqual([inb(2), inb(3), inb(4), inb(5), inb(1)], [1, 1, 0, 0, 1]);
  });

  it('IDENTIFY DEVICE: model, serial, geometry, LBA28 capacity, capabilities, integrity word; DRQ then INTRQ', () => {
    const { out, inb, word, irq } = rig();
    out(6, 0xa0); out(7, ATA_CMD.IDENTIFY);
    assert.deepEqual(irq, [true]);
    assert.equal(inb(8) & (ST_DRQ | ST_BSY), ST_DRQ);      // alternate status: no INTRQ side effect
    assert.deepEqual(irq, [true]);
    assert.equal(inb(7) & ST_DRQ, ST_DRQ);
    assert.deepEqual(irq, [true, false]);                   // reading Status clears INTRQ
    const b = readWords(word, 256);
    const w = new Uint16Array(b.buffer);
    assert.equal(w[0] & 0x8000, 0, 'ATA device');
    assert.equal(ascii(w, 27, 20).trimEnd(), 'vmm-debug ATA disk');
    assert.match(ascii(w, 10, 10), /^VMMD0000 +$/);
    assert.deepEqual([w[1], w[3], w[6]], [Math.floor(SECTORS / (16 * 63)), 16, 63]);
    assert.equal(w[60] | (w[61] << 16), SECTORS);
    assert.ok(w[49] & (1 << 9), 'LBA supported');
    assert.equal(w[47] & 0xff, 16, 'READ/WRITE MULTIPLE up to 16');
    assert.equal(w[255] & 0xff, 0xa5);
    assert.equal(b.reduce((s, x) => s + x, 0) & 0xff, 0, 'checksum');
    assert.equal(inb(7) & ST_DRQ, 0, 'DRQ clear after the last word');
  });

  it('READ SECTORS (LBA28): one DRQ block and one INTRQ per sector; task file holds the last sector', () => {
    const { out, inb, word, irq, img } = rig();
    out(2, 3); out(3, 0x10); out(4, 0x02); out(5, 0); out(6, 0xe0); out(7, ATA_CMD.READ_SECTORS); // LBA 0x210
    const got: Uint8Array[] = [];
    for (let k = 0; k < 3; k++) {
      assert.equal(inb(7) & (ST_DRQ | ST_ERR), ST_DRQ);
      got.push(readWords(word, 256));
    }
    assert.equal(irq.filter((l) => l).length, 3);
    assert.equal(inb(7) & (ST_DRQ | ST_DRDY), ST_DRDY);
    for (let k = 0; k < 3; k++) assert.deepEqual(got[k], img.subarray((0x210 + k) * 512, (0x211 + k) * 512));
    assert.deepEqual([inb(3), inb(4), inb(5), inb(6) & 0x0f], [0x12, 0x02, 0, 0]);
  });

  it('CHS addressing through the default geometry (16 heads, 63 sectors) and INITIALIZE DEVICE PARAMETERS', () => {
    const { out, inb, word, img } = rig();
    // C=1 H=2 S=5 -> LBA (1*16+2)*63+4 = 1138
    out(2, 1); out(3, 5); out(4, 1); out(5, 0); out(6, 0xa0 | 2); out(7, ATA_CMD.READ_SECTORS);
    assert.deepEqual(readWords(word, 256), img.subarray(1138 * 512, 1139 * 512));
    // 4 heads, 17 sectors per track: C=2 H=3 S=1 -> (2*4+3)*17 = 187
    out(2, 17); out(6, 0xa0 | 3); out(7, ATA_CMD.INIT_DEVICE_PARAMS);
    assert.equal(inb(7) & ST_ERR, 0);
    out(2, 1); out(3, 1); out(4, 2); out(5, 0); out(6, 0xa0 | 3); out(7, ATA_CMD.READ_SECTORS);
    assert.deepEqual(readWords(word, 256), img.subarray(187 * 512, 188 * 512));
    out(2, 1); out(3, 0); out(4, 0); out(6, 0xa0); out(7, ATA_CMD.READ_SECTORS); // sector 0 does not exist in CHS
    assert.equal(inb(7) & ST_ERR, ST_ERR);
    assert.equal(inb(1), ER_IDNF);
  });

  it('WRITE SECTORS: DRQ without INTRQ for the first block, INTRQ after each; the data lands in the overlay only', () => {
    const { out, inb, irq, ch, disk, img } = rig();
    const orig = img.slice(5 * 512, 7 * 512);
    out(2, 2); out(3, 5); out(4, 0); out(5, 0); out(6, 0xe0); out(7, ATA_CMD.WRITE_SECTORS);
    assert.deepEqual(irq, []);
    assert.equal(inb(7) & ST_DRQ, ST_DRQ);
    for (let k = 0; k < 512; k++) ch.portOut(0x1f0, 2, 0xbeef);
    assert.deepEqual(irq, [true]);
    assert.equal(inb(7) & ST_DRQ, 0);
    assert.deepEqual(irq, [true, false]);
    assert.deepEqual(img.subarray(5 * 512, 7 * 512), orig, 'the image is never written');
    const s = new Uint8Array(512);
    disk.readSector(6, s);
    assert.deepEqual([s[0], s[1], s[511]], [0xef, 0xbe, 0xbe]);
    assert.equal(disk.overlay.size, 2);
  });

  it('READ/WRITE MULTIPLE need SET MULTIPLE MODE (a power of two up to 16); blocks of that many sectors', () => {
    const { out, inb, word, irq, img } = rig();
    out(2, 4); out(6, 0xe0); out(7, ATA_CMD.READ_MULTIPLE);
    assert.equal(inb(7) & ST_ERR, ST_ERR);
    assert.equal(inb(1), ER_ABRT);
    out(2, 3); out(7, ATA_CMD.SET_MULTIPLE);
    assert.equal(inb(7) & ST_ERR, ST_ERR, '3 is not a power of two');
    out(2, 4); out(7, ATA_CMD.SET_MULTIPLE);
    assert.equal(inb(7) & ST_ERR, 0);
    irq.length = 0;
    out(2, 6); out(3, 100); out(4, 0); out(5, 0); out(6, 0xe0); out(7, ATA_CMD.READ_MULTIPLE);
    assert.equal(inb(7) & ST_DRQ, ST_DRQ, 'first block (4 sectors); reading Status clears INTRQ');
    const a = readWords(word, 4 * 256);
    assert.equal(inb(7) & ST_DRQ, ST_DRQ, 'second block (2 sectors)');
    const b = readWords(word, 2 * 256);
    assert.equal(inb(7) & ST_DRQ, 0);
    assert.equal(irq.filter((l) => l).length, 2, 'one INTRQ per block');
    assert.deepEqual(a, img.subarray(100 * 512, 104 * 512));
    assert.deepEqual(b, img.subarray(104 * 512, 106 * 512));
  });

  it('errors: past the end of the disk -> IDNF; unknown command and IDENTIFY PACKET -> ABRT with the ATA signature', () => {
    const { out, inb } = rig();
    out(2, 2); out(3, 0xff); out(4, 0x07); out(5, 0); out(6, 0xe0); out(7, ATA_CMD.READ_SECTORS); // LBA 2047 + 1 sector too many
    assert.equal(inb(7) & (ST_ERR | ST_DRQ), ST_ERR);
    assert.equal(inb(1), ER_IDNF);
    out(7, 0xfe);
    assert.equal(inb(1), ER_ABRT);
    out(7, ATA_CMD.IDENTIFY_PACKET);
    assert.equal(inb(1), ER_ABRT);
    assert.deepEqual([inb(4), inb(5)], [0, 0], 'LBA mid/high 00/00: not ATAPI (EB/14)');
    out(1, 0x03); out(2, 0x0c); out(7, ATA_CMD.SET_FEATURES); // transfer mode PIO 4
    assert.equal(inb(7) & ST_ERR, 0);
    out(1, 0x77); out(7, ATA_CMD.SET_FEATURES);
    assert.equal(inb(1), ER_ABRT);
  });

  it('nIEN masks the IRQ line without losing INTRQ; SRST: BSY while set, signature after, multiple mode reset', () => {
    const { out, inb, irq } = rig();
    out(8, DC_NIEN);
    out(6, 0xa0); out(7, ATA_CMD.RECALIBRATE);
    assert.deepEqual(irq, []);
    out(8, 0);
    assert.deepEqual(irq, [true], 'INTRQ was pending: the line rises when nIEN clears');
    out(2, 8); out(7, ATA_CMD.SET_MULTIPLE);
    out(8, DC_SRST);
    assert.equal(inb(8) & ST_BSY, ST_BSY);
    out(8, 0);
    assert.equal(inb(7) & (ST_BSY | ST_DRDY), ST_DRDY);
    assert.deepEqual([inb(2), inb(3), inb(4), inb(5), inb(1)], [1, 1, 0, 0, 1]);
    out(2, 4); out(6, 0xe0); out(7, ATA_CMD.READ_MULTIPLE);
    assert.equal(inb(1), ER_ABRT, 'SRST returned the multiple count to 0');
  });

  it('absent slave reads status 0; a channel with no drives floats (0xFF); the IRQ reaches ISA IRQ 14/15', () => {
    const { out, inb } = rig();
    out(6, 0xb0);
    assert.equal(inb(7), 0);
    const bus = new PortBus();
    const lines: [number, boolean][] = [];
    const [, sec] = attachIde(bus, (irq, l) => lines.push([irq, l]), [new IdeDisk('a', image(64))]);
    assert.equal(bus.portIn(0x177, 1), 0xff);
    assert.equal(bus.portIn(0x376, 1), 0xff);
    assert.equal(sec.hasDrives, false);
    bus.portOut(0x1f6, 1, 0xa0); bus.portOut(0x1f7, 1, ATA_CMD.FLUSH_CACHE);
    assert.deepEqual(lines, [[14, true]]);
    assert.equal(bus.portIn(0x3f7, 1), 0xff, '0x3F7 belongs to the floppy controller');
  });

  it('IDENTIFY of a disk above 128 GiB reports LBA28 capacity 0x0FFFFFFF; the overlay is part of save/restore', () => {
    const big = { sectors: 0x10000100, chs: { cylinders: 16383, heads: 16, sectors: 63 } } as unknown as IdeDisk;
    const w = identifyData(big, 0, 0);
    assert.equal(w[60] | (w[61] << 16), 0x0fffffff);
    const a = rig();
    a.out(2, 1); a.out(3, 9); a.out(4, 0); a.out(5, 0); a.out(6, 0xe0); a.out(7, ATA_CMD.WRITE_SECTORS);
    for (let k = 0; k < 256; k++) a.ch.portOut(0x1f0, 2, 0x1234);
    const wr = new StateWriter();
    a.ch.saveState(wr);
    const b = rig();
    b.ch.loadState(new StateReader(wr.finish()));
    b.out(2, 1); b.out(3, 9); b.out(6, 0xe0); b.out(7, ATA_CMD.READ_SECTORS);
    assert.equal(b.word(), 0x1234);
    assert.equal(b.disk.overlay.size, 1);
  });
});
