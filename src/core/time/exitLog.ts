// The VM-exit log: one compact record per exit (icount, vCPU, reason, qualification, guest RIP),
// about the size of a xentrace record, in growable typed arrays. Counts per reason are kept for
// `perf kvm stat`-style statistics. Time is the instruction count (invariant 1).
import { StateFormatError, type StateReader, type StateWriter } from './stateIo';

export class ExitLog {
  private cap = 1 << 12;
  private icountArr = new Float64Array(this.cap);
  private words = new Int32Array(this.cap * 4);
  length = 0;
  readonly counts = new Float64Array(128);
  total = 0;
  /** Records kept at most (older ones are dropped; the counts stay exact). Time travel (issue 7) thins instead. */
  readonly limit: number;

  constructor(limit = 1 << 20) { this.limit = limit; }

  /**
   * Time travel: exits recorded so far (`total`) and the exits before the current moment (`cursor`).
   * While the VM replays recorded history (cursor < total) appends only advance the cursor: the
   * record is already there, the same, by determinism.
   */
  cursor = 0;

  append(icount: number, vcpu: number, reason: number, qualification: number, rip: number): void {
    this.counts[reason & 127]++;
    if (this.cursor < this.total) { this.cursor++; return; }
    this.cursor++;
    this.total++;
    if (this.length === this.limit) {
      this.icountArr.copyWithin(0, this.limit >> 1);
      this.words.copyWithin(0, (this.limit >> 1) * 4);
      this.length -= this.limit >> 1;
    }
    if (this.length === this.cap) {
      this.cap *= 2;
      const a = new Float64Array(this.cap); a.set(this.icountArr); this.icountArr = a;
      const w = new Int32Array(this.cap * 4); w.set(this.words); this.words = w;
    }
    const k = this.length++;
    this.icountArr[k] = icount;
    this.words[k * 4] = vcpu; this.words[k * 4 + 1] = reason; this.words[k * 4 + 2] = qualification; this.words[k * 4 + 3] = rip;
  }

  /** Index in this log of the record with sequence number `seq` (older records may have been dropped). */
  indexOf(seq: number): number { return seq - (this.total - this.length); }

  saveState(w: StateWriter): void {
    w.f64(this.cursor);
    w.bytes(new Uint8Array(this.counts.buffer, 0, this.counts.byteLength));
  }
  /** Back (or forward) to a saved moment of the same timeline; a fresh log starts its records there. */
  loadState(r: StateReader): void {
    const cursor = r.f64();
    const counts = r.bytes();
    if (counts.length !== this.counts.byteLength) throw new StateFormatError('exit log counts: wrong length');
    new Uint8Array(this.counts.buffer).set(counts);
    if (cursor > this.total) { this.total = cursor; this.length = 0; }
    this.cursor = cursor;
  }
  /** Changing the past: records after the current moment are discarded. */
  truncateFuture(): void {
    const drop = this.total - this.cursor;
    this.length = Math.max(0, this.length - drop);
    this.total = this.cursor;
  }

  icountAt(k: number): number { return this.icountArr[k]; }
  vcpuAt(k: number): number { return this.words[k * 4]; }
  reasonAt(k: number): number { return this.words[k * 4 + 1]; }
  /** Bytes the records take (24 per exit: icount f64, vCPU, reason, qualification, guest RIP). */
  get bytes(): number { return this.length * 24; }

  at(k: number): { icount: number; vcpu: number; reason: number; qualification: number; rip: number } {
    return { icount: this.icountArr[k], vcpu: this.words[k * 4], reason: this.words[k * 4 + 1], qualification: this.words[k * 4 + 2] >>> 0, rip: this.words[k * 4 + 3] >>> 0 };
  }
}
