// Intel 82093AA I/O APIC (datasheet 290566-001): the register window IOREGSEL (+0x00) / IOWIN
// (+0x10), IOAPICID (index 0), IOAPICVER (1: version 0x11, maximum redirection entry 23), IOAPICARB
// (2), and 24 redirection-table entries at indexes 0x10-0x3F (two 32-bit halves each, datasheet 3.2.4):
// vector, delivery mode (fixed, lowest priority, SMI, NMI, INIT, ExtINT), destination mode (physical /
// logical), delivery status, pin polarity, remote IRR, trigger mode (edge / level), mask, destination.
// Edge-triggered pins deliver on the active edge; level-triggered pins deliver while asserted and set
// remote IRR until a local APIC's EOI of that vector is broadcast back (eoi()).
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';
import { IOAPIC_PINS } from './apicAddresses';

export const IOAPIC_VERSION = 0x11;
const RTE_MASK = 1 << 16, RTE_LEVEL = 1 << 15, RTE_REMOTE_IRR = 1 << 14, RTE_ACTIVE_LOW = 1 << 13, RTE_PENDING = 1 << 12;
/** Writable bits of an entry's low half: vector, delivery mode, destination mode, polarity, trigger, mask. */
const RTE_LO_WRITABLE = 0x1afff;

/** One interrupt message on the APIC bus (what an entry sends). */
export interface ApicMessage {
  vector: number;
  /** Delivery mode (lapic.ts DM). */
  mode: number;
  /** Logical (true) or physical destination. */
  logical: boolean;
  /** Destination field (8 bits). */
  dest: number;
  level: boolean;
}

export class IoApic implements Snapshotable {
  readonly stateName = 'ioapic';
  id: number;
  arb: number;
  ioregsel = 0;
  /** Redirection entries: low and high halves (the power-up value masks every pin). */
  readonly lo = new Int32Array(IOAPIC_PINS).fill(RTE_MASK);
  readonly hi = new Int32Array(IOAPIC_PINS);
  /** Input pin levels as the devices drive them (before polarity). */
  readonly pins = new Uint8Array(IOAPIC_PINS);
  /** Messages sent, for the Devices view and the tests. */
  delivered = 0;

  constructor(id: number, private readonly deliver: (m: ApicMessage) => void) {
    this.id = id & 0xf;
    this.arb = this.id;
  }

  /** The register behind the window (datasheet 3.2). */
  readReg(index: number): number {
    if (index === 0) return (this.id << 24) >>> 0;
    if (index === 1) return ((IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION) >>> 0;
    if (index === 2) return (this.arb << 24) >>> 0;
    if (index >= 0x10 && index < 0x10 + 2 * IOAPIC_PINS) {
      const pin = (index - 0x10) >> 1;
      return ((index & 1) ? this.hi[pin] : this.lo[pin]) >>> 0;
    }
    return 0;
  }

  writeReg(index: number, value: number): void {
    if (index === 0) { this.id = (value >>> 24) & 0xf; return; }
    if (index < 0x10 || index >= 0x10 + 2 * IOAPIC_PINS) return; // version and arbitration are read-only
    const pin = (index - 0x10) >> 1;
    if (index & 1) { this.hi[pin] = value & 0xff000000; return; }
    // Delivery status and remote IRR are read-only; an edge entry has no remote IRR.
    let lo = (this.lo[pin] & (RTE_REMOTE_IRR | RTE_PENDING)) | (value & RTE_LO_WRITABLE);
    if (!(lo & RTE_LEVEL)) lo &= ~RTE_REMOTE_IRR;
    this.lo[pin] = lo;
    this.service(pin); // unmasking an asserted level-triggered pin delivers it
  }

  /** MMIO access at `offset` in the I/O APIC page: IOREGSEL at 0x00, IOWIN at 0x10 (other offsets: reserved). */
  mmioRead(offset: number): number {
    if ((offset & 0xff) === 0x00) return this.ioregsel;
    if ((offset & 0xff) === 0x10) return this.readReg(this.ioregsel);
    return 0;
  }
  mmioWrite(offset: number, value: number): void {
    if ((offset & 0xff) === 0x00) this.ioregsel = value & 0xff;
    else if ((offset & 0xff) === 0x10) this.writeReg(this.ioregsel, value >>> 0);
  }

  private asserted(pin: number): boolean {
    return ((this.pins[pin] !== 0) !== ((this.lo[pin] & RTE_ACTIVE_LOW) !== 0));
  }

  /** A device drives input `pin` (global system interrupt) to `level`. */
  setIrq(pin: number, level: boolean): void {
    if (pin < 0 || pin >= IOAPIC_PINS) return;
    const was = this.asserted(pin);
    this.pins[pin] = level ? 1 : 0;
    const now = this.asserted(pin);
    const e = this.lo[pin];
    if (e & RTE_LEVEL) { if (now) this.service(pin); return; }
    if (now && !was && !(e & RTE_MASK)) this.send(pin); // edge: the active transition (a masked edge is lost)
  }

  /** Level-triggered pin still asserted with no message outstanding: send (again). */
  private service(pin: number): void {
    const e = this.lo[pin];
    if (!(e & RTE_LEVEL) || (e & RTE_MASK) || (e & RTE_REMOTE_IRR) || !this.asserted(pin)) return;
    this.lo[pin] = e | RTE_REMOTE_IRR;
    this.send(pin);
  }

  private send(pin: number): void {
    const e = this.lo[pin];
    this.delivered++;
    this.deliver({ vector: e & 0xff, mode: (e >> 8) & 7, logical: (e & (1 << 11)) !== 0, dest: (this.hi[pin] >>> 24) & 0xff, level: (e & RTE_LEVEL) !== 0 });
  }

  /** A local APIC's EOI broadcast for `vector`: clear remote IRR of the level entries with that vector (and re-send if still asserted). */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const e = this.lo[pin];
      if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR) && (e & 0xff) === vector) {
        this.lo[pin] = e & ~RTE_REMOTE_IRR;
        this.service(pin);
      }
    }
  }

  /** Whether an edge on `pin` would be sent now (for the idle vCPU's wake-up check). */
  canDeliver(pin: number): boolean {
    return pin >= 0 && pin < IOAPIC_PINS && !(this.lo[pin] & RTE_MASK) && !(this.lo[pin] & RTE_REMOTE_IRR);
  }

  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    w.u32(this.id); w.u32(this.arb); w.u32(this.ioregsel);
    w.i32s(this.lo); w.i32s(this.hi); w.bytes(this.pins); w.f64(this.delivered);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    this.id = r.u32(); this.arb = r.u32(); this.ioregsel = r.u32();
    r.i32sInto(this.lo); r.i32sInto(this.hi); this.pins.set(r.bytes()); this.delivered = r.f64();
  }
}
