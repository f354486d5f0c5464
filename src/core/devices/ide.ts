// IDE/ATA PIO controller channel (ATA/ATAPI-6, T13/1410D): the task-file registers at base+0..7
// (data, error/features, sector count, LBA low/mid/high, device/head, status/command) and the
// device-control / alternate-status register, master and slave drives. Commands complete at once
// (BSY is never seen set by the guest); data moves through the data register in PIO. INTRQ follows
// ATA-6 §5.2.9: set when a command completes or a DRQ data block is ready, cleared by reading the
// Status register, by writing a command, or by SRST; it reaches the IRQ line unless nIEN is set.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';
import { IdeDisk, SECTOR } from './ideDisk';

// Status register bits (ATA-6 §7.15.6).
export const ST_ERR = 0x01, ST_DRQ = 0x08, ST_DSC = 0x10, ST_DF = 0x20, ST_DRDY = 0x40, ST_BSY = 0x80;
// Error register bits (ATA-6 §7.9.6).
export const ER_ABRT = 0x04, ER_IDNF = 0x10;
// Device control bits (ATA-6 §7.8).
export const DC_NIEN = 0x02, DC_SRST = 0x04;

export const ATA_CMD = {
  RECALIBRATE: 0x10, READ_SECTORS: 0x20, READ_SECTORS_NR: 0x21, WRITE_SECTORS: 0x30, WRITE_SECTORS_NR: 0x31,
  READ_VERIFY: 0x40, SEEK: 0x70, EXECUTE_DIAGNOSTIC: 0x90, INIT_DEVICE_PARAMS: 0x91, IDENTIFY_PACKET: 0xa1,
  READ_MULTIPLE: 0xc4, WRITE_MULTIPLE: 0xc5, SET_MULTIPLE: 0xc6, STANDBY_IMMEDIATE: 0xe0, IDLE_IMMEDIATE: 0xe1,
  CHECK_POWER: 0xe5, FLUSH_CACHE: 0xe7, IDENTIFY: 0xec, SET_FEATURES: 0xef,
} as const;

/** Sectors per DRQ block for READ/WRITE MULTIPLE (IDENTIFY word 47). */
const MAX_MULTIPLE = 16;

/** Per-drive state: the register contents are shared by both drives on a channel (ATA-6 §5.2). */
class Drive {
  status = ST_DRDY | ST_DSC;
  error = 0x01;
  multiple = 0;
  /** Logical geometry from INITIALIZE DEVICE PARAMETERS (CHS addressing). */
  heads = 16; spt = 63;
  constructor(readonly disk: IdeDisk | null) {
    if (disk) { this.heads = disk.chs.heads; this.spt = disk.chs.sectors; }
  }
}

export interface IdeChannelPorts { base: number; ctrl: number; irq: number; }
export const IDE_PRIMARY: IdeChannelPorts = { base: 0x1f0, ctrl: 0x3f6, irq: 14 };
export const IDE_SECONDARY: IdeChannelPorts = { base: 0x170, ctrl: 0x376, irq: 15 };

/** Put an ASCII string into IDENTIFY words, two characters per word, first character in the high byte. */
function identString(w: Uint16Array, first: number, words: number, s: string): void {
  const t = s.padEnd(words * 2, ' ');
  for (let k = 0; k < words; k++) w[first + k] = (t.charCodeAt(2 * k) << 8) | t.charCodeAt(2 * k + 1);
}

/** IDENTIFY DEVICE data (ATA-6 §8.15, Table 27) of `disk`, with its current multiple-sector setting. */
export function identifyData(disk: IdeDisk, serialNo: number, multiple: number, heads = disk.chs.heads, spt = disk.chs.sectors): Uint16Array {
  const w = new Uint16Array(256);
  const { cylinders } = disk.chs;
  const lba28 = Math.min(disk.sectors, 0x0fffffff);
  w[0] = 0x0040;                          // fixed device, not removable, ATA
  w[1] = cylinders; w[3] = disk.chs.heads; w[6] = disk.chs.sectors;
  identString(w, 10, 10, `VMMD${String(serialNo).padStart(4, '0')}`);   // serial number
  identString(w, 23, 4, '1.0');                                           // firmware revision
  identString(w, 27, 20, 'vmm-debug ATA disk');                           // model number
  w[47] = 0x8000 | MAX_MULTIPLE;          // READ/WRITE MULTIPLE: up to 16 sectors per block
  w[49] = 0x0300;                         // capabilities: LBA supported (bit 9), IORDY supported (bit 11 clear: may be disabled)
  w[50] = 0x4000;
  w[51] = 0x0200;                         // PIO data transfer cycle timing mode 2
  w[53] = 0x0003;                         // words 54-58 and 64-70 valid
  const cylCur = Math.min(65535, Math.floor(Math.min(disk.sectors, 16383 * 16 * 63) / (heads * spt)));
  w[54] = cylCur; w[55] = heads; w[56] = spt;
  const chsCap = cylCur * heads * spt;
  w[57] = chsCap & 0xffff; w[58] = chsCap >>> 16;
  w[59] = multiple ? 0x100 | multiple : 0; // current multiple setting valid
  w[60] = lba28 & 0xffff; w[61] = lba28 >>> 16; // total LBA28 addressable sectors
  w[64] = 0x0003;                         // PIO modes 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120;    // cycle times (ns)
  w[80] = 0x007e;                         // major version: ATA-1..ATA-6
  w[82] = 0x4000; w[83] = 0x4000 | 0x1000; w[84] = 0x4000; // command sets: FLUSH CACHE (83 bit 12)
  w[85] = 0x4000; w[86] = 0x1000; w[87] = 0x4000;
  w[93] = 0x6000 | 0x0001 | 0x0008;       // hardware reset result: device 0, diagnostics passed
  // Word 255: integrity word, signature 0xA5 and checksum so that all 512 bytes sum to 0 (§8.15.61).
  let sum = 0xa5;
  for (let k = 0; k < 255; k++) sum += (w[k] & 0xff) + (w[k] >> 8);
  w[255] = (((-sum) & 0xff) << 8) | 0xa5;
  return w;
}

export class IdeChannel implements PortDevice, Snapshotable {
  readonly name: string;
  readonly stateName: string;
  readonly drives: [Drive, Drive];
  // Task-file registers (written values, shared by both drives).
  features = 0; count = 0; lbaLow = 0; lbaMid = 0; lbaHigh = 0; device = 0xa0;
  devCtl = 0;
  /** INTRQ of the selected drive (ATA-6 §5.2.9), before nIEN gating. */
  intrq = false;
  private irqLevel = false;
  // PIO transfer state.
  readonly buffer = new Uint8Array(SECTOR * MAX_MULTIPLE);
  bufPos = 0; bufLen = 0;
  /** 0: none; 1: data in (device to host); 2: data out (host to device). */
  xfer = 0;
  /** Current command's next LBA and sectors left after the buffered block. */
  xferLba = 0; xferLeft = 0; xferBlock = 1; xferCmd = 0;
  /** Commands executed (for views and tests). */
  commands = 0;

  constructor(readonly index: number, readonly ports: IdeChannelPorts, master: IdeDisk | null, slave: IdeDisk | null,
    private readonly setIrq: (level: boolean) => void) {
    this.name = `IDE ${index === 0 ? 'primary' : 'secondary'} channel @0x${ports.base.toString(16)}`;
    this.stateName = `ide${index}`;
    this.drives = [new Drive(master), new Drive(slave)];
    this.signature();
  }

  get hasDrives(): boolean { return this.drives[0].disk !== null || this.drives[1].disk !== null; }
  private get sel(): Drive { return this.drives[(this.device >> 4) & 1]; }

  private updateIrq(): void {
    const level = this.intrq && !(this.devCtl & DC_NIEN);
    if (level !== this.irqLevel) { this.irqLevel = level; this.setIrq(level); }
  }
  private raise(): void { this.intrq = true; this.updateIrq(); }

  /** The ATA signature after reset or EXECUTE DEVICE DIAGNOSTIC (ATA-6 §9.12): count 1, LBA 1/0/0. */
  private signature(): void {
    this.count = 1; this.lbaLow = 1; this.lbaMid = 0; this.lbaHigh = 0; this.device = 0;
    for (const d of this.drives) { d.error = 0x01; d.status = d.disk ? ST_DRDY | ST_DSC : 0; }
    this.xfer = 0; this.bufPos = this.bufLen = 0;
  }

  /** The addressed sector: LBA28 when device bit 6 is set, else CHS through the logical geometry. */
  private startLba(): number {
    if (this.device & 0x40) return ((this.device & 0x0f) << 24) | (this.lbaHigh << 16) | (this.lbaMid << 8) | this.lbaLow;
    const d = this.sel, cyl = (this.lbaHigh << 8) | this.lbaMid, head = this.device & 0x0f;
    if (this.lbaLow === 0 || this.lbaLow > d.spt || head >= d.heads) return -1;
    return (cyl * d.heads + head) * d.spt + this.lbaLow - 1;
  }
  /** Task file after a transfer: the address of the last sector transferred (ATA-6 §8.x "Outputs"). */
  private setAddress(lba: number): void {
    if (this.device & 0x40) {
      this.lbaLow = lba & 0xff; this.lbaMid = (lba >> 8) & 0xff; this.lbaHigh = (lba >> 16) & 0xff;
      this.device = (this.device & 0xf0) | ((lba >> 24) & 0x0f);
    } else {
      const d = this.sel, s = (lba % d.spt) + 1, t = Math.floor(lba / d.spt), head = t % d.heads, cyl = Math.floor(t / d.heads);
      this.lbaLow = s; this.lbaMid = cyl & 0xff; this.lbaHigh = (cyl >> 8) & 0xff; this.device = (this.device & 0xf0) | head;
    }
  }

  private abort(err = ER_ABRT): void {
    const d = this.sel;
    d.error = err; d.status = ST_DRDY | ST_DSC | ST_ERR; this.xfer = 0;
    this.raise();
  }
  private done(): void {
    const d = this.sel;
    d.error = 0; d.status = ST_DRDY | ST_DSC; this.xfer = 0;
    this.raise();
  }

  /** Load the next block of a read into the buffer and signal DRQ (and INTRQ). */
  private readBlock(): void {
    const d = this.sel, n = Math.min(this.xferBlock, this.xferLeft);
    for (let k = 0; k < n; k++) {
      if (!d.disk!.readSector(this.xferLba + k, this.buffer, k * SECTOR)) { this.setAddress(this.xferLba + k); this.abort(ER_IDNF); return; }
    }
    this.setAddress(this.xferLba + n - 1);
    this.xferLba += n; this.xferLeft -= n;
    this.bufPos = 0; this.bufLen = n * SECTOR; this.xfer = 1;
    d.status = ST_DRDY | ST_DSC | ST_DRQ; d.error = 0;
    this.raise();
  }
  /** Ready the buffer for the next block of a write. */
  private writeBlock(): void {
    const n = Math.min(this.xferBlock, this.xferLeft);
    this.bufPos = 0; this.bufLen = n * SECTOR; this.xfer = 2;
    this.sel.status = ST_DRDY | ST_DSC | ST_DRQ;
  }
  /** The host filled the write buffer: store it, then the next block or completion (with INTRQ). */
  private commitWrite(): void {
    const d = this.sel, n = this.bufLen / SECTOR;
    for (let k = 0; k < n; k++) {
      if (!d.disk!.writeSector(this.xferLba + k, this.buffer, k * SECTOR)) { this.setAddress(this.xferLba + k); this.abort(ER_IDNF); return; }
    }
    this.setAddress(this.xferLba + n - 1);
    this.xferLba += n; this.xferLeft -= n;
    if (this.xferLeft > 0) { this.writeBlock(); this.raise(); } else this.done();
  }

  private command(cmd: number): void {
    const d = this.sel;
    this.commands++;
    this.intrq = false; this.updateIrq();
    if (!d.disk) {
      // No device 1: device 0 answers for it with the status of an absent drive (ATA-6 §9.16.1).
      if (cmd === ATA_CMD.EXECUTE_DIAGNOSTIC && this.drives[0].disk) { this.signature(); this.raise(); }
      return;
    }
    const sectors = this.count || 256;
    switch (cmd) {
      case ATA_CMD.IDENTIFY: {
        const w = identifyData(d.disk, this.index * 2 + ((this.device >> 4) & 1), d.multiple, d.heads, d.spt);
        for (let k = 0; k < 256; k++) { this.buffer[2 * k] = w[k] & 0xff; this.buffer[2 * k + 1] = w[k] >> 8; }
        this.bufPos = 0; this.bufLen = SECTOR; this.xfer = 1; this.xferLeft = 0; this.xferCmd = cmd;
        d.status = ST_DRDY | ST_DSC | ST_DRQ; d.error = 0;
        this.raise();
        return;
      }
      case ATA_CMD.READ_SECTORS: case ATA_CMD.READ_SECTORS_NR: case ATA_CMD.READ_MULTIPLE:
      case ATA_CMD.WRITE_SECTORS: case ATA_CMD.WRITE_SECTORS_NR: case ATA_CMD.WRITE_MULTIPLE: {
        const multi = cmd === ATA_CMD.READ_MULTIPLE || cmd === ATA_CMD.WRITE_MULTIPLE;
        if (multi && !d.multiple) { this.abort(); return; }
        const lba = this.startLba();
        if (lba < 0 || lba + sectors > d.disk.sectors) { if (lba >= 0) this.setAddress(Math.min(lba, d.disk.sectors)); this.abort(ER_IDNF); return; }
        this.xferCmd = cmd; this.xferLba = lba; this.xferLeft = sectors; this.xferBlock = multi ? d.multiple : 1;
        if (cmd === ATA_CMD.READ_SECTORS || cmd === ATA_CMD.READ_SECTORS_NR || cmd === ATA_CMD.READ_MULTIPLE) this.readBlock();
        else this.writeBlock(); // PIO data-out: DRQ for the first block without an interrupt (ATA-6 §9.8)
        return;
      }
      case ATA_CMD.READ_VERIFY: {
        const lba = this.startLba();
        if (lba < 0 || lba + sectors > d.disk.sectors) { this.abort(ER_IDNF); return; }
        this.setAddress(lba + sectors - 1); this.done(); return;
      }
      case ATA_CMD.SET_MULTIPLE:
        if (this.count > MAX_MULTIPLE || (this.count & (this.count - 1))) { this.abort(); return; }
        d.multiple = this.count; this.done(); return;
      case ATA_CMD.SET_FEATURES:
        // 0x02/0x82 write cache on/off, 0x03 transfer mode (PIO/DMA mode values), 0x55/0xAA read look-ahead, 0x66/0xCC defaults.
        if ([0x02, 0x82, 0x03, 0x55, 0xaa, 0x66, 0xcc].includes(this.features)) this.done(); else this.abort();
        return;
      case ATA_CMD.INIT_DEVICE_PARAMS:
        if (this.count === 0) { this.abort(); return; }
        d.heads = (this.device & 0x0f) + 1; d.spt = this.count; this.done(); return;
      case ATA_CMD.EXECUTE_DIAGNOSTIC: this.signature(); this.raise(); return;
      case ATA_CMD.RECALIBRATE: case ATA_CMD.SEEK: case ATA_CMD.FLUSH_CACHE:
      case ATA_CMD.STANDBY_IMMEDIATE: case ATA_CMD.IDLE_IMMEDIATE:
        this.done(); return;
      case ATA_CMD.CHECK_POWER: this.count = 0xff; this.done(); return;
      default:
        // IDENTIFY PACKET DEVICE on an ATA disk and every unknown command: aborted, and IDENTIFY PACKET
        // leaves the ATA signature in the task file so the host learns it is not ATAPI (ATA-6 §8.16).
        if (cmd === ATA_CMD.IDENTIFY_PACKET) { this.count = 1; this.lbaLow = 1; this.lbaMid = 0; this.lbaHigh = 0; }
        this.abort();
    }
  }

  private dataIn(): number {
    if (this.xfer !== 1) return 0xffff;
    const v = this.buffer[this.bufPos] | (this.buffer[this.bufPos + 1] << 8);
    this.bufPos += 2;
    if (this.bufPos >= this.bufLen) {
      if (this.xferLeft > 0) this.readBlock();
      else { this.xfer = 0; this.sel.status = ST_DRDY | ST_DSC; }
    }
    return v;
  }
  private dataOut(v: number): void {
    if (this.xfer !== 2) return;
    this.buffer[this.bufPos] = v & 0xff; this.buffer[this.bufPos + 1] = (v >> 8) & 0xff;
    this.bufPos += 2;
    if (this.bufPos >= this.bufLen) this.commitWrite();
  }

  /** Status as the host reads it: 0 for an absent drive; the floating bus (0xFF) with no drives. */
  private statusValue(): number {
    if (!this.hasDrives) return 0xff;
    if (this.devCtl & DC_SRST) return ST_BSY;
    return this.sel.disk ? this.sel.status : 0;
  }

  portIn(port: number, size: number): number {
    if (port === this.ports.ctrl) return this.statusValue(); // alternate status: no INTRQ side effect
    const r = port - this.ports.base;
    if (!this.hasDrives) return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    switch (r) {
      case 0:
        if (size === 4) { const lo = this.dataIn(); return (lo | (this.dataIn() << 16)) | 0; }
        return size === 1 ? this.dataIn() & 0xff : this.dataIn();
      case 1: return this.sel.disk ? this.sel.error : 0;
      case 2: return this.count;
      case 3: return this.lbaLow;
      case 4: return this.lbaMid;
      case 5: return this.lbaHigh;
      case 6: return this.device | 0xa0;
      default: {
        const s = this.statusValue();
        if (this.intrq) { this.intrq = false; this.updateIrq(); }
        return s;
      }
    }
  }

  portOut(port: number, size: number, value: number): void {
    if (port === this.ports.ctrl) {
      const was = this.devCtl;
      this.devCtl = value & 0x06;
      // SRST 1 -> 0 completes the software reset: both drives show the signature (ATA-6 §9.2).
      if ((was & DC_SRST) && !(value & DC_SRST)) { this.signature(); for (const d of this.drives) d.multiple = 0; }
      if (value & DC_SRST) { this.intrq = false; this.xfer = 0; }
      this.updateIrq();
      return;
    }
    const v = value & 0xff;
    switch (port - this.ports.base) {
      case 0:
        if (size === 4) { this.dataOut(value & 0xffff); this.dataOut((value >>> 16) & 0xffff); } else this.dataOut(value & 0xffff);
        return;
      case 1: this.features = v; return;
      case 2: this.count = v; return;
      case 3: this.lbaLow = v; return;
      case 4: this.lbaMid = v; return;
      case 5: this.lbaHigh = v; return;
      case 6: this.device = v; return;
      default: if (!(this.devCtl & DC_SRST)) this.command(v);
    }
  }

  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    for (const v of [this.features, this.count, this.lbaLow, this.lbaMid, this.lbaHigh, this.device, this.devCtl, this.xfer, this.xferCmd]) w.u8(v);
    w.bool(this.intrq); w.bool(this.irqLevel);
    w.u32(this.bufPos); w.u32(this.bufLen); w.u32(this.xferLba); w.u32(this.xferLeft); w.u32(this.xferBlock); w.f64(this.commands);
    w.bytes(this.xfer ? this.buffer.subarray(0, this.bufLen) : new Uint8Array(0)); // only a block in flight matters
    for (const d of this.drives) {
      w.u8(d.status); w.u8(d.error); w.u8(d.multiple); w.u8(d.heads); w.u8(d.spt);
      if (d.disk) d.disk.save(w);
    }
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    this.features = r.u8(); this.count = r.u8(); this.lbaLow = r.u8(); this.lbaMid = r.u8(); this.lbaHigh = r.u8();
    this.device = r.u8(); this.devCtl = r.u8(); this.xfer = r.u8(); this.xferCmd = r.u8();
    this.intrq = r.bool(); this.irqLevel = r.bool();
    this.bufPos = r.u32(); this.bufLen = r.u32(); this.xferLba = r.u32(); this.xferLeft = r.u32(); this.xferBlock = r.u32(); this.commands = r.f64();
    this.buffer.fill(0);
    this.buffer.set(r.bytes());
    for (const d of this.drives) {
      d.status = r.u8(); d.error = r.u8(); d.multiple = r.u8(); d.heads = r.u8(); d.spt = r.u8();
      if (d.disk) d.disk.load(r);
    }
  }
}
