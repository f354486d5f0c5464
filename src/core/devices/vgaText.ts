// CGA/VGA colour text mode as the guest sees it: the 80x25 character/attribute cells live in guest RAM
// at guest-physical 0xB8000 (two bytes per cell: character, attribute), which the guest writes
// directly; the CRT controller (index port 0x3D4, data 0x3D5; IBM VGA Technical Reference, CRTC
// registers 0x0A/0x0B cursor start/end, 0x0C/0x0D start address, 0x0E/0x0F cursor location) keeps the
// cursor and the display start. 0x3DA (input status 1) reads with the retrace bits toggling on every
// read, so polling loops end. The screen is kept as data: `textScreen()` renders it for a view.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

export const VGA_TEXT_BASE = 0xb8000;
export const VGA_COLS = 80, VGA_ROWS = 25;

export class VgaText implements PortDevice, Snapshotable {
  readonly name = 'VGA text mode (CRTC @0x3d4)';
  readonly stateName = 'vga';
  readonly crtc = new Uint8Array(0x19);
  crtcIndex = 0;
  /** Input status 1 retrace toggle. */
  retrace = false;

  /** `readGpa` reads one byte of guest-physical memory (undefined when unbacked). */
  constructor(private readonly readGpa: (gpa: number) => number | undefined) {
    this.crtc[0x0a] = 0x0d; this.crtc[0x0b] = 0x0e; // underline cursor, scan lines 13-14
  }

  /** Cursor cell index (CRTC 0x0E:0x0F) and whether it is shown (CRTC 0x0A bit 5 clear). */
  get cursor(): number { return (this.crtc[0x0e] << 8) | this.crtc[0x0f]; }
  get cursorVisible(): boolean { return (this.crtc[0x0a] & 0x20) === 0; }
  get startAddress(): number { return (this.crtc[0x0c] << 8) | this.crtc[0x0d]; }

  /** The 25 rows of 80 characters from the display start (non-printable bytes show as '.', NUL as space). */
  textScreen(): string[] {
    const rows: string[] = [];
    const base = VGA_TEXT_BASE + 2 * this.startAddress;
    for (let r = 0; r < VGA_ROWS; r++) {
      let line = '';
      for (let c = 0; c < VGA_COLS; c++) {
        const ch = this.readGpa(base + 2 * (r * VGA_COLS + c)) ?? 0;
        line += ch === 0 ? ' ' : ch >= 0x20 && ch < 0x7f ? String.fromCharCode(ch) : '.';
      }
      rows.push(line);
    }
    return rows;
  }

  portIn(port: number): number {
    switch (port) {
      case 0x3d4: return this.crtcIndex;
      case 0x3d5: return this.crtcIndex < this.crtc.length ? this.crtc[this.crtcIndex] : 0xff;
      case 0x3da: this.retrace = !this.retrace; return this.retrace ? 0x09 : 0x00;
      default: return 0xff;
    }
  }

  portOut(port: number, _size: number, value: number): void {
    if (port === 0x3d4) {
      this.crtcIndex = value & 0xff;
      // A 16-bit OUT to 0x3D4 writes index and data at once (the usual `outw` idiom).
      if (_size === 2) this.portOut(0x3d5, 1, value >> 8);
    } else if (port === 0x3d5 && this.crtcIndex < this.crtc.length) {
      this.crtc[this.crtcIndex] = value & 0xff;
    }
  }

  saveState(w: StateWriter): void { w.begin(this.stateName, 1); w.bytes(this.crtc); w.u32(this.crtcIndex); w.bool(this.retrace); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.crtc.set(r.bytes()); this.crtcIndex = r.u32(); this.retrace = r.bool(); }
}
