// The VM's virtual clock (ARCHITECTURE.md invariant 1): guest-visible time is derived only from the
// instruction count. One virtual second is VIRTUAL_CLOCK_HZ retired instructions (a 100 MHz virtual
// CPU: INSNS_PER_US instructions per virtual microsecond), plus the time the vCPUs spent halted: a
// halted vCPU does not retire instructions, so the VMM skips its idle time forward to the next device
// deadline (QEMU's icount "warp"), adding it to `idle`. Time is an integer number of clock units
// (one unit = one instruction = 10 ns); device rates convert with exact integer arithmetic.
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

/** Instructions per virtual microsecond (the documented constant). */
export const INSNS_PER_US = 100;
/** Virtual clock units (instructions) per virtual second. */
export const VIRTUAL_CLOCK_HZ = INSNS_PER_US * 1_000_000;

/**
 * Ticks of a `hz` oscillator that have elapsed at clock time `t` (floor(t * hz / VIRTUAL_CLOCK_HZ)),
 * exact for t up to 2^53 and hz up to ~9e7 (the product is split so it never leaves the safe integers).
 */
export function ticksAt(t: number, hz: number): number {
  const q = Math.floor(t / VIRTUAL_CLOCK_HZ), r = t - q * VIRTUAL_CLOCK_HZ;
  return q * hz + Math.floor((r * hz) / VIRTUAL_CLOCK_HZ);
}

/** The first clock time at which `ticksAt(t, hz) >= n` (ceil(n * VIRTUAL_CLOCK_HZ / hz)). */
export function timeOfTick(n: number, hz: number): number {
  const a = Math.floor(n / hz), b = n - a * hz;
  return a * VIRTUAL_CLOCK_HZ + Math.ceil((b * VIRTUAL_CLOCK_HZ) / hz);
}

/** A device with timed behaviour: it tells the clock its next deadline and is called when it passes. */
export interface ClockClient {
  /** Clock time of the next event (Infinity when none is armed). */
  nextDeadline(): number;
  /** Bring the device up to `now` (>= its deadline); it must move its deadline past `now` or to Infinity. */
  expire(now: number): void;
  /** The IRQ line the event raises (-1: none), so an idle vCPU knows which deadlines can wake it. */
  readonly irqLine: number;
}

export class VirtualClock implements Snapshotable {
  readonly stateName = 'clock';
  /** Clock units added while every vCPU was halted. */
  idle = 0;
  private readonly clients: ClockClient[] = [];

  constructor(private readonly icount: () => number) {}

  /** Current virtual time in clock units (instructions). */
  now(): number { return this.icount() + this.idle; }

  /** Skip idle time forward to `t` (never backward). */
  advanceTo(t: number): void {
    const n = this.now();
    if (t > n) this.idle += t - n;
  }

  register(c: ClockClient): void { this.clients.push(c); }

  /** Earliest deadline of all clients whose IRQ line `accept` says could be delivered (all if omitted). */
  nextDeadline(accept?: (irq: number) => boolean): number {
    let d = Infinity;
    for (const c of this.clients) {
      if (accept && (c.irqLine < 0 || !accept(c.irqLine))) continue;
      const t = c.nextDeadline();
      if (t < d) d = t;
    }
    return d;
  }

  /** Run every client whose deadline has passed. */
  runDue(): void {
    const now = this.now();
    for (const c of this.clients) {
      for (let guard = 0; c.nextDeadline() <= now && guard < 1000; guard++) c.expire(now);
    }
  }

  saveState(w: StateWriter): void { w.begin(this.stateName, 1); w.f64(this.idle); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.idle = r.f64(); }
}
