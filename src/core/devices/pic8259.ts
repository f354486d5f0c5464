// Intel 8259A Programmable Interrupt Controller, the PC/AT pair: master at 0x20/0x21 (IRQ0-7),
// slave at 0xA0/0xA1 (IRQ8-15) cascaded on the master's IR2. Behaviour from the 8259A datasheet
// (Intel 231468): initialization ICW1-ICW4, OCW1 (IMR), OCW2 (non-specific / specific EOI, rotation,
// set priority), OCW3 (read IRR/ISR, poll, special mask mode), fully nested priority, auto-EOI,
// spurious IR7, and the INTA cycle that hands the CPU its vector. Inputs are edge triggered (the PC
// default: ELCR all zero); an IRQ line is a level the device drives, and a rising edge sets IRR.
// State is plain numbers (Snapshotable).
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

/** One 8259A. */
export class Pic8259Chip {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Input line levels (edge detection). */
  lines = 0;
  /** ICW2: vector of IR0 (bits 7:3). */
  vectorBase = 0;
  /** ICW3: master: IRs with a slave; slave: its cascade identity. */
  icw3 = 0;
  /** ICW4 bit 1: automatic EOI. */
  autoEoi = false;
  /** ICW4 bit 4: special fully nested mode. */
  sfnm = false;
  /** The IR with the highest priority (0 after ICW1; rotation moves it). */
  priorityAdd = 0;
  /** OCW2 R=1 SL=0 EOI=0: rotate in automatic EOI mode. */
  rotateOnAutoEoi = false;
  /** OCW3 RIS: a read of the even port returns ISR (else IRR). */
  readIsr = false;
  /** OCW3 special mask mode. */
  specialMask = false;
  /** OCW3 P: the next read of the even port is a poll. */
  poll = false;
  /** 0 operational; 2/3/4: the next write to the odd port is ICW2/ICW3/ICW4. */
  initStep = 0;
  /** ICW1: IC4 (ICW4 needed) and SNGL (no ICW3). */
  needIcw4 = false; single = false;

  constructor(readonly isMaster: boolean) {}

  /** Priority of the highest-priority bit of `mask` (0 highest .. 7), 8 when empty. */
  private priority(mask: number): number {
    if (!mask) return 8;
    let p = 0;
    while (!(mask & (1 << ((p + this.priorityAdd) & 7)))) p++;
    return p;
  }

  /** The IR this chip would signal to the CPU now (datasheet "fully nested mode"), or -1. */
  pending(): number {
    const req = this.irr & ~this.imr;
    const p = this.priority(req);
    if (p === 8) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: the slave's own IR stays open to higher requests from that slave.
    if (this.isMaster && this.sfnm) inService &= ~this.icw3;
    return p < this.priority(inService) ? (p + this.priorityAdd) & 7 : -1;
  }

  /** Whether a rising edge on `ir` could ever reach the CPU in the current state (unmasked, not shadowed by ISR). */
  canAccept(ir: number): boolean {
    if (this.imr & (1 << ir)) return false;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    if (this.isMaster && this.sfnm) inService &= ~this.icw3;
    return ((ir - this.priorityAdd) & 7) < this.priority(inService);
  }

  /** Drive input `ir` to `level`; a rising edge sets IRR (edge-triggered mode). */
  setLine(ir: number, level: boolean): void {
    const m = 1 << ir;
    if (level) {
      if (!(this.lines & m)) this.irr |= m;
      this.lines |= m;
    } else {
      this.lines &= ~m;
    }
  }

  /** INTA for `ir`: IRR -> ISR (or automatic EOI). */
  acknowledge(ir: number): void {
    this.irr &= ~(1 << ir);
    if (this.autoEoi) { if (this.rotateOnAutoEoi) this.priorityAdd = (ir + 1) & 7; }
    else this.isr |= 1 << ir;
  }

  /** Even port (A0 = 0): ICW1, OCW2 or OCW3. */
  writeCommand(v: number): void {
    if (v & 0x10) {
      // ICW1: start initialization; IMR cleared, IR7 lowest priority, special mask off, read IRR,
      // the edge-sense latches reset (a line held high must drop before it requests again).
      this.needIcw4 = (v & 1) !== 0; this.single = (v & 2) !== 0;
      this.imr = 0; this.isr = 0; this.irr = 0; this.priorityAdd = 0; this.readIsr = false;
      this.specialMask = false; this.poll = false; this.rotateOnAutoEoi = false;
      if (!this.needIcw4) { this.autoEoi = false; this.sfnm = false; }
      this.initStep = 2;
      return;
    }
    if (v & 0x08) {
      // OCW3.
      if (v & 0x04) this.poll = true;
      if (v & 0x02) this.readIsr = (v & 1) !== 0;
      if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
      return;
    }
    // OCW2: R SL EOI in bits 7:5, level in 2:0.
    const level = v & 7;
    switch (v >> 5) {
      case 0: this.rotateOnAutoEoi = false; break;
      case 4: this.rotateOnAutoEoi = true; break;
      case 1: case 5: { // non-specific EOI (5: and rotate)
        const p = this.priority(this.isr);
        if (p === 8) break;
        const ir = (p + this.priorityAdd) & 7;
        this.isr &= ~(1 << ir);
        if (v >> 5 === 5) this.priorityAdd = (ir + 1) & 7;
        break;
      }
      case 3: this.isr &= ~(1 << level); break; // specific EOI
      case 7: this.isr &= ~(1 << level); this.priorityAdd = (level + 1) & 7; break; // rotate on specific EOI
      case 6: this.priorityAdd = (level + 1) & 7; break; // set priority: `level` becomes the lowest
      default: break; // 2: no operation
    }
  }

  /** Odd port (A0 = 1): ICW2-4 during initialization, else OCW1 (IMR). */
  writeData(v: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = v & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        this.icw3 = v;
        this.initStep = this.needIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 2) !== 0;
        this.sfnm = (v & 0x10) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = v;
    }
  }

  /** Even port read: the poll word (acknowledges like INTA), or IRR / ISR per OCW3. */
  readCommand(): number {
    if (this.poll) {
      this.poll = false;
      const ir = this.pending();
      if (ir < 0) return 0;
      this.acknowledge(ir);
      return 0x80 | ir;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  save(w: StateWriter): void {
    for (const n of [this.irr, this.isr, this.imr, this.lines, this.vectorBase, this.icw3, this.priorityAdd, this.initStep]) w.u32(n);
    for (const b of [this.autoEoi, this.sfnm, this.rotateOnAutoEoi, this.readIsr, this.specialMask, this.poll, this.needIcw4, this.single]) w.bool(b);
  }
  load(r: StateReader): void {
    this.irr = r.u32(); this.isr = r.u32(); this.imr = r.u32(); this.lines = r.u32();
    this.vectorBase = r.u32(); this.icw3 = r.u32(); this.priorityAdd = r.u32(); this.initStep = r.u32();
    this.autoEoi = r.bool(); this.sfnm = r.bool(); this.rotateOnAutoEoi = r.bool(); this.readIsr = r.bool();
    this.specialMask = r.bool(); this.poll = r.bool(); this.needIcw4 = r.bool(); this.single = r.bool();
  }
}

/** IR of the master that the slave's INT output drives (PC/AT wiring). */
export const CASCADE_IR = 2;

/** The PC/AT 8259A pair as the interrupt controller of the machine. */
export class DualPic8259 implements PortDevice, Snapshotable {
  readonly name = '8259A PIC pair @0x20/0xa0';
  readonly stateName = 'pic';
  readonly master = new Pic8259Chip(true);
  readonly slave = new Pic8259Chip(false);
  /** Interrupts delivered to the CPU (INTA cycles with a real vector). */
  acknowledged = 0;
  /** Sees every ISA IRQ line change too (the I/O APIC's inputs are wired in parallel: vmm/apicBus.ts). */
  irqTap: ((irq: number, level: boolean) => void) | null = null;
  /** Called when the INT output to the CPU may have gone high (the VMM kicks a running vCPU). */
  onInterrupt: () => void = () => undefined;

  constructor() {
    // Power-on: the BIOS would program 0x08 / 0x70; a guest is expected to initialize the pair itself.
    this.master.vectorBase = 0x08; this.slave.vectorBase = 0x70;
    this.master.icw3 = 1 << CASCADE_IR; this.slave.icw3 = CASCADE_IR;
  }

  /** Drive IRQ line 0-15 to `level` (a device's interrupt output). */
  setIrq(irq: number, level: boolean): void {
    this.irqTap?.(irq, level);
    if (irq >= 8) this.slave.setLine(irq - 8, level);
    else if (irq !== CASCADE_IR) this.master.setLine(irq, level);
    this.update();
  }

  /** A rising edge on `irq` (a device that pulses its output). */
  pulseIrq(irq: number): void { this.setIrq(irq, false); this.setIrq(irq, true); }

  /** Propagate the slave's INT output to the master's cascade input. */
  private update(): void {
    this.master.setLine(CASCADE_IR, this.slave.pending() >= 0);
    if (this.master.pending() >= 0) this.onInterrupt();
  }

  /** The INT output to the CPU. */
  hasInterrupt(): boolean { return this.master.pending() >= 0; }

  /** Whether a rising edge on `irq` could reach the CPU now (for the idle vCPU's wake-up check). */
  canAccept(irq: number): boolean {
    if (irq < 8) return irq !== CASCADE_IR && this.master.canAccept(irq);
    return this.slave.canAccept(irq - 8) && this.master.canAccept(CASCADE_IR);
  }

  /**
   * The INTA cycle: returns the vector. If the request went away before the acknowledge, the chip
   * answers with IR7's vector (a spurious interrupt; ISR is not set).
   */
  acknowledge(): number {
    const ir = this.master.pending();
    let vector: number;
    if (ir < 0) {
      vector = this.master.vectorBase | 7;
    } else if (ir === CASCADE_IR) {
      const ir2 = this.slave.pending();
      this.master.acknowledge(ir);
      if (ir2 >= 0) { this.slave.acknowledge(ir2); vector = this.slave.vectorBase | ir2; this.acknowledged++; }
      else vector = this.slave.vectorBase | 7; // spurious IRQ15
    } else {
      this.master.acknowledge(ir);
      vector = this.master.vectorBase | ir;
      this.acknowledged++;
    }
    this.update();
    return vector;
  }

  portIn(port: number): number {
    const chip = (port & 0x80) ? this.slave : this.master;
    const v = (port & 1) ? chip.imr : chip.readCommand();
    this.update();
    return v;
  }

  portOut(port: number, _size: number, value: number): void {
    const chip = (port & 0x80) ? this.slave : this.master;
    if (port & 1) chip.writeData(value & 0xff); else chip.writeCommand(value & 0xff);
    this.update();
  }

  saveState(w: StateWriter): void { w.begin(this.stateName, 1); this.master.save(w); this.slave.save(w); w.f64(this.acknowledged); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.master.load(r); this.slave.load(r); this.acknowledged = r.f64(); }
}
