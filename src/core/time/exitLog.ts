// The VM-exit log: one record per exit (icount, vCPU, reason, qualification, guest RIP), about the
// size of a xentrace record, kept for the whole history. Records fill an open chunk of typed arrays
// (24 bytes each); a full chunk of 65,536 records is sealed and compressed (exitLogChunk.ts: fields
// equal to the previous record's are left out, the icount is a delta; a CPUID loop takes ~3 bytes
// per exit). Only when the compressed log outgrows its budget are the oldest chunks thinned (dropped
// whole; their number and the icount they reach are kept, so queries and the UI say so). Counts
// per reason are kept exact for `perf kvm stat`-style statistics. Time is the instruction count
// (invariant 1).
import { StateFormatError, type StateReader, type StateWriter } from './stateIo';
import { CHUNK_RECORDS, decodeChunk, encodeChunk, type ChunkRecords, type SealedChunk } from './exitLogChunk';

/** Default memory for the exit log's records (compressed chunks + the open chunk). */
export const DEFAULT_EXIT_LOG_BUDGET = 64 * 1024 * 1024;

export interface ExitLogRecord { icount: number; vcpu: number; reason: number; qualification: number; rip: number; }

export class ExitLog {
  private readonly sealed: SealedChunk[] = [];
  private open: ChunkRecords = { icount: new Float64Array(CHUNK_RECORDS), words: new Int32Array(CHUNK_RECORDS * 4) };
  private openLength = 0;
  private sealedBytes = 0;
  /** Decoded sealed chunks (the last two looked at: a query walks chunks in order). */
  private cache: { chunk: SealedChunk; records: ChunkRecords }[] = [];
  readonly counts = new Float64Array(128);
  total = 0;
  /** Records dropped under the budget (the oldest), and the icount of the last of them. */
  thinned = 0;
  thinnedThrough = -1;
  /** Memory the records may use before the oldest chunks are thinned (Timeline ties it to the history budget). */
  budgetBytes: number;

  constructor(budgetBytes = DEFAULT_EXIT_LOG_BUDGET) { this.budgetBytes = budgetBytes; }

  /**
   * Time travel: exits recorded so far (`total`) and the exits before the current moment (`cursor`).
   * While the VM replays recorded history (cursor < total) appends only advance the cursor: the
   * record is already there, the same, by determinism.
   */
  cursor = 0;

  /** Records kept (the first `total - length` are not: thinned, or before a snapshot was loaded). */
  get length(): number { return this.sealed.length * CHUNK_RECORDS + this.openLength; }

  append(icount: number, vcpu: number, reason: number, qualification: number, rip: number): void {
    this.counts[reason & 127]++;
    if (this.cursor < this.total) { this.cursor++; return; }
    this.cursor++;
    this.total++;
    if (this.openLength === CHUNK_RECORDS) this.seal();
    const k = this.openLength++;
    const o = this.open;
    o.icount[k] = icount;
    o.words[k * 4] = vcpu; o.words[k * 4 + 1] = reason; o.words[k * 4 + 2] = qualification; o.words[k * 4 + 3] = rip;
  }

  private seal(): void {
    const c = encodeChunk(this.open, CHUNK_RECORDS);
    this.sealed.push(c);
    this.sealedBytes += c.data.byteLength;
    this.openLength = 0;
    while (this.sealed.length > 1 && this.bytes > this.budgetBytes) {
      const old = this.sealed.shift()!;
      this.sealedBytes -= old.data.byteLength;
      this.thinned += CHUNK_RECORDS;
      this.thinnedThrough = old.lastIcount;
      this.cache = this.cache.filter((e) => e.chunk !== old);
    }
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
    if (cursor > this.total) {
      this.total = cursor;
      this.sealed.length = 0;
      this.sealedBytes = 0;
      this.openLength = 0;
      this.cache = [];
    }
    this.cursor = cursor;
  }
  /**
   * A snapshot was loaded: history begins at it, so the log keeps no records (those before were of
   * another history, or of this one before the snapshot's moment, which time travel no longer reaches)
   * and appends from its cursor on.
   */
  restartAtCursor(): void {
    this.total = this.cursor;
    this.sealed.length = 0;
    this.sealedBytes = 0;
    this.openLength = 0;
    this.cache = [];
    this.thinned = 0;
    this.thinnedThrough = -1;
  }

  /** Changing the past: records after the current moment are discarded. */
  truncateFuture(): void {
    let drop = this.total - this.cursor;
    while (drop > 0) {
      if (this.openLength >= drop) { this.openLength -= drop; break; }
      drop -= this.openLength;
      this.openLength = 0;
      const last = this.sealed.pop();
      if (!last) break;
      this.sealedBytes -= last.data.byteLength;
      this.cache = this.cache.filter((e) => e.chunk !== last);
      this.open = decodeChunk(last);
      this.openLength = CHUNK_RECORDS;
    }
    this.total = this.cursor;
  }

  /** The chunk holding record k and k's index in it. */
  /** The records of the chunk holding record k (its index there is k & (CHUNK_RECORDS - 1) in a sealed chunk). */
  private chunkOf(k: number): ChunkRecords {
    const c = k >>> 16;
    if (c >= this.sealed.length) return this.open;
    const chunk = this.sealed[c];
    const hit = this.cache[0]?.chunk === chunk ? this.cache[0] : this.cache.find((x) => x.chunk === chunk);
    if (hit) return hit.records;
    const e = { chunk, records: decodeChunk(chunk) };
    this.cache.unshift(e);
    if (this.cache.length > 2) this.cache.pop();
    return e.records;
  }
  private indexIn(k: number): number { return k >>> 16 >= this.sealed.length ? k - this.sealed.length * CHUNK_RECORDS : k & (CHUNK_RECORDS - 1); }

  icountAt(k: number): number { return this.chunkOf(k).icount[this.indexIn(k)]; }
  vcpuAt(k: number): number { return this.chunkOf(k).words[this.indexIn(k) * 4]; }
  reasonAt(k: number): number { return this.chunkOf(k).words[this.indexIn(k) * 4 + 1]; }
  at(k: number): ExitLogRecord {
    const r = this.chunkOf(k), i = this.indexIn(k);
    const w = r.words;
    return { icount: r.icount[i], vcpu: w[i * 4], reason: w[i * 4 + 1], qualification: w[i * 4 + 2] >>> 0, rip: w[i * 4 + 3] >>> 0 };
  }

  /** First index k in [0, length) with icount >= n (records are in icount order). */
  lowerBound(n: number): number {
    // Whole chunks first (their first icount is known without decoding), then within one.
    let lo = 0, hi = this.sealed.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.sealed[mid].lastIcount < n) lo = mid + 1; else hi = mid; }
    let a = lo * CHUNK_RECORDS, b = Math.min(this.length, a + CHUNK_RECORDS);
    while (a < b) { const mid = Math.floor((a + b) / 2); if (this.icountAt(mid) < n) a = mid + 1; else b = mid; }
    return a;
  }

  /** Bytes the records take: compressed chunks plus the open chunk at 24 bytes a record. */
  get bytes(): number { return this.sealedBytes + this.openLength * 24; }
}
