// Motorola MC146818 real-time clock and CMOS RAM as the PC wires it (index port 0x70, bit 7 = NMI
// disable; data port 0x71; IRQ8). Registers (MC146818A datasheet): 0-9 time, alarm and date; A
// (UIP, divider, periodic rate), B (SET, PIE, AIE, UIE, DM binary/BCD, 24/12), C (IRQF, PF, AF, UF;
// cleared by reading), D (VRT). The wall clock is a fixed, configurable start time advancing with the
// virtual clock only (invariant 1): the same run reads the same times. CMOS bytes 0x15-0x18,
// 0x30-0x31, 0x34-0x35 give the memory sizes as a PC BIOS leaves them (QEMU pc_cmos_init layout).
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';
import { ticksAt, timeOfTick, VIRTUAL_CLOCK_HZ, INSNS_PER_US, type ClockClient, type VirtualClock } from './virtualClock';

/** Default start of the guest's wall clock: 2024-01-01 00:00:00 UTC (Unix seconds). */
export const RTC_DEFAULT_START = 1_704_067_200;

const REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d;
const B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04, B_24H = 0x02;
const C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
/** Update-in-progress is set this long before each update (datasheet: 244 us). */
const UIP_UNITS = 244 * INSNS_PER_US;

/** Seconds, minutes, hours, weekday, day, month, year, century (1, 3, 5 are the alarm bytes, kept in RAM). */
const isTimeRegister = (i: number): boolean => (i <= 9 && i !== 1 && i !== 3 && i !== 5) || i === 0x32;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400), yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Calendar fields of Unix seconds `t` (weekday 1 = Sunday, as the RTC counts). */
export function civilFromSeconds(t: number): { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number } {
  const days = Math.floor(t / 86400), sod = t - days * 86400;
  const z = days + 719468, era = Math.floor(z / 146097), doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1, month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day,
    hour: Math.floor(sod / 3600), minute: Math.floor(sod / 60) % 60, second: sod % 60,
    weekday: ((days % 7) + 7 + 4) % 7 + 1, // 1970-01-01 was a Thursday (5)
  };
}

export class CmosRtc implements PortDevice, Snapshotable, ClockClient {
  readonly name = 'MC146818 RTC / CMOS @0x70';
  readonly stateName = 'rtc';
  readonly irqLine = 8;
  /** CMOS RAM (registers 0x0a-0x7f live here; the time registers are computed). */
  readonly ram = new Uint8Array(128);
  index = 0;
  /** Port 0x70 bit 7 as last written. */
  nmiDisabled = false;
  /** Wall-clock seconds at clock time `baseTime`. */
  baseSeconds: number;
  baseTime = 0;
  /** While SET is on, the time registers hold still at these seconds. */
  frozenSeconds = -1;
  /** Periodic-rate ticks and updates (seconds) already accounted for in register C. */
  periodicSeen = 0;
  updatesSeen = 0;

  constructor(private readonly clock: VirtualClock, private readonly setIrq8: (level: boolean) => void, ramBytes: number, startSeconds = RTC_DEFAULT_START) {
    this.baseSeconds = startSeconds;
    this.ram[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    this.ram[REG_B] = B_24H; // BCD, 24-hour
    this.ram[REG_D] = 0x80; // valid RAM and time
    const kib = Math.floor(ramBytes / 1024);
    const ext = Math.min(0xffff, Math.max(0, kib - 1024));
    const above16 = Math.min(0xffff, Math.max(0, Math.floor(ramBytes / 65536) - 256));
    this.ram[0x15] = 640 & 0xff; this.ram[0x16] = 640 >> 8;        // base memory, KiB
    this.ram[0x17] = ext & 0xff; this.ram[0x18] = ext >> 8;        // extended memory above 1 MiB, KiB
    this.ram[0x30] = ext & 0xff; this.ram[0x31] = ext >> 8;        // same (POST-detected copy)
    this.ram[0x34] = above16 & 0xff; this.ram[0x35] = above16 >> 8; // memory above 16 MiB, 64 KiB blocks
    let sum = 0;
    for (let k = 0x10; k <= 0x2d; k++) sum += this.ram[k];
    this.ram[0x2e] = sum >> 8; this.ram[0x2f] = sum & 0xff;
    this.updatesSeen = this.updateIndex(clock.now());
    this.periodicSeen = this.periodicIndex(clock.now());
  }

  /** Wall-clock Unix seconds now (what the time registers show). */
  seconds(): number {
    if (this.frozenSeconds >= 0) return this.frozenSeconds;
    return this.baseSeconds + Math.floor((this.clock.now() - this.baseTime) / VIRTUAL_CLOCK_HZ);
  }

  private periodicHz(): number {
    const r = this.ram[REG_A] & 15;
    if (r === 0 || ((this.ram[REG_A] >> 4) & 7) !== 2) return 0;
    return r <= 2 ? 256 >> (r - 1) : 65536 >> r;
  }
  private periodicIndex(now: number): number { const hz = this.periodicHz(); return hz ? ticksAt(now, hz) : 0; }
  private updateIndex(now: number): number { return this.frozenSeconds >= 0 ? -1 : Math.floor((now - this.baseTime) / VIRTUAL_CLOCK_HZ); }

  private enc(v: number): number { return (this.ram[REG_B] & B_DM) ? v : ((((v / 10) | 0) << 4) | (v % 10)); }
  private dec(v: number): number { return (this.ram[REG_B] & B_DM) ? v : ((v >> 4) * 10 + (v & 15)); }
  private encHour(h: number): number {
    if (this.ram[REG_B] & B_24H) return this.enc(h);
    const pm = h >= 12, h12 = h % 12 === 0 ? 12 : h % 12;
    return this.enc(h12) | (pm ? 0x80 : 0);
  }

  /** Time and date registers 0-9 and the century byte (0x32), from the wall clock. */
  private timeRegister(i: number): number {
    const c = civilFromSeconds(this.seconds());
    switch (i) {
      case 0: return this.enc(c.second);
      case 2: return this.enc(c.minute);
      case 4: return this.encHour(c.hour);
      case 6: return this.enc(c.weekday);
      case 7: return this.enc(c.day);
      case 8: return this.enc(c.month);
      case 9: return this.enc(c.year % 100);
      default: return this.enc(Math.floor(c.year / 100)); // 0x32
    }
  }

  private setTimeRegister(i: number, v: number): void {
    const c = civilFromSeconds(this.seconds());
    let hour = c.hour;
    if (i === 4) {
      hour = this.dec(v & 0x7f);
      if (!(this.ram[REG_B] & B_24H)) hour = (hour % 12) + (v & 0x80 ? 12 : 0);
    }
    const val = this.dec(v);
    const y = i === 9 ? Math.floor(c.year / 100) * 100 + val : i === 0x32 ? val * 100 + (c.year % 100) : c.year;
    const secs = daysFromCivil(y, i === 8 ? val : c.month, i === 7 ? val : c.day) * 86400 +
      hour * 3600 + (i === 2 ? val : c.minute) * 60 + (i === 0 ? val : c.second);
    if (this.frozenSeconds >= 0) this.frozenSeconds = secs;
    else this.baseSeconds += secs - this.seconds();
  }

  // ---- ClockClient: periodic, update-ended and alarm interrupts on IRQ8.
  nextDeadline(): number {
    const b = this.ram[REG_B];
    let d = Infinity;
    if ((b & B_PIE) && this.periodicHz()) d = timeOfTick(this.periodicSeen + 1, this.periodicHz());
    if ((b & (B_UIE | B_AIE)) && this.frozenSeconds < 0) d = Math.min(d, this.baseTime + (this.updatesSeen + 1) * VIRTUAL_CLOCK_HZ);
    return d;
  }

  expire(now: number): void { this.catchUp(now); }

  /** Set the flags of register C for the periodic ticks and updates since last looked, and IRQF. */
  private catchUp(now: number): void {
    let flags = 0;
    const p = this.periodicIndex(now);
    if (p > this.periodicSeen) { flags |= C_PF; this.periodicSeen = p; }
    const u = this.updateIndex(now);
    if (u > this.updatesSeen) {
      flags |= C_UF;
      this.updatesSeen = u;
      const al = (i: number): boolean => this.ram[i + 1] >= 0xc0 || this.ram[i + 1] === this.timeRegister(i);
      if (al(0) && al(2) && al(4)) flags |= C_AF;
    }
    if (!flags) return;
    const b = this.ram[REG_B];
    let c = this.ram[REG_C] | flags;
    if (c & ((b & (B_PIE | B_AIE | B_UIE)) & 0x70)) c |= C_IRQF;
    const rise = (c & C_IRQF) && !(this.ram[REG_C] & C_IRQF);
    this.ram[REG_C] = c;
    if (rise) this.setIrq8(true);
  }

  portIn(port: number): number {
    if (port === 0x70) return 0xff; // the index register is write-only
    const i = this.index;
    const now = this.clock.now();
    if (isTimeRegister(i)) return this.timeRegister(i);
    if (i === REG_A) {
      const intoSecond = (now - this.baseTime) % VIRTUAL_CLOCK_HZ;
      const uip = this.frozenSeconds < 0 && intoSecond >= VIRTUAL_CLOCK_HZ - UIP_UNITS;
      return (this.ram[REG_A] & 0x7f) | (uip ? 0x80 : 0);
    }
    if (i === REG_C) {
      this.catchUp(now);
      const c = this.ram[REG_C];
      this.ram[REG_C] = 0;
      if (c & C_IRQF) this.setIrq8(false);
      return c;
    }
    return this.ram[i];
  }

  portOut(port: number, _size: number, value: number): void {
    const v = value & 0xff;
    if (port === 0x70) { this.index = v & 0x7f; this.nmiDisabled = (v & 0x80) !== 0; return; }
    const i = this.index;
    const now = this.clock.now();
    if (isTimeRegister(i)) { this.setTimeRegister(i, v); return; }
    if (i === REG_A) { this.catchUp(now); this.ram[REG_A] = v & 0x7f; this.periodicSeen = this.periodicIndex(now); return; }
    if (i === REG_B) {
      this.catchUp(now);
      const was = this.ram[REG_B];
      if ((v & B_SET) && !(was & B_SET)) this.frozenSeconds = this.seconds();
      if (!(v & B_SET) && (was & B_SET)) {
        // SET cleared: the clock restarts from the time the guest wrote, at the start of a second.
        this.baseSeconds = this.frozenSeconds; this.baseTime = now; this.frozenSeconds = -1;
        this.updatesSeen = 0;
      }
      this.ram[REG_B] = (v & B_SET) ? v & ~B_UIE : v; // SET clears UIE (datasheet)
      return;
    }
    if (i === REG_C || i === REG_D) return; // read-only
    this.ram[i] = v;
  }

  saveState(w: StateWriter): void {
    w.begin(this.stateName, 1);
    w.bytes(this.ram); w.u32(this.index); w.bool(this.nmiDisabled);
    for (const n of [this.baseSeconds, this.baseTime, this.frozenSeconds, this.periodicSeen, this.updatesSeen]) w.f64(n);
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, 1);
    this.ram.set(r.bytes()); this.index = r.u32(); this.nmiDisabled = r.bool();
    this.baseSeconds = r.f64(); this.baseTime = r.f64(); this.frozenSeconds = r.f64(); this.periodicSeen = r.f64(); this.updatesSeen = r.f64();
  }
}
