// Compressed page history for checkpoints (time/checkpoints.ts). For each host page the versions
// saved by checkpoints, oldest first, are kept as:
//   - the newest version (the "head") in full, as an entry of a content-addressed pool: identical
//     pages (same content hash, verified word by word) share one copy; an all-zero page is `null`;
//   - every older version as a reverse delta: the XOR against the next newer version, stored sparse
//     (a 32-word bitmap of the changed words, then those words), or as a pool entry / `null` when that
//     is smaller (a dense change, or content another version already holds: a loop that returns a
//     buffer to the same content costs one copy).
// Version k decodes from the nearest full version above it by XOR-ing the deltas down to k. XOR is
// its own inverse, so dropping a middle version (thinning) re-encodes only its older neighbour.
// This is the layout of rr's and git's reverse deltas: recent history, the hot path of reverse
// stepping, decodes in one or two steps.
// Page copies live in slab slots and deltas in arena chunks (time/pageSlab.ts), not in a typed array
// each: allocation was most of a checkpoint's cost.
import { PAGE_SIZE } from '../hw/physMem';
import { DeltaArena, PageSlab } from './pageSlab';

const WORDS = PAGE_SIZE / 4;
const BITMAP = WORDS / 32;
/** Bytes of bookkeeping counted per version (seq + reference). */
const VERSION_OVERHEAD = 16;

/**
 * Full content. `pooled`: in the content-addressed pool (found by hash, shared). A head pushed by a
 * checkpoint is not pooled (hashing every saved page cost as much as the rest of a checkpoint); it
 * joins the pool when it becomes an older version that is stored in full (a dense change).
 */
export interface PoolEntry { readonly data: Int32Array; readonly slot: number; hash: number; refs: number; pooled: boolean; }
/** Pool entry (full content), sparse reverse delta, or null (all zero). */
export type StoredVersion = PoolEntry | Int32Array | null;

export interface PageRecord { seqs: number[]; store: StoredVersion[]; }

function isDelta(s: StoredVersion): s is Int32Array { return s instanceof Int32Array; }

function hashWords(m: Int32Array, o: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = o, e = o + WORDS; k < e; k++) h = Math.imul(h ^ m[k], 16777619);
  return h;
}

export interface PageVersionStats { versions: number; poolPages: number; deltaBytes: number; zeroVersions: number; }

export class PageVersionStore {
  private readonly pages: (PageRecord | undefined)[];
  private readonly pool = new Map<number, PoolEntry[]>();
  /** Bytes held: pool pages, deltas, per-version bookkeeping. */
  bytes = 0;
  versions = 0;
  poolPages = 0;
  deltaBytes = 0;
  private readonly scratchA = new Int32Array(WORDS);
  private readonly scratchB = new Int32Array(WORDS);
  private readonly idx = new Int32Array(WORDS);
  private readonly xs = new Int32Array(WORDS);
  private runs = 0;
  private readonly slab = new PageSlab();
  private readonly arena = new DeltaArena();

  constructor(pageCount: number) { this.pages = new Array<PageRecord | undefined>(pageCount); }

  record(p: number): PageRecord | undefined { return this.pages[p]; }

  // ------------------------------------------------------------------ pool
  private intern(src: Int32Array, o: number): PoolEntry | null {
    let zero = true;
    for (let k = o, e = o + WORDS; k < e; k++) if (src[k] !== 0) { zero = false; break; }
    if (zero) return null;
    const hash = hashWords(src, o);
    let bucket = this.pool.get(hash);
    if (bucket) {
      for (const e of bucket) {
        const d = e.data;
        let same = true;
        for (let k = 0; k < WORDS; k++) if (d[k] !== src[o + k]) { same = false; break; }
        if (same) { e.refs++; return e; }
      }
    } else { bucket = []; this.pool.set(hash, bucket); }
    const slot = this.slab.alloc();
    const data = this.slab.view(slot);
    data.set(src.subarray(o, o + WORDS));
    const e: PoolEntry = { data, slot, hash, refs: 1, pooled: true };
    bucket.push(e);
    this.poolPages++;
    this.bytes += PAGE_SIZE;
    return e;
  }

  private release(s: StoredVersion): void {
    if (s === null) return;
    if (isDelta(s)) { this.bytes -= s.length * 4; this.deltaBytes -= s.length * 4; this.arena.release(s); return; }
    if (--s.refs > 0) return;
    this.slab.release(s.slot);
    this.poolPages--;
    this.bytes -= PAGE_SIZE;
    if (!s.pooled) return;
    const bucket = this.pool.get(s.hash)!;
    bucket.splice(bucket.indexOf(s), 1);
    if (bucket.length === 0) this.pool.delete(s.hash);
  }

  /** A private full copy (not pooled), or null when zero: a new head. */
  private copyOf(src: Int32Array, o: number): PoolEntry | null {
    if (nonZero(src, o) === 0) return null;
    const slot = this.slab.alloc();
    const data = this.slab.view(slot);
    data.set(src.subarray(o, o + WORDS));
    this.poolPages++;
    this.bytes += PAGE_SIZE;
    return { data, slot, hash: 0, refs: 1, pooled: false };
  }

  /** Put a private copy into the pool: shares an identical pooled page when there is one. */
  private toPool(e: PoolEntry): PoolEntry {
    if (e.pooled) return e;
    const hash = hashWords(e.data, 0);
    let bucket = this.pool.get(hash);
    if (bucket) {
      for (const x of bucket) {
        const d = x.data;
        let same = true;
        for (let k = 0; k < WORDS; k++) if (d[k] !== e.data[k]) { same = false; break; }
        if (same) { x.refs++; this.release(e); return x; }
      }
    } else { bucket = []; this.pool.set(hash, bucket); }
    e.hash = hash;
    e.pooled = true;
    bucket.push(e);
    return e;
  }

  /**
   * Store `older` (full content at `oo`) relative to `newer` (full at `no`): a sparse XOR delta when
   * that is well under a page, else a pool entry (or null when zero). Two sparse layouts, the smaller
   * wins: word 0 = 0: a 32-word bitmap of changed words, then their XORs (dense clusters); word 0 = 1:
   * runs of changed words, each a header (first word << 16 | count) and the XORs (scattered words).
   */
  private encode(older: Int32Array, oo: number, newer: Int32Array, no: number): StoredVersion {
    return this.encodeDiff(this.diff(older, oo, newer, no), older, oo);
  }

  /** One pass: the changed words' indices and XORs into the scratch arrays (count returned, runs in `runs`). */
  private diff(older: Int32Array, oo: number, newer: Int32Array, no: number): number {
    // Most dirty pages a checkpoint looks at are unchanged: a bare compare finds that 3-4x faster
    // than the loop below, which also collects the changed words.
    const first = firstDifference(older, oo, newer, no);
    if (first < 0) { this.runs = 0; return 0; }
    const idx = this.idx, xs = this.xs;
    let n = 0, runs = 0, prev = -2;
    for (let k = first; k < WORDS; k++) {
      const x = older[oo + k] ^ newer[no + k];
      if (x === 0) continue;
      if (k !== prev + 1) runs++;
      idx[n] = k; xs[n++] = x; prev = k;
    }
    this.runs = runs;
    return n;
  }

  /** The last `diff` (n changed words) is too dense for a sparse delta. */
  private dense(n: number): boolean { return Math.min(1 + BITMAP + n, 1 + this.runs + n) >= WORDS * 0.75; }

  /** The delta of the last `diff` (n changed words), or `older` interned when the change is dense. */
  private encodeDiff(n: number, older: Int32Array, oo: number): StoredVersion {
    const idx = this.idx, xs = this.xs, runs = this.runs;
    const bitmapLen = 1 + BITMAP + n, runsLen = 1 + runs + n;
    if (this.dense(n)) return this.intern(older, oo);
    let d: Int32Array;
    if (runsLen <= bitmapLen) {
      d = this.arena.alloc(runsLen);
      d[0] = 1;
      let j = 1;
      for (let i = 0; i < n;) {
        const start = idx[i];
        let len = 1;
        while (i + len < n && idx[i + len] === start + len) len++;
        d[j++] = (start << 16) | len;
        for (let t = 0; t < len; t++) d[j++] = xs[i + t];
        i += len;
      }
    } else {
      d = this.arena.alloc(bitmapLen);
      d.fill(0, 0, 1 + BITMAP);
      for (let i = 0; i < n; i++) { const k = idx[i]; d[1 + (k >>> 5)] |= 1 << (k & 31); d[1 + BITMAP + i] = xs[i]; }
    }
    this.bytes += d.length * 4;
    this.deltaBytes += d.length * 4;
    return d;
  }

  // ------------------------------------------------------------------ versions
  /** Index of the latest version with seq <= `seq`, or -1. */
  indexAt(p: number, seq = Infinity): number {
    const r = this.pages[p];
    if (!r) return -1;
    const s = r.seqs;
    let lo = 0, hi = s.length - 1, found = -1;
    while (lo <= hi) { const mid = (lo + hi) >> 1; if (s[mid] <= seq) { found = mid; lo = mid + 1; } else hi = mid - 1; }
    return found;
  }

  /** The newest version's full content (null: zero, or no version). */
  head(p: number): Int32Array | null {
    const r = this.pages[p];
    if (!r || r.store.length === 0) return null;
    const h = r.store[r.store.length - 1] as PoolEntry | null;
    return h ? h.data : null;
  }

  /** A new newest version of page `p`, content taken from `src` at word offset `o`. */
  push(p: number, seq: number, src: Int32Array, o: number): void {
    let r = this.pages[p];
    if (!r) { r = { seqs: [], store: [] }; this.pages[p] = r; }
    const n = r.store.length;
    if (n > 0) {
      const h = r.store[n - 1] as PoolEntry | null;
      // The old head becomes a reverse delta unless its content is shared (free) or zero (free).
      if (h !== null && h.refs === 1) {
        // encode() either returns a delta or interns the same content (h itself, one more ref).
        r.store[n - 1] = this.encode(h.data, 0, src, o);
        this.release(h);
      }
    }
    r.seqs.push(seq);
    r.store.push(this.intern(src, o));
    this.versions++;
    this.bytes += VERSION_OVERHEAD;
  }

  /**
   * Checkpoint fast path: push the content at `src[o..]` as a new version of page `p` unless it equals
   * the newest one (or is zero for a page with none). One pass compares and, when it differs, yields
   * the old head's reverse delta. Returns whether a version was pushed.
   */
  pushIfChanged(p: number, seq: number, src: Int32Array, o: number): boolean {
    let r = this.pages[p];
    const n = r ? r.store.length : 0;
    const h = n > 0 ? r!.store[n - 1] as PoolEntry | null : null;
    const changed = h !== null ? this.diff(h.data, 0, src, o) : nonZero(src, o);
    if (changed === 0) return false;
    if (!r) { r = { seqs: [], store: [] }; this.pages[p] = r; }
    // The old head becomes a sparse delta, or stays in full (pooled) after a dense change.
    if (h !== null && h.refs === 1) {
      if (this.dense(changed)) r.store[n - 1] = this.toPool(h);
      else { r.store[n - 1] = this.encodeDiff(changed, h.data, 0); this.release(h); }
    }
    r.seqs.push(seq);
    r.store.push(this.copyOf(src, o));
    this.versions++;
    this.bytes += VERSION_OVERHEAD;
    if (this.arena.fragmented) this.compact();
    return true;
  }

  /** Move every delta out of mostly-empty arena chunks (after thinning freed many). */
  private compact(): void {
    this.arena.startCompaction();
    for (const r of this.pages) {
      if (!r) continue;
      for (let k = 0; k < r.store.length; k++) { const s = r.store[k]; if (isDelta(s)) r.store[k] = this.arena.move(s); }
    }
  }

  /** Arena and slab bytes actually held (live data, free slots, holes), for reports. */
  get heldBytes(): number { return this.slab.bytes + this.arena.bytes; }

  /** Write version `k` of page `p` into `dst` at word offset `o`. */
  decodeInto(p: number, k: number, dst: Int32Array, o: number): void {
    const r = this.pages[p];
    if (!r || k < 0) { dst.fill(0, o, o + WORDS); return; }
    let a = k;
    while (isDelta(r.store[a])) a++;
    const full = r.store[a] as PoolEntry | null;
    if (full) dst.set(full.data, o); else dst.fill(0, o, o + WORDS);
    for (let j = a - 1; j >= k; j--) applyDelta(r.store[j] as Int32Array, dst, o);
  }

  /** Remove version `k` of page `p` (thinning, forks). The older neighbour is re-encoded if it was relative to it. */
  remove(p: number, k: number): void {
    const r = this.pages[p]!;
    const n = r.store.length;
    const last = k === n - 1;
    if (k > 0 && (last || isDelta(r.store[k - 1]))) {
      // Materialize the older neighbour, then store it against its new newer neighbour (or as the head).
      const A = this.scratchA;
      this.decodeInto(p, k - 1, A, 0);
      this.release(r.store[k - 1]);
      if (last) r.store[k - 1] = this.intern(A, 0);
      else {
        const B = this.scratchB;
        this.decodeInto(p, k + 1, B, 0);
        const enc = this.encode(A, 0, B, 0);
        r.store[k - 1] = enc;
      }
    }
    this.release(r.store[k]);
    r.store.splice(k, 1);
    r.seqs.splice(k, 1);
    this.versions--;
    this.bytes -= VERSION_OVERHEAD;
    if (r.store.length === 0) this.pages[p] = undefined;
  }

  stats(): PageVersionStats {
    let zero = 0;
    for (const r of this.pages) if (r) for (const s of r.store) if (s === null) zero++;
    return { versions: this.versions, poolPages: this.poolPages, deltaBytes: this.deltaBytes, zeroVersions: zero };
  }
}

function applyDelta(d: Int32Array, dst: Int32Array, o: number): void {
  if (d[0] === 1) {
    for (let j = 1; j < d.length;) {
      const h = d[j++];
      for (let k = o + (h >>> 16), e = k + (h & 0xffff); k < e; k++) dst[k] ^= d[j++];
    }
    return;
  }
  let j = 1 + BITMAP;
  for (let w = 0; w < BITMAP; w++) {
    let bits = d[1 + w];
    while (bits !== 0) {
      const b = 31 - Math.clz32(bits & -bits);
      dst[o + (w << 5) + b] ^= d[j++];
      bits &= bits - 1;
    }
  }
}

/** The first word index where the two pages differ, or -1. */
function firstDifference(a: Int32Array, ao: number, b: Int32Array, bo: number): number {
  for (let k = 0; k < WORDS; k++) if (a[ao + k] !== b[bo + k]) return k;
  return -1;
}

function nonZero(m: Int32Array, o: number): number {
  for (let k = o, e = o + WORDS; k < e; k++) if (m[k] !== 0) return 1;
  return 0;
}
