// Intel 8042 keyboard controller with its attached keyboard, as on the PC/AT: data port 0x60,
// status (read) / command (write) port 0x64, IRQ1. Controller commands (IBM PC/AT Technical
// Reference, "Keyboard Controller"): 0x20/0x60 read/write the command byte, 0xAA self-test,
// 0xAB interface test, 0xAD/0xAE disable/enable the keyboard, 0xA7/0xA8/0xA9 auxiliary port,
// 0xC0 input port, 0xD0/0xD1 read/write the output port (bit 0 = system reset, active low; bit 1 =
// A20 gate), 0xD2 write the keyboard output buffer, 0xFE/0xF0-0xFF pulse output bits (0xFE: reset).
// Keyboard commands (0xFF reset, 0xF4/0xF5 enable/disable, 0xED LEDs, 0xF0 scancode set, 0xF2
// identify, 0xEE echo, ...) are acknowledged with 0xFA. User input arrives as ASCII bytes
// (Vm.keyboardInput, the same path as serial input) and becomes scancode set 1 make/break codes.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

const ST_OBF = 0x01, ST_SYS = 0x04, ST_CMD = 0x08, ST_UNLOCKED = 0x10;
const CB_INT = 0x01, CB_SYS = 0x04, CB_DISABLE_KBD = 0x10, CB_XLATE = 0x40;
const ACK = 0xfa;

/** Scancode set 1 make code of each printable ASCII character, and whether it needs Shift (US layout). */
const SET1: [number, boolean][] = [];
(() => {
  const rows: [string, string, number][] = [
    ['1234567890-=', '!@#$%^&*()_+', 0x02], ['qwertyuiop[]', 'QWERTYUIOP{}', 0x10],
    ["asdfghjkl;'`", 'ASDFGHJKL:"~', 0x1e], ['\\zxcvbnm,./', '|ZXCVBNM<>?', 0x2b],
  ];
  for (const [plain, shifted, first] of rows) {
    for (let k = 0; k < plain.length; k++) {
      SET1[plain.charCodeAt(k)] = [first + k, false];
      SET1[shifted.charCodeAt(k)] = [first + k, true];
    }
  }
  SET1[0x20] = [0x39, false]; SET1[0x0a] = [0x1c, false]; SET1[0x0d] = [0x1c, false];
  SET1[0x08] = [0x0e, false]; SET1[0x7f] = [0x0e, false]; SET1[0x09] = [0x0f, false]; SET1[0x1b] = [0x01, false];
})();
const LSHIFT = 0x2a;

/** Scancode set 1 bytes (make, then break = make | 0x80) for an ASCII byte; [] when it has no key. */
export function asciiToSet1(ch: number): number[] {
  const e = SET1[ch];
  if (!e) return [];
  const [code, shift] = e;
  return shift ? [LSHIFT, code, code | 0x80, LSHIFT | 0x80] : [code, code | 0x80];
}

export class I8042 implements PortDevice, Snapshotable {
  readonly name = '8042 keyboard controller @0x60/0x64';
  readonly stateName = 'i8042';
  /** Bytes waiting for the output buffer (the first one is in it when OBF is set). */
  readonly output: number[] = [];
  commandByte = CB_INT | CB_SYS | CB_XLATE;
  /** Output port: bit 0 reset line (1 = running), bit 1 A20 gate. */
  outputPort = 0x03;
  /** Last write went to 0x64 (status bit 3). */
  lastWasCommand = false;
  /** Controller command waiting for its data byte on 0x60 (0: none). */
  pendingCommand = 0;
  /** Keyboard command waiting for its parameter byte (0xED, 0xF0, 0xF3; 0: none). */
  pendingKbdCommand = 0;
  scancodeSet = 2;
  kbdEnabled = true;
  /** Scancodes delivered from user input. */
  keysIn = 0;
  private irqLevel = false;

  constructor(private readonly setIrq1: (level: boolean) => void, private readonly onA20: (enabled: boolean) => void,
    private readonly onReset: () => void) {}

  get a20(): boolean { return (this.outputPort & 2) !== 0; }

  /** User input: ASCII bytes become scancode set 1 key presses and releases. */
  keyboardInput(bytes: Uint8Array): void {
    for (const b of bytes) for (const s of asciiToSet1(b)) { this.output.push(s); this.keysIn++; }
    this.updateIrq();
  }

  private reply(...bytes: number[]): void { for (const b of bytes) this.output.push(b); this.updateIrq(); }

  /** IRQ1 follows "output buffer full" while the command byte enables the keyboard interrupt. */
  private updateIrq(): void {
    const level = this.output.length > 0 && (this.commandByte & CB_INT) !== 0;
    if (level !== this.irqLevel) { this.irqLevel = level; this.setIrq1(level); }
  }

  /** The status register (port 0x64), without side effects. */
  portInPeek(): number {
    return (this.output.length ? ST_OBF : 0) | (this.commandByte & CB_SYS ? ST_SYS : 0) | (this.lastWasCommand ? ST_CMD : 0) | ST_UNLOCKED;
  }

  portIn(port: number): number {
    if (port === 0x64) return this.portInPeek();
    const v = this.output.length ? this.output.shift()! : 0;
    // The next byte is a new "output buffer full": drop the line so the PIC sees a fresh edge.
    if (this.irqLevel) { this.irqLevel = false; this.setIrq1(false); }
    this.updateIrq();
    return v;
  }

  portOut(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === 0x64) { this.lastWasCommand = true; this.command(v); return; }
    this.lastWasCommand = false;
    if (this.pendingCommand) {
      const c = this.pendingCommand;
      this.pendingCommand = 0;
      if (c === 0x60) { this.commandByte = v; this.updateIrq(); }
      else if (c === 0xd1) this.writeOutputPort(v);
      else if (c === 0xd2) this.reply(v);
      return; // 0xd3/0xd4: no auxiliary device attached
    }
    this.keyboardCommand(v);
  }

  private command(c: number): void {
    switch (c) {
      case 0x20: this.reply(this.commandByte); break;
      case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4: this.pendingCommand = c; break;
      case 0xa7: case 0xa8: break;
      case 0xa9: this.reply(0xff); break; // no auxiliary device: clock line stuck low
      case 0xaa: this.reply(0x55); break; // self-test passed
      case 0xab: this.reply(0x00); break;
      case 0xad: this.commandByte |= CB_DISABLE_KBD; break;
      case 0xae: this.commandByte &= ~CB_DISABLE_KBD; break;
      case 0xc0: this.reply(0x80); break; // input port: keyboard not inhibited
      case 0xd0: this.reply(this.outputPort); break;
      default:
        // 0xf0-0xff: pulse the output-port bits whose command bits are 0 (bit 0 = reset).
        if (c >= 0xf0 && !(c & 1)) this.onReset();
    }
  }

  /** The A20 gate bit of the output port (the paravirtual BIOS's INT 15h AX=2400h/2401h), with its side effects. */
  setA20(on: boolean): void { this.writeOutputPort(on ? this.outputPort | 2 : this.outputPort & ~2); }

  private writeOutputPort(v: number): void {
    const a20 = this.a20;
    this.outputPort = v;
    if (this.a20 !== a20) this.onA20(this.a20);
    if (!(v & 1)) this.onReset();
  }

  private keyboardCommand(v: number): void {
    if (this.pendingKbdCommand) {
      const c = this.pendingKbdCommand;
      this.pendingKbdCommand = 0;
      if (c === 0xf0 && v === 0) { this.reply(ACK, this.scancodeSet); return; }
      if (c === 0xf0) this.scancodeSet = v & 3 || this.scancodeSet;
      this.reply(ACK);
      return;
    }
    switch (v) {
      case 0xff: this.output.length = 0; this.kbdEnabled = true; this.reply(ACK, 0xaa); break; // reset + BAT passed
      case 0xf2: this.reply(ACK, 0xab, 0x83); break; // MF2 keyboard
      case 0xee: this.reply(0xee); break;
      case 0xed: case 0xf0: case 0xf3: this.pendingKbdCommand = v; this.reply(ACK); break;
      case 0xf4: this.kbdEnabled = true; this.reply(ACK); break;
      case 0xf5: this.kbdEnabled = false; this.reply(ACK); break;
      case 0xf6: this.reply(ACK); break;
      default: this.reply(ACK);
    }
  }

  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    w.u32s(this.output);
    for (const n of [this.commandByte, this.outputPort, this.pendingCommand, this.pendingKbdCommand, this.scancodeSet]) w.u32(n);
    for (const b of [this.lastWasCommand, this.kbdEnabled, this.irqLevel]) w.bool(b);
    w.f64(this.keysIn);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    const n = r.u32();
    this.output.length = 0;
    for (let k = 0; k < n; k++) this.output.push(r.u32());
    this.commandByte = r.u32(); this.outputPort = r.u32(); this.pendingCommand = r.u32(); this.pendingKbdCommand = r.u32(); this.scancodeSet = r.u32();
    this.lastWasCommand = r.bool(); this.kbdEnabled = r.bool(); this.irqLevel = r.bool();
    this.keysIn = r.f64();
  }
}
