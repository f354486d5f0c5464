// The PC platform's legacy devices on the port bus, wired as on a PC/AT: 8259A pair (0x20, 0xA0),
// 8254 PIT (0x40-0x43, port B 0x61) on IRQ0, MC146818 RTC/CMOS (0x70/0x71) on IRQ8, 8042 keyboard
// controller (0x60/0x64) on IRQ1, VGA CRTC (0x3D4/0x3D5/0x3DA), POST codes (0x80), debug console
// (0xE9). Timed devices hang off the VM's virtual clock. `devices()` shows their state as plain data.
import type { PortBus } from './portBus';
import type { FieldView, GroupView } from '../debug/debugApi';
import type { Snapshotable } from '../time/stateIo';
import { DualPic8259, type Pic8259Chip } from './pic8259';
import { Pit8254, PIT_HZ } from './pit8254';
import { CmosRtc, civilFromSeconds } from './cmosRtc';
import { I8042 } from './i8042';
import { VgaText } from './vgaText';
import { PostCode, POST_PORT } from './postCode';
import { DebugCon, DEBUGCON_PORT } from './debugCon';
import { SystemControlA, PORT92 } from './systemControlA';
import { INSNS_PER_US, type VirtualClock } from './virtualClock';
import type { IdeChannel } from './ide';
import type { IdeDisk } from './ideDisk';
import { attachIde } from './ideController';
import { ideViews } from './ideView';

export interface PcPlatformOptions {
  ramBytes: number;
  /** RTC start time, Unix seconds (default RTC_DEFAULT_START). */
  rtcStart?: number;
  /** Guest-physical byte read (VGA text memory). */
  readGpa: (gpa: number) => number | undefined;
  /** Port 0xE9 output. */
  debugConsoleOut: (bytes: Uint8Array) => void;
  /** The 8042 pulsed the reset line. */
  onReset: () => void;
  /** The A20 line changed (8042 output port bit 1 OR port 0x92 bit 1): the VMM re-aliases memory (vmm/a20Alias.ts). */
  onA20?: (enabled: boolean) => void;
  /** A snapshot restored the gate: set the VMM's A20 mask without touching the (restored) mappings. */
  onA20Restored?: (enabled: boolean) => void;
  /** IDE disks: primary master, primary slave, secondary master, secondary slave. */
  disks?: IdeDisk[];
}

const hex = (v: number, w = 2): string => '0x' + (v >>> 0).toString(16).padStart(w, '0');
const f = (name: string, value: number, text?: string, detail?: string): FieldView => ({ name, value, text: text ?? hex(value), detail });

export class PcPlatform {
  readonly pic = new DualPic8259();
  readonly pit: Pit8254;
  readonly rtc: CmosRtc;
  readonly kbd: I8042;
  readonly vga: VgaText;
  readonly post = new PostCode();
  readonly debugCon: DebugCon;
  /** Port 0x92, fast A20 and fast reset. */
  readonly port92: SystemControlA;
  /** The A20 line as the processor sees it (derived from the 8042 and port 0x92; not saved). */
  private a20Line = true;
  /** IDE primary (IRQ 14) and secondary (IRQ 15) channels. */
  readonly ide: [IdeChannel, IdeChannel];

  constructor(readonly clock: VirtualClock, ports: PortBus, o: PcPlatformOptions) {
    const pic = this.pic;
    this.pit = new Pit8254(clock, (l) => pic.setIrq(0, l));
    this.rtc = new CmosRtc(clock, (l) => pic.setIrq(8, l), o.ramBytes, o.rtcStart);
    // The chipset ORs the 8042's A20GATE with port 0x92 bit 1 (ICH datasheet, "A20M#").
    const a20Changed = (): void => { const on = this.a20; if (on !== this.a20Line) { this.a20Line = on; o.onA20?.(on); } };
    this.kbd = new I8042((l) => pic.setIrq(1, l), a20Changed, o.onReset);
    this.port92 = new SystemControlA(a20Changed, o.onReset, () => { this.a20Line = this.a20; o.onA20Restored?.(this.a20Line); });
    this.vga = new VgaText(o.readGpa);
    this.debugCon = new DebugCon(o.debugConsoleOut);
    ports.register(pic, 0x20, 2);
    ports.register(pic, 0xa0, 2);
    ports.register(this.pit, 0x40, 4);
    ports.register(this.pit, 0x61, 1);
    ports.register(this.kbd, 0x60, 1);
    ports.register(this.kbd, 0x64, 1);
    ports.register(this.rtc, 0x70, 2);
    ports.register(this.vga, 0x3d4, 2);
    ports.register(this.vga, 0x3da, 1);
    ports.register(this.post, POST_PORT, 1);
    ports.register(this.debugCon, DEBUGCON_PORT, 1);
    ports.register(this.port92, PORT92, 1);
    clock.register(this.pit);
    clock.register(this.rtc);
    this.ide = attachIde(ports, (irq, l) => pic.setIrq(irq, l), o.disks ?? []);
  }

  /** Everything with state, in save order. */
  snapshotables(): Snapshotable[] { return [this.pic, this.pit, this.rtc, this.kbd, this.vga, this.post, this.debugCon, this.port92]; }

  /** A20 gate: on when the 8042 output port bit 1 or port 0x92 bit 1 is set. */
  get a20(): boolean { return this.kbd.a20 || this.port92.a20; }

  /** Device state for the debugger (one group per device). */
  devices(): GroupView[] {
    const chip = (name: string, c: Pic8259Chip): GroupView => ({
      name,
      fields: [
        f('IRR', c.irr, undefined, 'interrupt request register'), f('ISR', c.isr, undefined, 'in-service register'),
        f('IMR', c.imr, undefined, 'interrupt mask register (OCW1)'), f('vector base', c.vectorBase, undefined, 'ICW2'),
        f('highest priority IR', c.priorityAdd, String(c.priorityAdd)), f('auto EOI', c.autoEoi ? 1 : 0, c.autoEoi ? 'on' : 'off'),
        f('initialized', c.initStep === 0 ? 1 : 0, c.initStep === 0 ? 'yes' : `waiting for ICW${c.initStep}`),
      ],
    });
    const t = this.pit.tick();
    const pit: GroupView = {
      name: '8254 PIT',
      fields: this.pit.counters.flatMap((c, k) => [
        f(`counter ${k} mode`, c.mode, `mode ${c.mode}${c.bcd ? ' BCD' : ''}${c.armed ? '' : ' (no count)'}`),
        f(`counter ${k} divisor`, c.divisor, `${c.divisor} (${(PIT_HZ / c.divisor).toFixed(3)} Hz)`),
        f(`counter ${k} count`, c.count(t), String(c.count(t))),
        f(`counter ${k} OUT`, c.out(t) ? 1 : 0, c.out(t) ? 'high' : 'low'),
      ]).concat([f('IRQ0 edges', this.pit.irqs, String(this.pit.irqs))]),
    };
    const secs = this.rtc.seconds(), d = civilFromSeconds(secs);
    const p2 = (n: number): string => String(n).padStart(2, '0');
    const rtc: GroupView = {
      name: 'MC146818 RTC',
      fields: [
        f('time', secs, `${d.year}-${p2(d.month)}-${p2(d.day)} ${p2(d.hour)}:${p2(d.minute)}:${p2(d.second)}`),
        f('register A', this.rtc.ram[0x0a]), f('register B', this.rtc.ram[0x0b]), f('register C', this.rtc.ram[0x0c]),
        f('index', this.rtc.index), f('NMI disabled', this.rtc.nmiDisabled ? 1 : 0, this.rtc.nmiDisabled ? 'yes' : 'no'),
      ],
    };
    const k = this.kbd;
    const kbd: GroupView = {
      name: '8042 keyboard controller',
      fields: [
        f('status', k.portInPeek()), f('command byte', k.commandByte), f('output port', k.outputPort),
        f('A20', k.a20 ? 1 : 0, k.a20 ? 'enabled' : 'disabled'), f('port 0x92', this.port92.value),
        f('A20 line', this.a20 ? 1 : 0, this.a20 ? 'enabled' : 'masked: bit 20 of every guest-physical address is 0', '8042 output port bit 1 OR port 0x92 bit 1'),
        f('queued bytes', k.output.length, String(k.output.length)),
      ],
    };
    const v = this.vga;
    const vga: GroupView = {
      name: 'VGA text',
      fields: [
        f('cursor', v.cursor, `row ${Math.floor(v.cursor / 80)} col ${v.cursor % 80}${v.cursorVisible ? '' : ' (hidden)'}`),
        f('start address', v.startAddress, hex(v.startAddress, 4)),
      ],
    };
    const misc: GroupView = {
      name: 'POST / debug console / clock',
      fields: [
        f('POST code', this.post.last, this.post.last < 0 ? '(none)' : hex(this.post.last)), f('POST writes', this.post.count, String(this.post.count)),
        f('debugcon bytes', this.debugCon.bytes, String(this.debugCon.bytes)),
        f('virtual time', this.clock.now(), `${(this.clock.now() / INSNS_PER_US).toFixed(2)} us`, `${INSNS_PER_US} instructions per virtual microsecond`),
        f('idle time', this.clock.idle, `${(this.clock.idle / INSNS_PER_US).toFixed(2)} us`, 'skipped while the vCPU was halted'),
      ],
    };
    return [chip('8259A PIC (master)', this.pic.master), chip('8259A PIC (slave)', this.pic.slave), pit, rtc, kbd, vga, misc, ...ideViews(this.ide)];
  }
}
