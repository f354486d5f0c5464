// Replay marks: temporary, in-memory moments taken while replaying towards a reverse-step or goto
// target, so the next reverse step near that target replays a short stretch instead of a whole
// checkpoint interval (rr's ReplayTimeline adds marks the same way while it executes backwards).
//
// A mark is relative to the checkpoint that was the dirty-tracking base when it was taken (memory
// then = base's pages + the pages marked dirty since, see checkpoints.ts): it holds the components'
// state (machineState.saveAll), the input-log position, and a copy of every page dirty since that
// base. Restoring it = restore the base checkpoint's memory, write the copies back and mark them
// dirty again (so "memory = base + dirty pages" still holds), load the state.
//
// Marks are a cache, never history: they are taken at clean states, they die with their base
// checkpoint (thinning) or with the recorded future (a fork), and the oldest go first when their byte
// cap is reached. Replay mark points are aligned to multiples of `spacing` instruction counts, placed
// exponentially further back from the target (target - s, - 2s, - 4s, - 8s), so a run of reverse steps
// finds one within about 2 * spacing and repeated seeks do not duplicate them.
//
// Live marks are taken while running forward at the end of history, every `liveSpacing` instructions,
// and only the last `liveKeep` are kept: the first step back after running forward replays from the
// latest of them (at most liveSpacing instructions) instead of from the last checkpoint (up to a whole
// interval). That is what lets checkpoints be far apart (cheap recording, ADR 0019) while the first
// reverse step stays short. A mark's page copies live in a buffer that is recycled when the mark is
// evicted, so steady recording does not keep asking the host for fresh memory.
import { PAGE_SIZE, type HostPhysMem } from '../hw/physMem';
import type { Checkpoint } from './checkpoints';
import { tlbBytes } from './tlbState';

const WORDS = PAGE_SIZE / 4;

export interface ReplayMark {
  readonly icount: number;
  /** The checkpoint memory was relative to when the mark was taken. */
  readonly base: Checkpoint;
  /** All components (machineState.saveAll), unpacked. */
  readonly state: Uint8Array;
  readonly inputIndex: number;
  /** Pages dirty since `base` (sorted) and their content, WORDS words each. */
  readonly pages: Int32Array;
  readonly data: Int32Array;
  /** The vCPUs' TLB content (time/tlbState.ts). */
  readonly tlbs: Int32Array[];
  readonly bytes: number;
  /** Taken while running forward at the end of history (see the header). */
  readonly live: boolean;
  /** The recycled buffer `data` is a view of. */
  readonly buffer: Int32Array;
}

/** Page-copy buffers are sized in steps of this many pages, so a recycled one usually fits the next mark. */
const BUFFER_STEP = 64;
/** Free buffers kept for reuse. */
const FREE_KEEP = 4;
/** Replay mark points per seek. */
const MAX_POINTS = 4;

export class ReplayMarks {
  /** Sorted by icount. */
  private list: ReplayMark[] = [];
  /** Creation order, for eviction (the oldest first). */
  private order: ReplayMark[] = [];
  /** Held: marks (their buffers) and free buffers kept for reuse. */
  bytes = 0;
  taken = 0;
  private free: Int32Array[] = [];

  constructor(public capBytes: number, public spacing: number, public liveSpacing = 0, public liveKeep = 2) {}

  /** The next live mark point after `icount` (Infinity: none). */
  nextLivePoint(icount: number): number {
    const s = this.liveSpacing;
    return s > 0 && this.capBytes > 0 ? (Math.floor(icount / s) + 1) * s : Infinity;
  }
  isLivePoint(icount: number): boolean { return this.liveSpacing > 0 && this.capBytes > 0 && icount % this.liveSpacing === 0; }

  get count(): number { return this.list.length; }

  /** The latest live mark at or before `icount` (its base checkpoint not thinned or dropped). */
  atOrBefore(icount: number): ReplayMark | undefined {
    let best: ReplayMark | undefined;
    for (const m of this.list) {
      if (m.icount > icount) break;
      if (!m.base.dead) best = m;
    }
    return best;
  }

  has(icount: number): boolean {
    for (const m of this.list) if (m.icount === icount && !m.base.dead) return true;
    return false;
  }

  /** Mark points for a replay from `from` to `target` (exclusive of both ends), ascending. */
  points(from: number, target: number): number[] {
    const s = this.spacing;
    const out: number[] = [];
    if (s <= 0 || this.capBytes <= 0) return out;
    // The nearest few only: each copies every page dirty since its base checkpoint, and the next
    // steps back use the nearest (a seek further back takes its own).
    for (let d = s, n = 0; n < MAX_POINTS; d *= 2, n++) {
      const p = Math.floor((target - d) / s) * s;
      if (p <= from) break;
      if (out[out.length - 1] !== p && !this.has(p)) out.push(p);
    }
    return out.reverse();
  }

  /** Take a mark of the current moment: `base` is the store's base, memory = base + `host.dirty` pages. */
  take(icount: number, base: Checkpoint, state: Uint8Array, inputIndex: number, host: HostPhysMem, tlbs: Int32Array[], live = false): ReplayMark {
    for (const x of this.list.filter((y) => y.base.dead)) this.remove(x);
    if (live) {
      const older = this.order.filter((y) => y.live);
      for (let k = 0; k + this.liveKeep <= older.length; k++) this.remove(older[k]);
    }
    const dirty = host.dirty;
    let n = 0;
    for (let p = 0; p < dirty.length; p++) if (dirty[p]) n++;
    const pages = new Int32Array(n);
    const buffer = this.buffer(n * WORDS);
    const data = buffer.subarray(0, n * WORDS);
    const m32 = host.i32;
    for (let p = 0, k = 0; p < dirty.length; p++) {
      if (!dirty[p]) continue;
      pages[k] = p;
      data.set(m32.subarray(p * WORDS, (p + 1) * WORDS), k * WORDS);
      k++;
    }
    const m: ReplayMark = { icount, base, state, inputIndex, pages, data, tlbs, live, buffer, bytes: buffer.byteLength + pages.byteLength + state.byteLength + tlbBytes(tlbs) };
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].icount > icount) i--;
    this.list.splice(i, 0, m);
    this.order.push(m);
    this.bytes += m.bytes;
    this.taken++;
    while (this.bytes > this.capBytes && this.free.length) this.bytes -= this.free.shift()!.byteLength;
    while (this.bytes > this.capBytes && this.order.length > 1) { this.remove(this.order[0]); this.dropFree(); }
    return m;
  }

  /** A buffer of at least `words` words: the smallest free one that fits, else a new one. */
  private buffer(words: number): Int32Array {
    let best = -1;
    for (let k = 0; k < this.free.length; k++) {
      const b = this.free[k];
      if (b.length >= words && (best < 0 || b.length < this.free[best].length)) best = k;
    }
    if (best >= 0) {
      const b = this.free[best];
      this.free.splice(best, 1);
      this.bytes -= b.byteLength;
      return b;
    }
    const step = BUFFER_STEP * WORDS;
    return new Int32Array(Math.max(step, Math.ceil(words / step) * step));
  }

  private dropFree(): void { for (const b of this.free) this.bytes -= b.byteLength; this.free = []; }

  /** Write the mark's pages into host memory and mark them dirty (the base's memory must be there). */
  apply(m: ReplayMark, host: HostPhysMem): Int32Array {
    const m32 = host.i32;
    for (let k = 0; k < m.pages.length; k++) {
      const p = m.pages[k];
      m32.set(m.data.subarray(k * WORDS, (k + 1) * WORDS), p * WORDS);
      host.dirty[p] = 1;
    }
    return m.pages;
  }

  /** The recorded future from `icount` on was discarded (a fork): marks at or after it are wrong now. */
  dropFrom(icount: number): void {
    for (const m of this.list.filter((x) => x.icount >= icount)) this.remove(m);
  }

  clear(): void { this.list = []; this.order = []; this.free = []; this.bytes = 0; }

  private remove(m: ReplayMark): void {
    const i = this.list.indexOf(m);
    if (i >= 0) this.list.splice(i, 1);
    const j = this.order.indexOf(m);
    if (j >= 0) this.order.splice(j, 1);
    this.bytes -= m.bytes;
    // Keep its page buffer for the next mark (a live mark every few million instructions would
    // otherwise touch fresh host memory each time).
    this.free.push(m.buffer);
    this.bytes += m.buffer.byteLength;
    if (this.free.length > FREE_KEEP) {
      this.free.sort((a, b) => b.length - a.length);
      this.bytes -= this.free.pop()!.byteLength;
    }
  }
}
