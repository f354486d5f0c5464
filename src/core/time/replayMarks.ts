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
// Marks are a cache, never history: they are taken only below the frontier at clean states, they die
// with their base checkpoint (thinning) or with the recorded future (a fork), and the oldest go first
// when their byte cap is reached. Mark points are aligned to multiples of `spacing` instruction
// counts, placed exponentially further back from the target (target - s, - 2s, - 4s, ...), so a run
// of reverse steps finds one within about 2 * spacing and repeated seeks do not duplicate them.
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
}

export class ReplayMarks {
  /** Sorted by icount. */
  private list: ReplayMark[] = [];
  /** Creation order, for eviction (the oldest first). */
  private order: ReplayMark[] = [];
  bytes = 0;
  taken = 0;

  constructor(public capBytes: number, public spacing: number) {}

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
    for (let d = s; ; d *= 2) {
      const p = Math.floor((target - d) / s) * s;
      if (p <= from) break;
      if (out[out.length - 1] !== p && !this.has(p)) out.push(p);
    }
    return out.reverse();
  }

  /** Take a mark of the current moment: `base` is the store's base, memory = base + `host.dirty` pages. */
  take(icount: number, base: Checkpoint, state: Uint8Array, inputIndex: number, host: HostPhysMem, tlbs: Int32Array[]): ReplayMark {
    for (const x of this.list.filter((y) => y.base.dead)) this.remove(x);
    const dirty = host.dirty;
    let n = 0;
    for (let p = 0; p < dirty.length; p++) if (dirty[p]) n++;
    const pages = new Int32Array(n);
    const data = new Int32Array(n * WORDS);
    const m32 = host.i32;
    for (let p = 0, k = 0; p < dirty.length; p++) {
      if (!dirty[p]) continue;
      pages[k] = p;
      data.set(m32.subarray(p * WORDS, (p + 1) * WORDS), k * WORDS);
      k++;
    }
    const m: ReplayMark = { icount, base, state, inputIndex, pages, data, tlbs, bytes: data.byteLength + pages.byteLength + state.byteLength + tlbBytes(tlbs) };
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].icount > icount) i--;
    this.list.splice(i, 0, m);
    this.order.push(m);
    this.bytes += m.bytes;
    this.taken++;
    while (this.bytes > this.capBytes && this.order.length > 1) this.remove(this.order[0]);
    return m;
  }

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

  clear(): void { this.list = []; this.order = []; this.bytes = 0; }

  private remove(m: ReplayMark): void {
    const i = this.list.indexOf(m);
    if (i >= 0) this.list.splice(i, 1);
    const j = this.order.indexOf(m);
    if (j >= 0) this.order.splice(j, 1);
    this.bytes -= m.bytes;
  }
}
