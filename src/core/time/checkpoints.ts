// Checkpoints with copy-on-write memory (rr's marks, QEMU's snapshots for replay_seek): each holds
// the components' state (CPU, VMCS, vCPU, VMM, devices) and only the host pages that changed since
// the previous checkpoint. Pages are found through HostPhysMem.dirty (set on every write path and
// when a TLB fill grants write access; the TLBs are flushed at each checkpoint so the next write to a
// page walks, and marks it, again), and a dirty page equal to its last saved version is not copied.
//
// Page versions are kept per page, ordered by checkpoint sequence number: the content of page p at
// checkpoint c is its latest version with seq <= c.seq (none: zero). They are stored compressed
// (time/pageVersions.ts: shared zero and identical pages, sparse XOR reverse deltas). Restoring rewrites only the pages
// that can differ: those dirty since the current base checkpoint, and those saved by any checkpoint
// between the base and the target. Thinning (when over the memory budget) drops checkpoints but keeps
// every page version a surviving checkpoint still needs, so older history gets coarser, never wrong.
import { PAGE_SIZE, type HostPhysMem } from '../hw/physMem';
import { PageVersionStore } from './pageVersions';
import { packZeros, unpackZeros } from './zeroRle';
import { tlbBytes } from './tlbState';

export interface Checkpoint {
  /** Increases with icount along the timeline. */
  readonly seq: number;
  readonly icount: number;
  /** All components (machineState.saveAll), zero-run packed (zeroRle.ts); read with `stateOf`. */
  readonly packed: Uint8Array;
  readonly stateLength: number;
  /** Entries of the input log delivered before this moment. */
  readonly inputIndex: number;
  /** Host pages that may differ from the previous surviving checkpoint (sorted). */
  pages: Int32Array;
  /** Taken right after an outside change (a debugger write): replay reaching it loads it. */
  readonly discontinuity: boolean;
  /** The vCPUs' TLB content at this moment (time/tlbState.ts). */
  readonly tlbs?: Int32Array[];
  /** Set when thinning or a fork removed it (replay marks relative to it die with it). */
  dead?: boolean;
}

const WORDS = PAGE_SIZE / 4;

export interface CheckpointStats {
  checkpoints: number;
  pageVersions: number;
  bytes: number;
  /** Of `bytes`: full pages in the content pool, sparse deltas, component state blobs. */
  poolBytes: number;
  deltaBytes: number;
  stateBytes: number;
  firstIcount: number;
  lastIcount: number;
  thinned: number;
}

export class CheckpointStore {
  readonly list: Checkpoint[] = [];
  /** The checkpoint memory is relative to: host memory = its pages + the pages marked dirty since. */
  base: Checkpoint | null = null;
  /** Component state and page lists held, in bytes (page data: `pages.bytes`). */
  private otherBytes = 0;
  private stateBytes = 0;
  thinned = 0;
  /** History bytes the last `take` added (before any thinning): what one checkpoint costs now. */
  lastTakeBytes = 0;
  /** Recent checkpoints never thinned (reverse steps near "now" stay fast). */
  keepRecent = 8;
  readonly pages: PageVersionStore;
  private readonly mark: Uint8Array;
  private nextSeq = 0;

  constructor(private readonly host: HostPhysMem, public budgetBytes: number) {
    const n = host.size / PAGE_SIZE;
    this.pages = new PageVersionStore(n);
    this.mark = new Uint8Array(n);
  }

  /** History memory held: page data (compressed) + component state + bookkeeping. */
  get bytes(): number { return this.pages.bytes + this.otherBytes; }
  get pageVersions(): number { return this.pages.versions; }

  get last(): Checkpoint | undefined { return this.list[this.list.length - 1]; }
  get first(): Checkpoint | undefined { return this.list[0]; }

  /** The latest checkpoint at or before `icount`. */
  atOrBefore(icount: number): Checkpoint | undefined {
    const l = this.list;
    let lo = 0, hi = l.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (l[mid].icount <= icount) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found < 0 ? undefined : l[found];
  }
  /** The first checkpoint after `icount`. */
  after(icount: number): Checkpoint | undefined {
    const c = this.atOrBefore(icount);
    const k = c ? this.list.indexOf(c) + 1 : 0;
    return this.list[k];
  }

  /**
   * Take a checkpoint of the current moment (the end of history: memory must be relative to the last
   * checkpoint). The caller has withheld the TLBs' write permissions (time/tlbState.ts) and passes their content.
   */
  take(icount: number, full: Uint8Array, inputIndex: number, discontinuity = false, tlbs?: Int32Array[]): Checkpoint {
    const state = packZeros(full);
    const before = this.bytes;
    const first = this.list.length === 0;
    if (!first && this.base !== this.last) this.advanceBase(this.last!);
    const seq = this.nextSeq++;
    const dirty = this.host.dirty;
    const pages: number[] = [];
    for (let p = 0; p < dirty.length; p++) {
      if (!first && !dirty[p]) continue;
      if (this.pages.pushIfChanged(p, seq, this.host.i32, p * WORDS)) pages.push(p);
    }
    dirty.fill(0);
    const c: Checkpoint = { seq, icount, packed: state, stateLength: full.length, inputIndex, pages: Int32Array.from(pages), discontinuity, tlbs };
    this.list.push(c);
    this.base = c;
    this.otherBytes += state.length + pages.length * 4 + tlbBytes(tlbs);
    this.stateBytes += state.length;
    this.lastTakeBytes = this.bytes - before;
    if (this.bytes > this.budgetBytes) this.thin();
    return c;
  }

  /** The components' saved state at checkpoint `c` (machineState.loadAll reads it). */
  stateOf(c: Checkpoint): Uint8Array { return unpackZeros(c.packed, c.stateLength); }

  /** Memory is now exactly checkpoint `c`'s (replay reached it): make it the base. */
  rebase(c: Checkpoint): void {
    this.host.dirty.fill(0);
    this.base = c;
  }

  /**
   * Make a later checkpoint the base without a restore (the VM passed it in an unclean state): every
   * page saved between the two counts as dirty, so memory = `c` + dirty pages still holds.
   */
  advanceBase(c: Checkpoint): void {
    const b = this.base;
    if (!b || b === c) { this.base = c; return; }
    for (const x of this.list) if (x.seq > b.seq && x.seq <= c.seq) for (const p of x.pages) this.host.dirty[p] = 1;
    this.base = c;
  }

  /** Rewrite host memory to checkpoint `c`'s content. Returns the pages rewritten. */
  restoreMemory(c: Checkpoint): number[] {
    const base = this.base ?? c;
    const lo = Math.min(base.seq, c.seq), hi = Math.max(base.seq, c.seq);
    const mark = this.mark;
    mark.fill(0);
    for (const x of this.list) if (x.seq > lo && x.seq <= hi) for (const p of x.pages) mark[p] = 1;
    const dirty = this.host.dirty;
    const out: number[] = [];
    const m = this.host.i32;
    for (let p = 0; p < mark.length; p++) {
      if (!mark[p] && !dirty[p]) continue;
      this.pages.decodeInto(p, this.pages.indexAt(p, c.seq), m, p * WORDS);
      out.push(p);
    }
    dirty.fill(0);
    this.base = c;
    return out;
  }

  /** Changing the past: forget checkpoints after `icount` (the base must be at or before it). */
  dropAfter(icount: number): number {
    let n = 0;
    while (this.list.length && this.last!.icount > icount) {
      const c = this.list.pop()!;
      if (this.base === c) throw new Error('checkpoint: cannot drop the base checkpoint');
      c.dead = true;
      for (const p of c.pages) {
        const k = this.pages.indexAt(p, c.seq);
        if (k >= 0 && this.pages.record(p)!.seqs[k] === c.seq) this.pages.remove(p, k);
      }
      this.otherBytes -= c.packed.length + c.pages.length * 4 + tlbBytes(c.tlbs);
      this.stateBytes -= c.packed.length;
      n++;
    }
    return n;
  }

  /** Over budget: drop every other checkpoint of the older history (the first and recent ones stay). */
  thin(): void {
    while (this.bytes > this.budgetBytes && this.list.length > this.keepRecent + 2) {
      const before = this.list.length;
      for (let i = this.list.length - 1 - this.keepRecent; i >= 1; i -= 2) this.drop(i);
      if (this.list.length === before) break;
    }
  }

  private drop(i: number): void {
    const c = this.list[i], next = this.list[i + 1], prev = this.list[i - 1];
    for (const p of c.pages) {
      const k = this.pages.indexAt(p, c.seq);
      const v = this.pages.record(p);
      if (k < 0 || !v || v.seqs[k] !== c.seq) continue;
      // Needed by `next` unless the page has a newer version at or before it.
      if (k + 1 < v.seqs.length && v.seqs[k + 1] <= next.seq) this.pages.remove(p, k);
    }
    this.otherBytes -= c.packed.length + c.pages.length * 4 + next.pages.length * 4 + tlbBytes(c.tlbs);
    this.stateBytes -= c.packed.length;
    next.pages = unionSorted(c.pages, next.pages);
    this.otherBytes += next.pages.length * 4;
    if (this.base === c) {
      for (const p of c.pages) this.host.dirty[p] = 1;
      this.base = prev;
    }
    this.list.splice(i, 1);
    c.dead = true;
    this.thinned++;
  }

  stats(): CheckpointStats {
    return {
      checkpoints: this.list.length, pageVersions: this.pageVersions, bytes: this.bytes,
      poolBytes: this.pages.poolPages * PAGE_SIZE, deltaBytes: this.pages.deltaBytes, stateBytes: this.stateBytes,
      firstIcount: this.first?.icount ?? 0, lastIcount: this.last?.icount ?? 0, thinned: this.thinned,
    };
  }
}

function unionSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0, j = 0, n = 0;
  while (i < a.length || j < b.length) {
    const x = j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++];
    if (n === 0 || out[n - 1] !== x) out[n++] = x;
  }
  return out.slice(0, n);
}
