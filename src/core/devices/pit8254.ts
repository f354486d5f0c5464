// Intel 8254 Programmable Interval Timer (datasheet 231164), as the PC wires it: input clock
// 1.193182 MHz, counter 0 -> IRQ0, counter 1 (DRAM refresh, gate tied high), counter 2 -> the speaker,
// its GATE and OUT on port 0x61 (system control port B). Ports 0x40-0x42 are the counters, 0x43 the
// control word (incl. counter latch and read-back). Modes 0 (interrupt on terminal count), 2 (rate
// generator), 3 (square wave); 1/5 behave as 0 and 4 until a gate trigger, 6/7 alias 2/3.
// Nothing ticks: a counter keeps the clock tick at which it was loaded, and its count, OUT and
// next edge are computed from the virtual clock (virtualClock.ts) when asked. State is plain numbers.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';
import { ticksAt, timeOfTick, type ClockClient, type VirtualClock } from './virtualClock';

/** The PIT input clock (Hz). */
export const PIT_HZ = 1_193_182;
/** Port B (0x61) bit 4 toggles with DRAM refresh every 15.085 us: a 66.288 kHz half-period rate. */
const REFRESH_TOGGLE_HZ = 66_288;

const fromBcd = (v: number): number => ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
const toBcd = (v: number): number => (((v / 1000) | 0) % 10) << 12 | (((v / 100) | 0) % 10) << 8 | (((v / 10) | 0) % 10) << 4 | (v % 10);

/** One counter: control word fields, count register, latches, and the PIT tick it started counting at. */
export class PitCounter {
  mode = 0;
  /** RW field: 1 LSB only, 2 MSB only, 3 LSB then MSB. */
  access = 3;
  bcd = false;
  /** Count register (CR) as written (0 means 0x10000 / 10000 in BCD). */
  reload = 0;
  /** A count has been written and counting is on (mode 0 stops being "armed" only by a new control word). */
  armed = false;
  /** PIT tick at which the count was loaded into the counting element (CR -> CE on the next clock). */
  start = 0;
  /** Ticks counted before the gate went low (counting suspended in mode 0 while GATE is low). */
  pausedAt = -1;
  gate = true;
  /** LSB/MSB write and read toggles. */
  writeHi = false; readHi = false;
  /** Partial LSB written while waiting for the MSB. */
  writeLo = 0;
  /** Counter latch: value and whether its LSB/MSB is still unread (-1: none). */
  latched = -1; latchHi = false;
  /** Read-back status latch (-1: none). */
  status = -1;
  /** Rising edges of OUT already reported (modes 2/3: periods completed; mode 0: 1 when it fired). */
  edges = 0;

  /** The divisor N (0 means the maximum). */
  get divisor(): number { return this.reload === 0 ? (this.bcd ? 10000 : 0x10000) : (this.bcd ? fromBcd(this.reload) : this.reload); }
  private get periodic(): boolean { return (this.mode & 3) === 2 || (this.mode & 3) === 3; }

  /** Ticks counted at PIT tick `t` (-1 before the count is loaded). */
  elapsed(t: number): number {
    if (!this.armed) return -1;
    if (this.pausedAt >= 0) return this.pausedAt;
    return t < this.start ? -1 : t - this.start;
  }

  /** The counting element's value at tick `t` (what a latch reads). */
  count(t: number): number {
    const n = this.divisor, e = this.elapsed(t);
    let v: number;
    if (e < 0) v = n;
    else if ((this.mode & 3) === 3) {
      // Square wave: counts by two, through each half period.
      const p = e % n, high = (n + 1) >> 1;
      v = (n & ~1) - 2 * (p < high ? p : p - high);
      if (v <= 0) v += n & ~1;
    } else if ((this.mode & 3) === 2) v = n - (e % n);
    else v = ((n - e) % (this.bcd ? 10000 : 0x10000) + 0x10000) % (this.bcd ? 10000 : 0x10000);
    v &= 0xffff;
    return this.bcd ? toBcd(v % 10000) : v;
  }

  /** OUT at tick `t`. */
  out(t: number): boolean {
    const e = this.elapsed(t);
    if (!this.armed) return this.mode !== 0;
    const n = this.divisor;
    switch (this.mode & 3) {
      case 2: return e < 0 || e % n !== n - 1 || !this.gate; // low for one clock when the count reaches 1
      case 3: return e < 0 || !this.gate || e % n < ((n + 1) >> 1);
      default: return e >= n; // mode 0: high at terminal count, until a new count or control word
    }
  }

  /**
   * PIT tick of rising edge `k` of OUT (modes 2/3: the reload at the end of period k, at start + k*N;
   * mode 0: edge 1, at terminal count), or Infinity when none will come.
   */
  edgeTick(k: number): number {
    if (!this.armed || this.pausedAt >= 0 || !this.gate) return Infinity;
    if (this.periodic) return this.start + k * this.divisor;
    return k === 1 ? this.start + this.divisor : Infinity;
  }

  /** Index of the last rising edge at or before tick `t` (`edges` when none new). */
  lastEdge(t: number): number {
    if (!this.armed || this.pausedAt >= 0 || !this.gate || t < this.start) return this.edges;
    if (this.periodic) return Math.floor((t - this.start) / this.divisor);
    return t >= this.start + this.divisor ? 1 : 0;
  }

  save(w: StateWriter): void {
    for (const n of [this.mode, this.access, this.reload, this.writeLo, this.latched, this.status]) w.i32(n);
    for (const n of [this.start, this.pausedAt, this.edges]) w.f64(n);
    for (const b of [this.bcd, this.armed, this.gate, this.writeHi, this.readHi, this.latchHi]) w.bool(b);
  }
  load(r: StateReader): void {
    this.mode = r.i32(); this.access = r.i32(); this.reload = r.i32(); this.writeLo = r.i32(); this.latched = r.i32(); this.status = r.i32();
    this.start = r.f64(); this.pausedAt = r.f64(); this.edges = r.f64();
    this.bcd = r.bool(); this.armed = r.bool(); this.gate = r.bool(); this.writeHi = r.bool(); this.readHi = r.bool(); this.latchHi = r.bool();
  }
}

export class Pit8254 implements PortDevice, Snapshotable, ClockClient {
  readonly name = '8254 PIT @0x40 (+ port B 0x61)';
  readonly stateName = 'pit';
  readonly irqLine = 0;
  readonly counters = [new PitCounter(), new PitCounter(), new PitCounter()];
  /** Port 0x61 bits 0 (counter 2 GATE) and 1 (speaker data enable), as written. */
  portB = 0;
  /** IRQ0 edges raised (timer interrupts requested). */
  irqs = 0;

  constructor(private readonly clock: VirtualClock, private readonly raiseIrq0: (level: boolean) => void) {
    this.counters[2].gate = false;
  }

  /** Current PIT tick. */
  tick(): number { return ticksAt(this.clock.now(), PIT_HZ); }

  // ---- ClockClient: counter 0's rising OUT edges raise IRQ0.
  nextDeadline(): number {
    const c = this.counters[0];
    const t = c.edgeTick(c.edges + 1);
    return t === Infinity ? Infinity : timeOfTick(t, PIT_HZ);
  }
  expire(now: number): void {
    const c = this.counters[0];
    // Edges that happened while nobody looked collapse into one request (the PIC latches one edge).
    const k = c.lastEdge(ticksAt(now, PIT_HZ));
    if (k <= c.edges) return;
    c.edges = k;
    this.irqs++;
    this.raiseIrq0(false);
    this.raiseIrq0(true);
  }

  portIn(port: number): number {
    if (port === 0x61) {
      const t = this.tick();
      return (this.portB & 3) | (ticksAt(this.clock.now(), REFRESH_TOGGLE_HZ) & 1 ? 0x10 : 0) | (this.counters[2].out(t) ? 0x20 : 0);
    }
    if (port === 0x43) return 0xff; // the control word register is write-only
    const c = this.counters[port - 0x40];
    if (c.status >= 0) { const s = c.status; c.status = -1; return s; }
    let v: number;
    if (c.latched >= 0) {
      v = c.latched;
      if (c.access !== 3 || c.latchHi) c.latched = -1;
      const hi = c.access === 2 || (c.access === 3 && c.latchHi);
      if (c.access === 3) c.latchHi = !c.latchHi;
      return hi ? (v >> 8) & 0xff : v & 0xff;
    }
    v = c.count(this.tick());
    const hi = c.access === 2 || (c.access === 3 && c.readHi);
    if (c.access === 3) c.readHi = !c.readHi;
    return hi ? (v >> 8) & 0xff : v & 0xff;
  }

  portOut(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    const t = this.tick();
    if (port === 0x61) { this.setGate2((v & 1) !== 0, t); this.portB = v & 3; return; }
    if (port === 0x43) { this.control(v, t); return; }
    const idx = port - 0x40, c = this.counters[idx];
    if (c.access === 1) this.load(idx, v, t);
    else if (c.access === 2) this.load(idx, v << 8, t);
    else if (!c.writeHi) { c.writeLo = v; c.writeHi = true; if (c.mode === 0) { c.armed = false; if (idx === 0) this.raiseIrq0(false); } }
    else { c.writeHi = false; this.load(idx, c.writeLo | (v << 8), t); }
  }

  private control(v: number, t: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back (datasheet "Read-Back Command"): bit 5 = 0 latches counts, bit 4 = 0 latches status.
      for (let k = 0; k < 3; k++) {
        if (!(v & (2 << k))) continue;
        const c = this.counters[k];
        if (!(v & 0x10) && c.status < 0) c.status = (c.out(t) ? 0x80 : 0) | (c.armed && t >= c.start ? 0 : 0x40) | (c.access << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
        if (!(v & 0x20) && c.latched < 0) { c.latched = c.count(t); c.latchHi = false; }
      }
      return;
    }
    const c = this.counters[sel];
    const access = (v >> 4) & 3;
    if (access === 0) { if (c.latched < 0) { c.latched = c.count(t); c.latchHi = false; } return; } // counter latch
    c.access = access; c.mode = (v >> 1) & 7; if (c.mode > 5) c.mode -= 4;
    c.bcd = (v & 1) !== 0;
    c.armed = false; c.writeHi = false; c.readHi = false; c.latched = -1; c.status = -1; c.pausedAt = -1;
    // A new control word sets OUT low in mode 0 (high in the others: that level change is not
    // passed to IRQ0, so programming the timer does not itself request an interrupt).
    if (sel === 0 && c.mode === 0) this.raiseIrq0(false);
  }

  /** A count written: it is loaded into the counting element on the next clock and counting starts. */
  private load(idx: number, value: number, t: number): void {
    const c = this.counters[idx];
    if (c.armed && c.pausedAt < 0 && ((c.mode & 3) === 2 || (c.mode & 3) === 3) && t >= c.start) {
      // Modes 2/3: a new count takes effect at the end of the current period (datasheet), whose
      // reload is still a rising edge of OUT: edge 0 of the new count, at its start.
      const n0 = c.divisor;
      c.start = c.start + (Math.floor((t - c.start) / n0) + 1) * n0;
      c.reload = value & 0xffff;
      c.edges = -1;
      return;
    }
    c.reload = value & 0xffff;
    c.armed = true; c.start = t + 1; c.edges = 0; c.pausedAt = -1;
    if (!c.gate && c.mode === 0) c.pausedAt = 0;
    if (idx === 0 && c.mode === 0) this.raiseIrq0(false);
  }

  /** Counter 2's GATE from port 0x61 bit 0: modes 0/4 pause while low; modes 2/3 hold while low and 1/2/3/5 restart on a rising edge. */
  private setGate2(level: boolean, t: number): void {
    const c = this.counters[2];
    if (level === c.gate) return;
    c.gate = level;
    if (!c.armed) return;
    if (c.mode === 0 || c.mode === 4) {
      if (!level) c.pausedAt = Math.max(0, c.elapsed(t));
      else if (c.pausedAt >= 0) { c.start = t - c.pausedAt; c.pausedAt = -1; }
    } else if (level) {
      c.start = t + 1; c.pausedAt = -1; c.edges = 0;
    } else {
      // Modes 2/3 (and 1/5): GATE low suspends counting and holds the count, OUT high (datasheet).
      c.pausedAt = Math.max(0, c.elapsed(t));
    }
  }

  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    for (const c of this.counters) c.save(w);
    w.u32(this.portB); w.f64(this.irqs);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    for (const c of this.counters) c.load(r);
    this.portB = r.u32(); this.irqs = r.f64();
  }
}

