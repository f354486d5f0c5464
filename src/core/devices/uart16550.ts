// National Semiconductor PC16550D UART (the PC's COM ports), as registers and plain state.
// Register map (datasheet Table II): base+0 RBR/THR (DLL when DLAB), +1 IER (DLM when DLAB), +2 IIR/FCR,
// +3 LCR, +4 MCR, +5 LSR, +6 MSR, +7 SCR.
// - FIFOs (FCR bit 0): a 16-byte receiver FIFO with the trigger level of FCR bits 7:6 (1/4/8/14);
//   FCR bits 1/2 clear the receiver / transmitter FIFO. Transmission is instantaneous, so the
//   transmitter FIFO and shift register are empty again after every THR write (THRE = TEMT = 1).
// - Received bytes come only from the recorded input log. They wait "on the line" and enter the
//   receiver FIFO (or RBR) as room frees up, like a sender honouring flow control, so nothing the user
//   typed is lost; an overrun (LSR.OE) happens where the datasheet says it does when bytes arrive with
//   the receiver full, e.g. in loopback.
// - Interrupts (Table IV, highest priority first): receiver line status (OE/PE/FE/BI, IER bit 2),
//   received data available (trigger level reached, IER bit 0), character timeout (FIFO mode: data
//   below the trigger level and no more on the line, the deterministic stand-in for 4 character
//   times), THR empty (IER bit 1; cleared by reading IIR or writing THR), modem status (IER bit 3).
//   The PC gates the INTR output with MCR.OUT2 before it reaches the PIC (COM1 IRQ 4, COM2 IRQ 3).
// - MCR loopback (bit 4): THR writes return in the receiver; DTR/RTS/OUT1/OUT2 appear as DSR/CTS/RI/DCD.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

export const LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_FIFOERR = 0x80;
export const IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08;
export const IIR_NONE = 0x01, IIR_MS = 0x00, IIR_THRE = 0x02, IIR_RDA = 0x04, IIR_RLS = 0x06, IIR_TIMEOUT = 0x0c;
export const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
const FIFO_SIZE = 16;
const TRIGGER = [1, 4, 8, 14];

export class Uart16550 implements PortDevice, Snapshotable {
  readonly name: string;
  ier = 0; lcr = 0x03; mcr = 0; scr = 0; dll = 1; dlm = 0; fcr = 0;
  /** Receiver FIFO (at most 1 byte in 16450 mode, 16 with FIFOs). */
  readonly rxFifo: number[] = [];
  /** Bytes from the input log not yet in the receiver ("on the line"). */
  readonly rx: number[] = [];
  /** LSR error bits waiting to be read (OE, PE, FE, BI). */
  lsrErrors = 0;
  /** THR-empty interrupt pending (set when THR empties, cleared by an IIR read that reports it or a THR write). */
  threPending = true;
  /** MSR: the delta bits (3:0) since the last MSR read, and the last modem inputs seen (7:4). */
  msrDelta = 0;
  private lastModem = 0xb0;
  private irqLevel = false;
  /** Everything the guest transmitted (for views and tests). */
  txCount = 0;

  constructor(readonly index: number, readonly base: number, private readonly onTransmit: (byte: number) => void,
    private readonly setIrq: (level: boolean) => void = () => undefined) {
    this.name = `COM${index + 1} (16550A @0x${base.toString(16)})`;
  }

  get stateName(): string { return `uart${this.index}`; }
  saveState(w: StateWriter): void {
    w.begin(this.stateName, 2);
    for (const v of [this.ier, this.lcr, this.mcr, this.scr, this.dll, this.dlm, this.fcr, this.lsrErrors, this.msrDelta, this.lastModem]) w.u8(v);
    w.bool(this.threPending); w.bool(this.irqLevel);
    w.bytes(Uint8Array.from(this.rxFifo));
    w.bytes(Uint8Array.from(this.rx));
    w.f64(this.txCount);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 2);
    this.ier = r.u8(); this.lcr = r.u8(); this.mcr = r.u8(); this.scr = r.u8(); this.dll = r.u8(); this.dlm = r.u8(); this.fcr = r.u8();
    this.lsrErrors = r.u8(); this.msrDelta = r.u8(); this.lastModem = r.u8();
    this.threPending = r.bool(); this.irqLevel = r.bool();
    this.rxFifo.length = 0;
    for (const b of r.bytes()) this.rxFifo.push(b);
    this.rx.length = 0;
    for (const b of r.bytes()) this.rx.push(b);
    this.txCount = r.f64();
  }

  get dlab(): boolean { return (this.lcr & 0x80) !== 0; }
  get fifoEnabled(): boolean { return (this.fcr & 1) !== 0; }
  private get capacity(): number { return this.fifoEnabled ? FIFO_SIZE : 1; }
  get triggerLevel(): number { return this.fifoEnabled ? TRIGGER[this.fcr >> 6] : 1; }

  /** Input-log bytes for this port: they queue on the line and fill the receiver as it has room. */
  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.rx.push(b);
    this.refill();
    this.updateIrq();
  }
  private refill(): void {
    if (this.mcr & MCR_LOOP) return; // in loopback the receiver is disconnected from the line (SIN)
    while (this.rx.length && this.rxFifo.length < this.capacity) this.rxFifo.push(this.rx.shift()!);
  }
  /** A byte arriving at the receiver now (loopback): into the FIFO, or an overrun when it is full. */
  private arrive(b: number): void {
    if (this.rxFifo.length < this.capacity) this.rxFifo.push(b);
    else if (this.fifoEnabled) this.lsrErrors |= LSR_OE;               // FIFO full: the new character is lost
    else { this.rxFifo[0] = b; this.lsrErrors |= LSR_OE; }             // 16450 mode: RBR is overwritten
  }

  /** Modem inputs (MSR bits 7:4): loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; else CTS, DSR, DCD asserted. */
  private modemInputs(): number {
    if (!(this.mcr & MCR_LOOP)) return 0xb0;
    const m = this.mcr;
    return ((m & MCR_RTS) ? 0x10 : 0) | ((m & MCR_DTR) ? 0x20 : 0) | ((m & MCR_OUT1) ? 0x40 : 0) | ((m & MCR_OUT2) ? 0x80 : 0);
  }
  private noteModem(): void {
    const now = this.modemInputs(), ch = now ^ this.lastModem;
    if (ch & 0x10) this.msrDelta |= 0x01;                              // DCTS
    if (ch & 0x20) this.msrDelta |= 0x02;                              // DDSR
    if ((this.lastModem & 0x40) && !(now & 0x40)) this.msrDelta |= 0x04; // TERI: RI trailing edge
    if (ch & 0x80) this.msrDelta |= 0x08;                              // DDCD
    this.lastModem = now;
  }

  private lsr(): number {
    let v = LSR_THRE | LSR_TEMT | this.lsrErrors;
    if (this.rxFifo.length) v |= LSR_DR;
    if (this.fifoEnabled && (this.lsrErrors & (LSR_PE | LSR_FE | LSR_BI))) v |= LSR_FIFOERR;
    return v;
  }

  /** The highest-priority pending interrupt as IIR bits 3:0 (IIR_NONE when none). */
  pendingInterrupt(): number {
    const ie = this.ier;
    if ((ie & IER_RLS) && this.lsrErrors) return IIR_RLS;
    if ((ie & IER_RDA) && this.rxFifo.length >= this.triggerLevel) return IIR_RDA;
    if ((ie & IER_RDA) && this.fifoEnabled && this.rxFifo.length && this.rx.length === 0) return IIR_TIMEOUT;
    if ((ie & IER_THRE) && this.threPending) return IIR_THRE;
    if ((ie & IER_MS) && this.msrDelta) return IIR_MS;
    return IIR_NONE;
  }

  private updateIrq(): void {
    // INTR reaches the ISA IRQ line through the OUT2-controlled buffer on PC serial cards; in loopback
    // the 16550 disconnects OUT2 from the outside (datasheet "MCR bit 4").
    const level = this.pendingInterrupt() !== IIR_NONE && (this.mcr & MCR_OUT2) !== 0 && !(this.mcr & MCR_LOOP);
    if (level !== this.irqLevel) { this.irqLevel = level; this.setIrq(level); }
  }

  portIn(port: number, _size: number): number {
    let v: number;
    switch (port - this.base) {
      case 0:
        if (this.dlab) { v = this.dll; break; }
        v = this.rxFifo.length ? this.rxFifo.shift()! : 0;
        this.refill();
        break;
      case 1: v = this.dlab ? this.dlm : this.ier; break;
      case 2: {
        const p = this.pendingInterrupt();
        v = (this.fifoEnabled ? 0xc0 : 0) | p;
        if (p === IIR_THRE) this.threPending = false; // reading IIR with THRE as the source clears it
        break;
      }
      case 3: v = this.lcr; break;
      case 4: v = this.mcr; break;
      case 5: v = this.lsr(); this.lsrErrors = 0; break;
      case 6: this.noteModem(); v = this.modemInputs() | this.msrDelta; this.msrDelta = 0; break;
      default: v = this.scr;
    }
    this.updateIrq();
    return v;
  }

  portOut(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (port - this.base) {
      case 0:
        if (this.dlab) { this.dll = v; break; }
        this.txCount++;
        if (this.mcr & MCR_LOOP) this.arrive(v);
        else this.onTransmit(v);
        this.threPending = true; // transmitted at once: THR (and the transmitter FIFO) empty again
        break;
      case 1:
        if (this.dlab) { this.dlm = v; break; }
        // Enabling ETBEI with THR empty raises the THR-empty interrupt (datasheet, IER bit 1).
        if ((v & IER_THRE) && !(this.ier & IER_THRE)) this.threPending = true;
        this.ier = v & 0x0f;
        break;
      case 2: {
        const was = this.fcr & 1;
        if ((v & 1) !== was) { this.rxFifo.length = 0; } // changing the FIFO enable resets the FIFOs
        if (v & 0x02) this.rxFifo.length = 0; // bit 2 (transmitter FIFO reset) has nothing to clear here
        this.fcr = (v & 1) ? (v & 0xc8) | 1 : 0;  // trigger level, DMA mode select, enable
        this.refill();
        break;
      }
      case 3: this.lcr = v; break;
      case 4: this.mcr = v & 0x1f; this.noteModem(); this.refill(); break;
      case 7: this.scr = v; break;
      default: break;
    }
    this.updateIrq();
  }

  registers(): { name: string; value: number }[] {
    return [
      { name: 'IER', value: this.ier }, { name: 'IIR', value: (this.fifoEnabled ? 0xc0 : 0) | this.pendingInterrupt() },
      { name: 'LCR', value: this.lcr }, { name: 'MCR', value: this.mcr },
      { name: 'LSR', value: this.lsr() }, { name: 'DLL', value: this.dll }, { name: 'DLM', value: this.dlm },
      { name: 'SCR', value: this.scr }, { name: 'RX FIFO', value: this.rxFifo.length },
    ];
  }
}
