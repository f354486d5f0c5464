// National Semiconductor PC16550D UART (the PC's COM ports), as registers and plain state.
// Register map (datasheet Table II): base+0 RBR/THR (DLL when DLAB), +1 IER (DLM when DLAB), +2 IIR/FCR,
// +3 LCR, +4 MCR, +5 LSR, +6 MSR, +7 SCR. Transmission is instantaneous (THR empty is always set);
// received bytes come only from the recorded input log, so the guest's view is deterministic.
// FIFOs depth, interrupts and line status errors arrive with issue 5.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

const LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;

export class Uart16550 implements PortDevice, Snapshotable {
  readonly name: string;
  ier = 0; lcr = 0x03; mcr = 0; scr = 0; dll = 1; dlm = 0; fcr = 0;
  readonly rx: number[] = [];
  /** Everything the guest transmitted (for views and tests). */
  txCount = 0;

  constructor(readonly index: number, readonly base: number, private readonly onTransmit: (byte: number) => void) {
    this.name = `COM${index + 1} (16550A @0x${base.toString(16)})`;
  }

  get stateName(): string { return `uart${this.index}`; }
  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    for (const v of [this.ier, this.lcr, this.mcr, this.scr, this.dll, this.dlm, this.fcr]) w.u8(v);
    w.bytes(Uint8Array.from(this.rx));
    w.f64(this.txCount);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    this.ier = r.u8(); this.lcr = r.u8(); this.mcr = r.u8(); this.scr = r.u8(); this.dll = r.u8(); this.dlm = r.u8(); this.fcr = r.u8();
    this.rx.length = 0;
    for (const b of r.bytes()) this.rx.push(b);
    this.txCount = r.f64();
  }

  get dlab(): boolean { return (this.lcr & 0x80) !== 0; }

  receive(bytes: Uint8Array): void { for (const b of bytes) this.rx.push(b); }

  portIn(port: number, _size: number): number {
    switch (port - this.base) {
      case 0: return this.dlab ? this.dll : (this.rx.length ? this.rx.shift()! : 0);
      case 1: return this.dlab ? this.dlm : this.ier;
      case 2: return (this.fcr & 1 ? 0xc0 : 0) | 0x01; // no interrupt pending
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return LSR_THRE | LSR_TEMT | (this.rx.length ? LSR_DR : 0);
      case 6: return 0xb0; // DCD, DSR, CTS asserted
      default: return this.scr;
    }
  }

  portOut(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (port - this.base) {
      case 0:
        if (this.dlab) this.dll = v;
        else { this.txCount++; this.onTransmit(v); }
        break;
      case 1: if (this.dlab) this.dlm = v; else this.ier = v & 0x0f; break;
      case 2: this.fcr = v; break;
      case 3: this.lcr = v; break;
      case 4: this.mcr = v & 0x1f; break;
      case 7: this.scr = v; break;
      default: break;
    }
  }

  registers(): { name: string; value: number }[] {
    return [
      { name: 'IER', value: this.ier }, { name: 'LCR', value: this.lcr }, { name: 'MCR', value: this.mcr },
      { name: 'LSR', value: this.portIn(this.base + 5, 1) }, { name: 'DLL', value: this.dll }, { name: 'DLM', value: this.dlm },
      { name: 'SCR', value: this.scr },
    ];
  }
}
