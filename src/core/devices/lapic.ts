// Local APIC (xAPIC mode), one per vCPU, as SDM Vol. 3A chapter 10 describes it: the register page
// at IA32_APIC_BASE (Table 10-1), interrupt acceptance into IRR/ISR/TMR with priority classes and the
// TPR/PPR (10.8), EOI (10.8.5, with the EOI broadcast to the I/O APIC for level-triggered vectors),
// the interrupt command register (10.6: fixed, lowest priority, NMI, INIT, SIPI, the destination
// shorthands, physical and flat/cluster logical destinations are resolved by the APIC bus), the local
// vector table (10.5.1: timer, thermal, performance counters, LINT0, LINT1, error), the error status
// register (10.5.3) and the APIC timer (10.5.4: one-shot and periodic, divide configuration).
//
// Timer time base: the APIC bus clock runs at the virtual clock rate (LAPIC_BUS_HZ = 100 MHz, one tick
// per clock unit before division), so counts are exact integers of virtual time (devices/virtualClock.ts).
// The whole state is plain numbers and typed arrays and is a Snapshotable component (invariant 4).
import type { ClockClient, VirtualClock } from './virtualClock';
import { VIRTUAL_CLOCK_HZ } from './virtualClock';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';
import { LAPIC_BASE } from './apicAddresses';

/** APIC bus / timer base frequency: the virtual clock's (one tick per clock unit). */
export const LAPIC_BUS_HZ = VIRTUAL_CLOCK_HZ;
/** Version register: version 0x14 (integrated xAPIC), max LVT entry 5 (timer..error, SDM Figure 10-7). */
export const LAPIC_VERSION = 0x00050014;
/** `ClockClient.irqLine` of a local APIC's timer: 0x100 + APIC ID (ISA lines are 0-15). */
export const LAPIC_TIMER_LINE = 0x100;

/** Register offsets in the APIC page (SDM Table 10-1). */
export const APIC_REG = {
  ID: 0x020, VERSION: 0x030, TPR: 0x080, APR: 0x090, PPR: 0x0a0, EOI: 0x0b0, RRD: 0x0c0, LDR: 0x0d0, DFR: 0x0e0, SVR: 0x0f0,
  ISR0: 0x100, TMR0: 0x180, IRR0: 0x200, ESR: 0x280, LVT_CMCI: 0x2f0, ICR_LO: 0x300, ICR_HI: 0x310,
  LVT_TIMER: 0x320, LVT_THERMAL: 0x330, LVT_PERF: 0x340, LVT_LINT0: 0x350, LVT_LINT1: 0x360, LVT_ERROR: 0x370,
  TIMER_INITIAL: 0x380, TIMER_CURRENT: 0x390, TIMER_DIVIDE: 0x3e0,
} as const;

/** Delivery modes (ICR bits 10:8, LVT bits 10:8; SDM 10.5.1 / 10.6.1). */
export const DM = { FIXED: 0, LOWEST: 1, SMI: 2, NMI: 4, INIT: 5, SIPI: 6, EXTINT: 7 } as const;

export const LVT_MASKED = 1 << 16;
const LVT_TIMER_PERIODIC = 1 << 17;
const SVR_ENABLE = 1 << 8;
/** ESR bits (SDM Figure 10-9). */
export const ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6, ESR_ILLEGAL_REGISTER = 1 << 7;
/** LVT indexes: timer, thermal, perf, LINT0, LINT1, error. */
export const LVT = { TIMER: 0, THERMAL: 1, PERF: 2, LINT0: 3, LINT1: 4, ERROR: 5 } as const;
const LVT_OFFSETS = [APIC_REG.LVT_TIMER, APIC_REG.LVT_THERMAL, APIC_REG.LVT_PERF, APIC_REG.LVT_LINT0, APIC_REG.LVT_LINT1, APIC_REG.LVT_ERROR];
/** Writable bits per LVT (timer: vector, mask, mode; LINT: vector, delivery mode, polarity, trigger, mask; others: vector, mode, mask). */
const LVT_WRITABLE = [0x300ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];

/** IA32_APIC_BASE bits (SDM Figure 10-5). */
export const APIC_BASE_BSP = 1 << 8, APIC_BASE_ENABLE = 1 << 11;

/** What a local APIC needs from the rest of the machine (the APIC bus, the VMM). */
export interface LapicHost {
  /** The ICR was written: deliver the IPI (apicBus.ts resolves the destination). */
  sendIpi(from: LocalApic, icrLo: number, icrHi: number): void;
  /** EOI of a level-triggered vector: the broadcast the I/O APIC uses to clear remote IRR (SDM 10.8.5). */
  eoiBroadcast(vector: number): void;
  /** Something became deliverable to this APIC's processor (the VMM kicks / wakes it). */
  kick(apic: LocalApic): void;
}

export class LocalApic implements ClockClient, Snapshotable {
  readonly stateName: string;
  readonly irqLine: number;
  apicBase: number;
  tpr = 0; ldr = 0; dfr = 0xffffffff; svr = 0xff;
  /** The readable ESR and the errors collected since it was last written (SDM 10.5.3). */
  esr = 0; esrPending = 0;
  icrLo = 0; icrHi = 0;
  readonly lvt = new Int32Array(6);
  /** 256-bit vectors as 8 x 32 bits (vector v: word v >> 5, bit v & 31). */
  readonly irr = new Int32Array(8);
  readonly isr = new Int32Array(8);
  readonly tmr = new Int32Array(8);
  timerInitial = 0; timerDivide = 0;
  /** Clock time the current count was last loaded (initial count written, or the period restarted). */
  timerStart = 0;
  /** Clock time the count reaches zero (Infinity: not counting). */
  timerDeadline = Infinity;
  /** An NMI is pending for the processor (ICR NMI, LINT1 NMI). */
  nmiPending = false;
  /** Counters for the Devices view and the tests. */
  timerFired = 0; accepted = 0; eois = 0;

  constructor(readonly id: number, private readonly clock: VirtualClock, private readonly host: LapicHost) {
    this.stateName = `lapic${id}`;
    this.irqLine = LAPIC_TIMER_LINE + id;
    this.apicBase = (LAPIC_BASE | APIC_BASE_ENABLE | (id === 0 ? APIC_BASE_BSP : 0)) >>> 0;
    this.reset();
  }

  /** Power-up / INIT state (SDM 10.4.7.1): everything clear, DFR all ones, LVTs masked, SVR 0xFF. */
  reset(): void {
    this.tpr = 0; this.ldr = 0; this.dfr = 0xffffffff; this.svr = 0xff;
    this.esr = 0; this.esrPending = 0; this.icrLo = 0; this.icrHi = 0;
    this.lvt.fill(LVT_MASKED);
    this.irr.fill(0); this.isr.fill(0); this.tmr.fill(0);
    this.timerInitial = 0; this.timerDivide = 0; this.timerStart = 0; this.timerDeadline = Infinity;
    this.nmiPending = false;
  }

  /** Globally enabled (IA32_APIC_BASE.EN) and software enabled (SVR bit 8). */
  get softwareEnabled(): boolean { return (this.apicBase & APIC_BASE_ENABLE) !== 0 && (this.svr & SVR_ENABLE) !== 0; }
  get hardwareEnabled(): boolean { return (this.apicBase & APIC_BASE_ENABLE) !== 0; }

  // ------------------------------------------------------------------ priorities (SDM 10.8.3)
  private static highest(bits: Int32Array): number {
    for (let w = 7; w >= 0; w--) if (bits[w]) return (w << 5) | (31 - Math.clz32(bits[w]));
    return -1;
  }
  highestIrr(): number { return LocalApic.highest(this.irr); }
  highestIsr(): number { return LocalApic.highest(this.isr); }
  /** Processor priority: TPR if its class is at least the highest in-service class, else that class. */
  get ppr(): number {
    const isrv = Math.max(0, this.highestIsr());
    return (this.tpr & 0xf0) >= (isrv & 0xf0) ? this.tpr & 0xff : isrv & 0xf0;
  }

  /** A fixed interrupt is deliverable to the processor (the INTR the VMM injects). */
  hasInterrupt(): boolean {
    if (!this.softwareEnabled) return false;
    const v = this.highestIrr();
    return v >= 0 && (v & 0xf0) > (this.ppr & 0xf0);
  }

  /** The INTA cycle: highest IRR vector moves to ISR (SDM 10.8.4); the spurious vector when none qualifies. */
  acknowledge(): number {
    if (!this.hasInterrupt()) return this.svr & 0xff;
    const v = this.highestIrr();
    this.irr[v >> 5] &= ~(1 << (v & 31));
    this.isr[v >> 5] |= 1 << (v & 31);
    return v;
  }

  /** LINT0 passes the 8259's INTR: the APIC is globally disabled, or LINT0 is an unmasked ExtINT entry. */
  acceptsPicInterrupt(): boolean {
    if (!this.hardwareEnabled) return true;
    const l = this.lvt[LVT.LINT0];
    return !(l & LVT_MASKED) && ((l >> 8) & 7) === DM.EXTINT;
  }

  /**
   * A message arrives for this APIC (from the bus: an IPI, an I/O APIC entry, or a local LVT source).
   * INIT and SIPI are returned to the caller (they go to the processor, not to IRR); NMI sets nmiPending.
   */
  accept(mode: number, vector: number, level: boolean): void {
    if (mode === DM.NMI) { this.nmiPending = true; this.host.kick(this); return; }
    if (mode !== DM.FIXED && mode !== DM.LOWEST) return; // SMI: no SMM in this model; INIT/SIPI/ExtINT go elsewhere
    if (!this.softwareEnabled) return; // a software-disabled APIC drops fixed interrupts (KVM __apic_accept_irq)
    if (vector < 16) { this.error(ESR_RECEIVE_ILLEGAL_VECTOR); return; }
    const w = vector >> 5, b = 1 << (vector & 31);
    this.irr[w] |= b;
    if (level) this.tmr[w] |= b; else this.tmr[w] &= ~b;
    this.accepted++;
    this.host.kick(this);
  }

  /** EOI (SDM 10.8.5): clear the highest ISR bit; a level-triggered one is broadcast to the I/O APIC. */
  eoi(): void {
    const v = this.highestIsr();
    if (v < 0) return;
    const w = v >> 5, b = 1 << (v & 31);
    this.isr[w] &= ~b;
    this.eois++;
    if (this.tmr[w] & b) this.host.eoiBroadcast(v);
    if (this.hasInterrupt()) this.host.kick(this);
  }

  private error(bit: number): void {
    this.esrPending |= bit;
    const l = this.lvt[LVT.ERROR];
    if (!(l & LVT_MASKED)) this.accept(DM.FIXED, l & 0xff, false);
  }

  /** A local interrupt source fires through its LVT entry (timer, LINT0/1 edge, error). */
  private fireLvt(k: number): void {
    const l = this.lvt[k];
    if (l & LVT_MASKED) return;
    const mode = k === LVT.TIMER ? DM.FIXED : (l >> 8) & 7;
    this.accept(mode, l & 0xff, k >= LVT.LINT0 && k <= LVT.LINT1 && (l & (1 << 15)) !== 0);
  }

  /** LINT1 pin (NMI on PCs when programmed so). */
  lint1(): void { this.fireLvt(LVT.LINT1); }

  // ------------------------------------------------------------------ timer (SDM 10.5.4)
  /** Divide value from the divide configuration register (bits 0, 1, 3): 2, 4, 8, 16, 32, 64, 128, 1. */
  get divisor(): number {
    const d = (this.timerDivide & 3) | ((this.timerDivide & 8) >> 1);
    return d === 7 ? 1 : 2 << d;
  }
  private get period(): number { return this.timerInitial * this.divisor; }

  private startTimer(now: number): void {
    this.timerStart = now;
    this.timerDeadline = this.timerInitial === 0 ? Infinity : now + this.period;
  }

  /** Current count at clock time `now` (0 once a one-shot count expired or with no count). */
  currentCount(now = this.clock.now()): number {
    if (this.timerDeadline === Infinity || this.timerInitial === 0) return 0;
    const elapsed = Math.floor((now - this.timerStart) / this.divisor);
    if (elapsed >= this.timerInitial) return (this.lvt[LVT.TIMER] & LVT_TIMER_PERIODIC) ? this.timerInitial - (elapsed % this.timerInitial) : 0;
    return this.timerInitial - elapsed;
  }

  nextDeadline(): number { return this.timerDeadline; }

  expire(now: number): void {
    while (this.timerDeadline <= now) {
      this.timerFired++;
      this.fireLvt(LVT.TIMER);
      if ((this.lvt[LVT.TIMER] & LVT_TIMER_PERIODIC) && this.timerInitial) {
        this.timerStart = this.timerDeadline;
        this.timerDeadline += this.period;
      } else {
        this.timerDeadline = Infinity;
        break;
      }
    }
  }

  // ------------------------------------------------------------------ the register page
  /** A 32-bit read at `offset` in the APIC page (SDM Table 10-1; reads of reserved offsets return 0). */
  read(offset: number): number {
    const o = offset & 0xff0;
    if (o >= APIC_REG.ISR0 && o < APIC_REG.ISR0 + 0x80) return this.isr[(o - APIC_REG.ISR0) >> 4] >>> 0;
    if (o >= APIC_REG.TMR0 && o < APIC_REG.TMR0 + 0x80) return this.tmr[(o - APIC_REG.TMR0) >> 4] >>> 0;
    if (o >= APIC_REG.IRR0 && o < APIC_REG.IRR0 + 0x80) return this.irr[(o - APIC_REG.IRR0) >> 4] >>> 0;
    const lvt = LVT_OFFSETS.indexOf(o as never);
    if (lvt >= 0) return this.lvt[lvt] >>> 0;
    switch (o) {
      case APIC_REG.ID: return (this.id << 24) >>> 0;
      case APIC_REG.VERSION: return LAPIC_VERSION;
      case APIC_REG.TPR: return this.tpr;
      case APIC_REG.APR: return 0;
      case APIC_REG.PPR: return this.ppr;
      case APIC_REG.LDR: return this.ldr >>> 0;
      case APIC_REG.DFR: return this.dfr >>> 0;
      case APIC_REG.SVR: return this.svr >>> 0;
      case APIC_REG.ESR: return this.esr;
      case APIC_REG.ICR_LO: return this.icrLo >>> 0; // delivery status (bit 12) always idle: delivery is instantaneous
      case APIC_REG.ICR_HI: return this.icrHi >>> 0;
      case APIC_REG.TIMER_INITIAL: return this.timerInitial >>> 0;
      case APIC_REG.TIMER_CURRENT: return this.currentCount() >>> 0;
      case APIC_REG.TIMER_DIVIDE: return this.timerDivide;
      default: return 0;
    }
  }

  /** A 32-bit write at `offset` in the APIC page. */
  write(offset: number, value: number): void {
    const o = offset & 0xff0;
    value >>>= 0;
    const lvt = LVT_OFFSETS.indexOf(o as never);
    if (lvt >= 0) {
      let v = value & LVT_WRITABLE[lvt];
      if (!(this.svr & SVR_ENABLE)) v |= LVT_MASKED; // software disabled: masks cannot be cleared (SDM 10.4.7.2)
      const wasPeriodic = (this.lvt[lvt] & LVT_TIMER_PERIODIC) !== 0;
      this.lvt[lvt] = v;
      if (lvt === LVT.TIMER && wasPeriodic !== ((v & LVT_TIMER_PERIODIC) !== 0) && this.timerDeadline !== Infinity) this.startTimer(this.clock.now());
      return;
    }
    switch (o) {
      case APIC_REG.ID: return; // read-only here (the APIC ID is the vCPU number; MP tables and CPUID say so)
      case APIC_REG.TPR: this.tpr = value & 0xff; if (this.hasInterrupt()) this.host.kick(this); return;
      case APIC_REG.EOI: this.eoi(); return;
      case APIC_REG.LDR: this.ldr = (value & 0xff000000) >>> 0; return;
      case APIC_REG.DFR: this.dfr = (value | 0x0fffffff) >>> 0; return;
      case APIC_REG.SVR: {
        this.svr = value & 0x13ff;
        if (!(value & SVR_ENABLE)) for (let k = 0; k < 6; k++) this.lvt[k] |= LVT_MASKED;
        else if (this.hasInterrupt()) this.host.kick(this);
        return;
      }
      case APIC_REG.ESR: this.esr = this.esrPending; this.esrPending = 0; return;
      case APIC_REG.ICR_HI: this.icrHi = (value & 0xff000000) >>> 0; return;
      case APIC_REG.ICR_LO: {
        this.icrLo = value & 0x000ccfff;
        const mode = (value >> 8) & 7;
        if ((mode === DM.FIXED || mode === DM.LOWEST) && (value & 0xff) < 16) { this.error(ESR_SEND_ILLEGAL_VECTOR); return; }
        this.host.sendIpi(this, this.icrLo, this.icrHi);
        return;
      }
      case APIC_REG.TIMER_INITIAL: this.timerInitial = value; this.startTimer(this.clock.now()); return;
      case APIC_REG.TIMER_DIVIDE: {
        // Keep the count consistent across a divide change: restart from the current count.
        const now = this.clock.now(), cur = this.currentCount(now);
        this.timerDivide = value & 0xb;
        if (this.timerDeadline !== Infinity && cur > 0) { this.timerStart = now - (this.timerInitial - cur) * this.divisor; this.timerDeadline = this.timerStart + this.period; }
        return;
      }
      case APIC_REG.VERSION: case APIC_REG.PPR: case APIC_REG.APR: case APIC_REG.RRD: case APIC_REG.TIMER_CURRENT: return; // read-only
      default:
        if (o >= APIC_REG.ISR0 && o < APIC_REG.IRR0 + 0x80) return; // ISR/TMR/IRR are read-only
        this.error(ESR_ILLEGAL_REGISTER);
    }
  }

  /** IA32_APIC_BASE write (SDM 10.4.4): EN may be cleared (the APIC is then globally disabled); the base stays 0xFEE00000. */
  writeApicBase(value: number): void {
    const en = (value & APIC_BASE_ENABLE) !== 0;
    if (!en && this.hardwareEnabled) { this.reset(); this.svr = 0xff; }
    this.apicBase = (LAPIC_BASE | (en ? APIC_BASE_ENABLE : 0) | (this.id === 0 ? APIC_BASE_BSP : 0)) >>> 0;
  }

  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    for (const v of [this.apicBase, this.tpr, this.ldr, this.dfr, this.svr, this.esr, this.esrPending, this.icrLo, this.icrHi, this.timerInitial, this.timerDivide]) w.u32(v);
    w.i32s(this.lvt); w.i32s(this.irr); w.i32s(this.isr); w.i32s(this.tmr);
    w.f64(this.timerStart); w.f64(this.timerDeadline === Infinity ? -1 : this.timerDeadline);
    w.bool(this.nmiPending);
    w.f64(this.timerFired); w.f64(this.accepted); w.f64(this.eois);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    this.apicBase = r.u32(); this.tpr = r.u32(); this.ldr = r.u32(); this.dfr = r.u32(); this.svr = r.u32(); this.esr = r.u32();
    this.esrPending = r.u32(); this.icrLo = r.u32(); this.icrHi = r.u32(); this.timerInitial = r.u32(); this.timerDivide = r.u32();
    r.i32sInto(this.lvt); r.i32sInto(this.irr); r.i32sInto(this.isr); r.i32sInto(this.tmr);
    this.timerStart = r.f64(); const d = r.f64(); this.timerDeadline = d < 0 ? Infinity : d;
    this.nmiPending = r.bool();
    this.timerFired = r.f64(); this.accepted = r.f64(); this.eois = r.f64();
  }
}
