// What the paravirtual BIOS's power-on self test leaves behind before the boot sector runs: the IVT
// and ROM code (biosRom.ts), the BIOS Data Area and EBDA, the 8259A pair programmed to vectors
// 08h/70h, the 8254 counter 0 at 18.2 Hz (mode 3, divisor 65536), a cleared 80x25 colour text
// screen. The VMM does this directly (host side, before the first instruction), so none of it shows
// as VM exits; everything after it does.
import type { PcPlatform } from '../../devices/pcPlatform';
import type { GuestMemory } from '../../vmm/memslots';
import { VGA_COLS, VGA_ROWS, VGA_TEXT_BASE } from '../../devices/vgaText';
import { BDA, BDA_BASE, BASE_MEM_KIB, EBDA, PIC_MASTER_BASE, PIC_SLAVE_BASE } from './biosLayout';
import { installBios } from './biosRom';

/** The BIOS Data Area (IBM PC/AT Technical Reference, "BIOS data area"). */
export function biosDataArea(o: { comPorts: number[]; hardDisks: number }): Uint8Array {
  const b = new Uint8Array(0x100), dv = new DataView(b.buffer);
  o.comPorts.slice(0, 4).forEach((p, k) => dv.setUint16(BDA.COM_PORTS + 2 * k, p, true));
  // LPT1-3 stay 0: this PC has no parallel port.
  dv.setUint16(BDA.EBDA_SEG, EBDA >> 4, true);
  // Equipment word: initial video 80x25 colour (bits 5:4 = 10b), serial ports (bits 11:9); no x87 (CPUID.1:EDX.FPU = 0).
  dv.setUint16(BDA.EQUIPMENT, 0x0020 | (Math.min(o.comPorts.length, 4) << 9), true);
  dv.setUint16(BDA.MEM_KIB, BASE_MEM_KIB, true);
  dv.setUint16(BDA.KBD_HEAD, BDA.KBD_BUF, true); dv.setUint16(BDA.KBD_TAIL, BDA.KBD_BUF, true);
  dv.setUint16(BDA.KBD_BUF_START, BDA.KBD_BUF, true); dv.setUint16(BDA.KBD_BUF_END, BDA.KBD_BUF + 32, true);
  b[BDA.VIDEO_MODE] = 3; dv.setUint16(BDA.VIDEO_COLS, VGA_COLS, true); dv.setUint16(BDA.VIDEO_PAGE_SIZE, 0x1000, true);
  dv.setUint16(BDA.CURSOR_SHAPE, 0x0d0e, true); dv.setUint16(BDA.CRTC_BASE, 0x3d4, true);
  b[BDA.VIDEO_MODE_CTL] = 0x29; b[BDA.VIDEO_PALETTE] = 0x30;
  b[BDA.HD_COUNT] = o.hardDisks;
  b[BDA.VIDEO_ROWS] = VGA_ROWS - 1; b[BDA.CHAR_HEIGHT] = 16;
  return b;
}

/** Install the firmware into memory (every boot path with the built-in BIOS). */
export function installFirmware(mem: GuestMemory, o: { comPorts: number[]; hardDisks: number }): void {
  installBios(mem);
  mem.writeBytes(BDA_BASE, biosDataArea(o));
  const ebda = new Uint8Array(0x400);
  ebda[0] = 1; // EBDA size in KiB
  mem.writeBytes(EBDA, ebda);
}

/** POST device setup for a real-mode boot (disk images): PICs, PIT, text screen. */
export function postDevices(mem: GuestMemory, p: PcPlatform): void {
  const out = (port: number, v: number): void => p.pic.portOut(port, 1, v);
  out(0x20, 0x11); out(0x21, PIC_MASTER_BASE); out(0x21, 0x04); out(0x21, 0x01);
  out(0xa0, 0x11); out(0xa1, PIC_SLAVE_BASE); out(0xa1, 0x02); out(0xa1, 0x01);
  out(0x21, 0xf8); out(0xa1, 0xff); // IRQ0 (timer), IRQ1 (keyboard), IRQ2 (cascade) enabled
  p.pit.portOut(0x43, 1, 0x36); p.pit.portOut(0x40, 1, 0); p.pit.portOut(0x40, 1, 0);
  const screen = new Uint8Array(VGA_COLS * VGA_ROWS * 2);
  for (let k = 0; k < screen.length; k += 2) { screen[k] = 0x20; screen[k + 1] = 0x07; }
  mem.writeBytes(VGA_TEXT_BASE, screen);
}
