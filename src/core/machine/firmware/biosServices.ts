// The paravirtual BIOS services: what a VMCALL in a stub slot (biosRom.ts) does, in the VMM. The
// guest is in real mode: registers come from the saved GPRs, segment bases from the VMCS, and the
// carry / zero flags a service returns go into the FLAGS image its IRET will pop (at SS:SP+4).
// Conventions follow the IBM PC/AT Technical Reference, Phoenix "System BIOS for IBM PCs" and the
// EDD 3.0 specification (T13/1386D) for the INT 13h extensions; the ACPI specification §15 for E820.
import type { StopEvent } from '../../debug/debugApi';
import type { VCpu } from '../../vmm/vcpu';
import type { Vmm } from '../../vmm/vmm';
import type { PcPlatform } from '../../devices/pcPlatform';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { asciiToSet1 } from '../../devices/i8042';
import { civilFromSeconds } from '../../devices/cmosRtc';
import { SECTOR, type IdeDisk } from '../../devices/ideDisk';
import { VGA_COLS, VGA_ROWS, VGA_TEXT_BASE } from '../../devices/vgaText';
import { BDA, BDA_BASE, BASE_MEM_KIB, BOOT_SECTOR_GPA, STUBS, STUB_SLOT } from './biosLayout';
import { memoryMap } from './memoryMap';

const CF = 0x01, ZF = 0x40;
const SMAP = 0x534d4150;
/** INT 13h status codes (AH). */
const DISK_OK = 0x00, DISK_BAD_COMMAND = 0x01, DISK_NOT_FOUND = 0x04, DISK_WRITE_FAULT = 0xcc;

/** BIOS logical CHS of a disk (LBA-assisted translation above 504 MiB, EDD 3.0 annex). */
export function biosGeometry(disk: IdeDisk): { cylinders: number; heads: number; spt: number } {
  const spt = 63, heads = disk.sectors <= 1024 * 16 * 63 ? 16 : disk.sectors <= 1024 * 32 * 63 ? 32 : disk.sectors <= 1024 * 64 * 63 ? 64 : disk.sectors <= 1024 * 128 * 63 ? 128 : 255;
  return { cylinders: Math.max(1, Math.min(1024, Math.ceil(disk.sectors / (heads * spt)))), heads, spt };
}

/** ASCII of a set-1 make code, unshifted and shifted (from the 8042 model's own table). */
const ASCII_OF: [number, number][] = [];
for (let ch = 0; ch < 128; ch++) {
  const s = asciiToSet1(ch);
  if (s.length === 2) { ASCII_OF[s[0]] ??= [0, 0]; if (!ASCII_OF[s[0]][0]) ASCII_OF[s[0]][0] = ch; }
  if (s.length === 4) { ASCII_OF[s[1]] ??= [0, 0]; ASCII_OF[s[1]][1] = ch; }
}

export class BiosServices {
  /** BIOS calls served, by vector (for views and tests). */
  readonly calls = new Float64Array(256);
  private vcpu!: VCpu;

  constructor(private readonly vmm: Vmm, private readonly platform: PcPlatform, private readonly disks: IdeDisk[], private readonly ramBytes: number) {}

  /** The BIOS vector of a VMCALL at the guest's CS:IP, or -1 when it is not a BIOS stub (or not real mode). */
  vectorAt(vcpu: VCpu): number {
    if (this.vmm.guestPaging(vcpu).cr0 & 1) return -1;
    const lin = (vcpu.vmcs.read(VMCS.GUEST_CS_BASE) + vcpu.vmcs.read(VMCS.GUEST_RIP)) >>> 0;
    if (lin < STUBS || lin >= STUBS + 256 * STUB_SLOT) return -1;
    return (lin - STUBS) >> 4;
  }

  /** The VMM's firmware hook: false when the VMCALL is not a BIOS call. */
  call(vcpu: VCpu): StopEvent | undefined | false {
    const vector = this.vectorAt(vcpu);
    if (vector < 0) return false;
    this.vcpu = vcpu;
    this.calls[vector]++;
    switch (vector) {
      case 0x09: this.keyboardIrq(); break;
      case 0x10: this.video(); break;
      case 0x11: this.setAx(this.rd16(BDA_BASE + BDA.EQUIPMENT)); break;
      case 0x12: this.setAx(this.rd16(BDA_BASE + BDA.MEM_KIB)); break;
      case 0x13: this.disk(); break;
      case 0x15: this.system(); break;
      case 0x16: this.keyboard(); break;
      case 0x19: return this.bootstrap();
      case 0x1a: this.clock(); break;
      default: break;
    }
    return undefined;
  }

  // --- registers and memory -------------------------------------------------------------------
  private get r(): Int32Array { return this.vcpu.regs; }
  private get ah(): number { return (this.r[0] >> 8) & 0xff; }
  private get al(): number { return this.r[0] & 0xff; }
  private setAx(v: number): void { this.r[0] = (this.r[0] & ~0xffff) | (v & 0xffff); }
  private setAh(v: number): void { this.r[0] = (this.r[0] & ~0xff00) | ((v & 0xff) << 8); }
  private setAl(v: number): void { this.r[0] = (this.r[0] & ~0xff) | (v & 0xff); }
  private set16(k: number, v: number): void { this.r[k] = (this.r[k] & ~0xffff) | (v & 0xffff); }
  private base(field: number): number { return this.vcpu.vmcs.read(field) >>> 0; }
  /** The FLAGS image pushed by the INT (IP, CS, FLAGS at SS:SP). */
  private flagsAddr(): number { return (this.base(VMCS.GUEST_SS_BASE) + ((this.vcpu.vmcs.read(VMCS.GUEST_RSP) + 4) & 0xffff)) >>> 0; }
  private setFlag(bit: number, on: boolean): void {
    const a = this.flagsAddr(), f = this.rd16(a);
    this.wr16(a, on ? f | bit : f & ~bit);
  }
  /** Success / failure of a service: CF in the returned FLAGS. */
  private cf(on: boolean): void { this.setFlag(CF, on); }
  private rd8(a: number): number { return this.vmm.memory.read8(a >>> 0) ?? 0xff; }
  private rd16(a: number): number { return this.rd8(a) | (this.rd8(a + 1) << 8); }
  private rd32(a: number): number { return (this.rd16(a) | (this.rd16(a + 2) << 16)) >>> 0; }
  private wr8(a: number, v: number): void { this.vmm.memory.write8(a >>> 0, v & 0xff); }
  private wr16(a: number, v: number): void { this.wr8(a, v); this.wr8(a + 1, v >> 8); }
  private wr32(a: number, v: number): void { this.wr16(a, v); this.wr16(a + 2, v >>> 16); }
  /** Copy into guest memory (false when some byte is not RAM). */
  private copyIn(a: number, bytes: Uint8Array): boolean {
    try { this.vmm.memory.writeBytes(a, bytes); return true; } catch { return false; }
  }
  private copyOut(a: number, n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = this.rd8(a + k);
    return b;
  }

  // --- INT 10h video ----------------------------------------------------------------------------
  private cursor(page = 0): [number, number] { const p = BDA_BASE + BDA.CURSOR_POS + 2 * (page & 7); return [this.rd8(p), this.rd8(p + 1)]; }
  private setCursor(col: number, row: number, page = 0): void {
    const p = BDA_BASE + BDA.CURSOR_POS + 2 * (page & 7);
    this.wr8(p, col); this.wr8(p + 1, row);
    if ((page & 7) === this.rd8(BDA_BASE + BDA.VIDEO_PAGE)) {
      const cell = row * VGA_COLS + col, crtc = this.platform.vga.crtc;
      crtc[0x0e] = cell >> 8; crtc[0x0f] = cell & 0xff;
    }
  }
  private cellAddr(col: number, row: number): number { return VGA_TEXT_BASE + 2 * (row * VGA_COLS + col); }
  /** Scroll the window rows top..bottom, columns left..right up (n > 0) or down (n < 0); n = 0 clears it. */
  private scroll(n: number, attr: number, top: number, left: number, bottom: number, right: number): void {
    bottom = Math.min(bottom, VGA_ROWS - 1); right = Math.min(right, VGA_COLS - 1);
    const h = bottom - top + 1;
    if (h <= 0 || right < left) return;
    const lines = n === 0 || Math.abs(n) >= h ? h : Math.abs(n);
    const up = n >= 0;
    for (let k = 0; k < h; k++) {
      const row = up ? top + k : bottom - k, src = up ? row + lines : row - lines;
      for (let c = left; c <= right; c++) {
        const inside = up ? src <= bottom : src >= top;
        this.wr16(this.cellAddr(c, row), inside && lines < h ? this.rd16(this.cellAddr(c, src)) : (attr << 8) | 0x20);
      }
    }
  }
  /** Teletype output of one character (BEL ignored, BS, CR, LF; wraps and scrolls). */
  teletype(ch: number, attr = 0x07): void {
    let [col, row] = this.cursor();
    if (ch === 0x0d) col = 0;
    else if (ch === 0x0a) row++;
    else if (ch === 0x08) { if (col > 0) col--; }
    else if (ch !== 0x07) {
      this.wr8(this.cellAddr(col, row), ch);
      if (this.rd8(this.cellAddr(col, row) + 1) === 0) this.wr8(this.cellAddr(col, row) + 1, attr);
      if (++col >= VGA_COLS) { col = 0; row++; }
    }
    if (row >= VGA_ROWS) { this.scroll(1, this.rd8(this.cellAddr(0, VGA_ROWS - 1) + 1) || 0x07, 0, 0, VGA_ROWS - 1, VGA_COLS - 1); row = VGA_ROWS - 1; }
    this.setCursor(col, row);
  }
  private video(): void {
    const r = this.r, bh = (r[3] >> 8) & 0xff, bl = r[3] & 0xff;
    const ch = (r[1] >> 8) & 0xff, cl = r[1] & 0xff, dh = (r[2] >> 8) & 0xff, dl = r[2] & 0xff;
    switch (this.ah) {
      case 0x00: { // set mode: the text modes (0-3, 7) are what this VGA model shows
        const mode = this.al & 0x7f;
        this.wr8(BDA_BASE + BDA.VIDEO_MODE, mode);
        this.wr16(BDA_BASE + BDA.VIDEO_COLS, mode <= 1 ? 40 : 80);
        if (!(this.al & 0x80)) this.scroll(0, 0x07, 0, 0, VGA_ROWS - 1, VGA_COLS - 1);
        for (let p = 0; p < 8; p++) this.wr16(BDA_BASE + BDA.CURSOR_POS + 2 * p, 0);
        this.wr8(BDA_BASE + BDA.VIDEO_PAGE, 0);
        this.setCursor(0, 0);
        this.setAl(mode > 7 ? 0x20 : 0x30);
        break;
      }
      case 0x01: // cursor shape: CRTC cursor start / end (bit 5 of CH hides it)
        this.wr16(BDA_BASE + BDA.CURSOR_SHAPE, (ch << 8) | cl);
        this.platform.vga.crtc[0x0a] = ch & 0x3f; this.platform.vga.crtc[0x0b] = cl & 0x1f;
        break;
      case 0x02: this.setCursor(Math.min(dl, VGA_COLS - 1), Math.min(dh, VGA_ROWS - 1), bh); break;
      case 0x03: { const [c, rw] = this.cursor(bh); this.set16(2, (rw << 8) | c); this.set16(1, this.rd16(BDA_BASE + BDA.CURSOR_SHAPE)); break; }
      case 0x05: if (this.al === 0) this.wr8(BDA_BASE + BDA.VIDEO_PAGE, 0); break; // one page in this model
      case 0x06: this.scroll(this.al, bh, ch, cl, dh, dl); break;
      case 0x07: this.scroll(-this.al, bh, ch, cl, dh, dl); break;
      case 0x08: { const [c, rw] = this.cursor(bh); this.setAx(this.rd16(this.cellAddr(c, rw))); break; }
      case 0x09: case 0x0a: { // write character (and attribute) CX times at the cursor, cursor unchanged
        const [c, rw] = this.cursor(bh);
        for (let k = 0, n = r[1] & 0xffff; k < n && rw * VGA_COLS + c + k < VGA_COLS * VGA_ROWS; k++) {
          const a = VGA_TEXT_BASE + 2 * (rw * VGA_COLS + c + k);
          this.wr8(a, this.al);
          if (this.ah === 0x09) this.wr8(a + 1, bl);
        }
        break;
      }
      case 0x0e: this.teletype(this.al); break;
      case 0x0f: this.setAx((this.rd16(BDA_BASE + BDA.VIDEO_COLS) << 8) | this.rd8(BDA_BASE + BDA.VIDEO_MODE)); r[3] = (r[3] & ~0xff00) | (this.rd8(BDA_BASE + BDA.VIDEO_PAGE) << 8); break;
      case 0x12: if (bl === 0x10) { r[3] = (r[3] & ~0xffff) | 0x0003; this.set16(1, 0x0009); } break; // EGA info: colour, 256 KiB
      case 0x1a: if (this.al === 0) { this.setAl(0x1a); r[3] = (r[3] & ~0xffff) | 0x0008; } break; // display combination: VGA colour
      default: break;
    }
  }

  // --- INT 13h disk -----------------------------------------------------------------------------
  private drive(): IdeDisk | null {
    const dl = this.r[2] & 0xff;
    return dl >= 0x80 && dl - 0x80 < this.disks.length ? this.disks[dl - 0x80] : null;
  }
  private diskStatus(ah: number): void {
    this.setAh(ah);
    this.wr8(BDA_BASE + BDA.DISK_STATUS, ah);
    this.cf(ah !== DISK_OK);
  }
  /** Move `count` sectors between the disk and guest memory at `addr`; returns how many moved and the status. */
  private transfer(d: IdeDisk, write: boolean, lba: number, count: number, addr: number): [number, number] {
    const buf = new Uint8Array(SECTOR);
    for (let k = 0; k < count; k++) {
      if (lba + k >= d.sectors) return [k, DISK_NOT_FOUND];
      if (write) { if (!d.writeSector(lba + k, this.copyOut(addr + k * SECTOR, SECTOR))) return [k, DISK_WRITE_FAULT]; }
      else { d.readSector(lba + k, buf); if (!this.copyIn(addr + k * SECTOR, buf)) return [k, DISK_NOT_FOUND]; }
    }
    return [count, DISK_OK];
  }
  private disk(): void {
    const r = this.r, fn = this.ah, d = this.drive();
    if (fn === 0x01) { const s = this.rd8(BDA_BASE + BDA.DISK_STATUS); this.setAh(s); this.cf(s !== 0); return; }
    if (!d) { this.diskStatus(DISK_BAD_COMMAND); return; }
    const g = biosGeometry(d);
    const esBx = (this.base(VMCS.GUEST_ES_BASE) + (r[3] & 0xffff)) >>> 0;
    const dsSi = (this.base(VMCS.GUEST_DS_BASE) + (r[6] & 0xffff)) >>> 0;
    switch (fn) {
      case 0x00: case 0x04: case 0x0c: case 0x0d: case 0x10: case 0x11: case 0x44: case 0x47: this.diskStatus(DISK_OK); return;
      case 0x02: case 0x03: { // CHS read / write: CH = cylinder low, CL = sector | cylinder bits 8-9 << 6, DH = head
        const cx = r[1] & 0xffff, cyl = (cx >> 8) | ((cx & 0xc0) << 2), sec = cx & 0x3f, head = (r[2] >> 8) & 0xff, n = this.al;
        if (sec === 0 || sec > g.spt || head >= g.heads || n === 0) { this.setAl(0); this.diskStatus(sec === 0 || sec > g.spt ? DISK_NOT_FOUND : DISK_BAD_COMMAND); return; }
        const [done, st] = this.transfer(d, fn === 0x03, (cyl * g.heads + head) * g.spt + sec - 1, n, esBx);
        this.setAl(done);
        this.diskStatus(st);
        return;
      }
      case 0x08: { // drive parameters
        const maxCyl = Math.min(g.cylinders, 1024) - 1;
        this.set16(1, ((maxCyl & 0xff) << 8) | ((maxCyl >> 2) & 0xc0) | g.spt);
        this.set16(2, ((g.heads - 1) << 8) | this.disks.length);
        r[3] &= ~0xff; this.set16(7, 0);
        this.diskStatus(DISK_OK);
        return;
      }
      case 0x15: // type: 03h = fixed disk, CX:DX = sectors
        this.set16(1, d.sectors >>> 16); this.set16(2, d.sectors & 0xffff);
        this.setAh(0x03); this.cf(false);
        return;
      case 0x41: // EDD installation check
        if ((r[3] & 0xffff) !== 0x55aa) { this.diskStatus(DISK_BAD_COMMAND); return; }
        this.set16(3, 0xaa55); this.setAh(0x30); this.set16(1, 0x0005); this.cf(false); // EDD 3.0: fixed disk access + EDD
        return;
      case 0x42: case 0x43: { // extended read / write through the disk address packet at DS:SI
        const size = this.rd8(dsSi), count = this.rd16(dsSi + 2);
        let addr = ((this.rd16(dsSi + 6) << 4) + this.rd16(dsSi + 4)) >>> 0;
        if (size >= 0x18 && this.rd32(dsSi + 4) === 0xffffffff) addr = this.rd32(dsSi + 0x10); // 64-bit flat buffer address
        const lbaHi = this.rd32(dsSi + 12);
        if (size < 0x10 || lbaHi !== 0) { this.wr16(dsSi + 2, 0); this.diskStatus(size < 0x10 ? DISK_BAD_COMMAND : DISK_NOT_FOUND); return; }
        const [done, st] = this.transfer(d, fn === 0x43, this.rd32(dsSi + 8), count, addr);
        this.wr16(dsSi + 2, done);
        this.diskStatus(st);
        return;
      }
      case 0x48: { // extended drive parameters into the buffer at DS:SI
        const want = this.rd16(dsSi);
        if (want < 0x1a) { this.diskStatus(DISK_BAD_COMMAND); return; }
        const ig = d.chs;
        this.wr16(dsSi, want >= 0x1e ? 0x1e : 0x1a);
        this.wr16(dsSi + 2, 0x0002);                    // CHS information valid
        this.wr32(dsSi + 4, ig.cylinders); this.wr32(dsSi + 8, ig.heads); this.wr32(dsSi + 12, ig.sectors);
        this.wr32(dsSi + 16, d.sectors); this.wr32(dsSi + 20, 0);
        this.wr16(dsSi + 24, SECTOR);
        if (want >= 0x1e) this.wr32(dsSi + 26, 0xffffffff); // no device parameter table extension
        this.diskStatus(DISK_OK);
        return;
      }
      default: this.diskStatus(DISK_BAD_COMMAND);
    }
  }

  // --- INT 15h system -----------------------------------------------------------------------------
  private system(): void {
    const r = this.r, ax = r[0] & 0xffff;
    const extKib = Math.max(0, this.ramBytes / 1024 - 1024);
    if ((r[0] >>> 0) === 0xe820 && (r[2] >>> 0) === SMAP) {
      const map = memoryMap(this.ramBytes), k = r[3] >>> 0;
      if (k >= map.length || (r[1] >>> 0) < 20) { this.setAh(0x86); this.cf(true); return; }
      const e = map[k], di = (this.base(VMCS.GUEST_ES_BASE) + (r[7] & 0xffff)) >>> 0;
      this.wr32(di, e.base); this.wr32(di + 4, 0); this.wr32(di + 8, e.length); this.wr32(di + 12, 0); this.wr32(di + 16, e.type);
      r[0] = SMAP; r[1] = 20; r[3] = k + 1 < map.length ? k + 1 : 0;
      this.cf(false);
      return;
    }
    switch (ax) {
      case 0x2400: case 0x2401: { // A20 off / on through the 8042 output port and port 0x92 (the chipset ORs them)
        const p = this.platform;
        p.kbd.setA20(ax === 0x2401);
        if (ax === 0x2400 && p.port92.a20) p.port92.portOut(0x92, 1, p.port92.value & ~2);
        this.setAh(0); this.cf(false); return;
      }
      case 0x2402: this.setAx(this.platform.a20 ? 1 : 0); this.cf(false); return;
      case 0x2403: this.setAh(0); this.set16(3, 0x0003); this.cf(false); return; // BX bit 0: 8042, bit 1: port 0x92
      case 0xe801: {
        const below16 = Math.min(extKib, 15 * 1024), above16 = Math.max(0, Math.floor((this.ramBytes - 16 * 1024 * 1024) / 65536));
        this.set16(0, below16); this.set16(1, below16); this.set16(3, above16); this.set16(2, above16);
        this.cf(false); return;
      }
      default:
        if (this.ah === 0x88) { this.setAx(Math.min(extKib, 0xfc00)); this.cf(false); return; }
        if (this.ah === 0x4f) { this.cf(true); return; } // keyboard intercept: keep the scan code
        this.setAh(0x86); this.cf(true); // function not supported
    }
  }

  // --- INT 09h / INT 16h keyboard -------------------------------------------------------------------
  /** One scan code from the 8042 (set 1, translated): shift state, or a key word into the BDA ring. */
  private scanCode(sc: number): void {
    const flags = BDA_BASE + BDA.KBD_FLAGS;
    if (sc === 0x2a || sc === 0x36) { this.wr8(flags, this.rd8(flags) | (sc === 0x2a ? 2 : 1)); return; }
    if (sc === 0xaa || sc === 0xb6) { this.wr8(flags, this.rd8(flags) & ~(sc === 0xaa ? 2 : 1)); return; }
    if (sc & 0x80) return;
    const shift = (this.rd8(flags) & 3) !== 0;
    const a = ASCII_OF[sc];
    const ascii = a ? (shift && a[1] ? a[1] : a[0]) : 0;
    const head = this.rd16(BDA_BASE + BDA.KBD_HEAD), tail = this.rd16(BDA_BASE + BDA.KBD_TAIL);
    const start = this.rd16(BDA_BASE + BDA.KBD_BUF_START), end = this.rd16(BDA_BASE + BDA.KBD_BUF_END);
    let next = tail + 2;
    if (next >= end) next = start;
    if (next === head) return; // buffer full: the key is lost (a real BIOS beeps)
    this.wr16(BDA_BASE + tail, (sc << 8) | ascii);
    this.wr16(BDA_BASE + BDA.KBD_TAIL, next);
  }
  private keyboardIrq(): void { this.scanCode(this.al); }
  /** Take what the 8042 holds now (polling, as when the guest runs with IRQ1 masked). */
  private drain8042(): void {
    const k = this.platform.kbd;
    while (k.portInPeek() & 1) this.scanCode(k.portIn(0x60));
  }
  private keyboard(): void {
    this.drain8042();
    const head = this.rd16(BDA_BASE + BDA.KBD_HEAD), tail = this.rd16(BDA_BASE + BDA.KBD_TAIL);
    const empty = head === tail;
    // Live CF (not the stacked one) tells the stub to wait for IRQ1 and ask again.
    const live = (wait: boolean): void => {
      const v = this.vcpu.vmcs, f = v.read(VMCS.GUEST_RFLAGS);
      v.write(VMCS.GUEST_RFLAGS, wait ? f | CF : f & ~CF);
    };
    live(false);
    switch (this.ah) {
      case 0x00: case 0x10: {
        if (empty) { live(true); return; }
        this.setAx(this.rd16(BDA_BASE + head));
        let next = head + 2;
        if (next >= this.rd16(BDA_BASE + BDA.KBD_BUF_END)) next = this.rd16(BDA_BASE + BDA.KBD_BUF_START);
        this.wr16(BDA_BASE + BDA.KBD_HEAD, next);
        return;
      }
      case 0x01: case 0x11:
        this.setFlag(ZF, empty);
        if (!empty) this.setAx(this.rd16(BDA_BASE + head));
        return;
      case 0x02: case 0x12: this.setAl(this.rd8(BDA_BASE + BDA.KBD_FLAGS)); return;
      default: return;
    }
  }

  // --- INT 1Ah time, INT 19h bootstrap ------------------------------------------------------------
  private clock(): void {
    const ticks = BDA_BASE + BDA.TICKS, mid = BDA_BASE + BDA.MIDNIGHT;
    switch (this.ah) {
      case 0x00: {
        const t = this.rd32(ticks);
        this.set16(1, t >>> 16); this.set16(2, t & 0xffff); this.setAl(this.rd8(mid)); this.wr8(mid, 0);
        this.cf(false); return;
      }
      case 0x01: this.wr32(ticks, ((this.r[1] & 0xffff) << 16) | (this.r[2] & 0xffff)); this.wr8(mid, 0); this.cf(false); return;
      case 0x02: case 0x04: { // RTC time / date in BCD (the MC146818's wall clock)
        const c = civilFromSeconds(this.platform.rtc.seconds()), bcd = (v: number): number => (((v / 10) | 0) << 4) | (v % 10);
        if (this.ah === 0x02) { this.set16(1, (bcd(c.hour) << 8) | bcd(c.minute)); this.set16(2, bcd(c.second) << 8); }
        else { this.set16(1, (bcd(Math.floor(c.year / 100)) << 8) | bcd(c.year % 100)); this.set16(2, (bcd(c.month) << 8) | bcd(c.day)); }
        this.cf(false); return;
      }
      default: this.cf(true);
    }
  }
  private bootstrap(): StopEvent | undefined {
    const d = this.disks[0];
    const buf = new Uint8Array(SECTOR);
    if (!d || !d.readSector(0, buf) || buf[510] !== 0x55 || buf[511] !== 0xaa) {
      return { kind: 'shutdown', vcpu: this.vcpu.id, text: 'INT 19h: no bootable disk (sector 0 of the first disk lacks the 0x55AA signature)' };
    }
    this.copyIn(BOOT_SECTOR_GPA, buf);
    this.r[2] = (this.r[2] & ~0xff) | 0x80;
    return undefined;
  }
}

export { BASE_MEM_KIB };
