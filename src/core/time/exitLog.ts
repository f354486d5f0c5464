// The VM-exit log: one compact record per exit (icount, vCPU, reason, qualification, guest RIP),
// about the size of a xentrace record, in growable typed arrays. Counts per reason are kept for
// `perf kvm stat`-style statistics. Time is the instruction count (invariant 1).
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

  append(icount: number, vcpu: number, reason: number, qualification: number, rip: number): void {
    this.counts[reason & 127]++;
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

  at(k: number): { icount: number; vcpu: number; reason: number; qualification: number; rip: number } {
    return { icount: this.icountArr[k], vcpu: this.words[k * 4], reason: this.words[k * 4 + 1], qualification: this.words[k * 4 + 2] >>> 0, rip: this.words[k * 4 + 3] >>> 0 };
  }
}
