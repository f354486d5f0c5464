// Time travel over one VM: recording (checkpoints + the input log), replay, reverse step, reverse
// continue and "go to instruction count" (QEMU's replay_seek, rr's ReplayTimeline).
//
// History runs from the first checkpoint to the frontier (the furthest icount reached). Below the
// frontier the VM replays: the same input enters at the same icount, so the same exits happen. A
// state is "clean" when the VM stopped because its instruction budget ran out (or at a breakpoint):
// the unique state before instruction `icount` executes. Checkpoints are taken only at clean states,
// so replay passing a checkpoint's icount has exactly its memory (the checkpoint becomes the base of
// the dirty-page tracking). Breakpoints and exit filters belong to the timeline, not to checkpoints.
import type { HostPhysMem } from '../hw/physMem';
import type { Vmm } from '../vmm/vmm';
import type { StopEvent } from '../debug/debugApi';
import type { Snapshotable } from './stateIo';
import { CheckpointStore, type Checkpoint, type CheckpointStats } from './checkpoints';
import { InputLog } from './inputLog';
import { ReplayMarks, type ReplayMark } from './replayMarks';
import { loadTlbs, saveTlbs } from './tlbState';
import { invalidateCode, loadAll, saveAll } from './machineState';

/** What the timeline needs from the VM facade (machine/vm.ts implements it). */
export interface TimelineHost {
  readonly vmm: Vmm;
  readonly host: HostPhysMem;
  icount(): number;
  components(): Snapshotable[];
  /** Run up to `budget` instructions; `resume` steps over a breakpoint at the current pc. */
  runChunk(budget: number, resume: boolean): StopEvent | null;
  deliverInput(port: number, bytes: Uint8Array): void;
  ended(): boolean;
  /** Breakpoints and exit filters on (normal) or off (replaying to a chosen moment). */
  setStopsEnabled(on: boolean): void;
  /** The facade's own run bookkeeping (whether the user is stopped at this pc), kept across a peek. */
  runBookkeeping?(): unknown;
  setRunBookkeeping?(v: unknown): void;
}

export interface RecordingOptions {
  /**
   * Memory for all of history, default 64 MiB: half for checkpoints (page versions + state; older
   * checkpoints are thinned beyond it), a quarter for the exit log (its oldest chunks thinned beyond
   * it) and a quarter for replay marks (a cache: the oldest evicted).
   */
  budgetBytes?: number;
  /** Instructions between checkpoints to start with (adapted as the run goes). Default DEFAULT_INTERVAL. */
  interval?: number;
  minInterval?: number;
  maxInterval?: number;
  /** Replay marks (time/replayMarks.ts): spacing in instructions (0: none) and byte cap (default: the marks' share of the budget). */
  markSpacing?: number;
  markBytes?: number;
  /** Live marks while running forward at the end of history: spacing in instructions (0: none). Default DEFAULT_LIVE_MARK_SPACING. */
  liveMarkSpacing?: number;
}

export const DEFAULT_HISTORY_BUDGET = 64 * 1024 * 1024;
/**
 * Checkpoint interval defaults (instructions). Replay marks (time/replayMarks.ts) keep reverse steps
 * short whatever the interval: live marks near the end of history, replay marks near each target. So
 * the interval is sized for recording cost: each checkpoint costs a fixed part (component state) plus
 * a part per page written since the last one (compare, delta, copy), and fewer, larger intervals hold
 * fewer intermediate page versions (ADR 0013, ADR 0019).
 */
export const DEFAULT_INTERVAL = 16_000_000, DEFAULT_MIN_INTERVAL = 4_000_000, DEFAULT_MAX_INTERVAL = 32_000_000;
/** Live marks every 8M instructions: the first step back after running forward replays at most that. */
export const DEFAULT_LIVE_MARK_SPACING = 8_000_000;

/** The outcome of a move in time: where the VM stopped, and words for the user when useful. */
export interface TravelResult { stop: StopEvent; message?: string; }

export interface Hit { icount: number; stop: StopEvent; exitOrdinal: number; }

/** @internal A scan of one checkpoint interval in progress (Timeline.scanBegin / scanSome). */
export interface IntervalScan { readonly c: Checkpoint; readonly end: number; last: Hit | null; resume: boolean; ordAt: number; ord: number; done: boolean; }

/** A reverse search scans at most this many instructions per `step()` (progress reports, pause). */
export const SEARCH_SLICE = 4_000_000;

export class Timeline {
  readonly store: CheckpointStore;
  readonly inputs = new InputLog();
  /** The furthest icount this timeline has reached (end of history). */
  frontier: number;
  interval: number;
  readonly minInterval: number;
  readonly maxInterval: number;
  /** True when the VM sits in the clean state at its icount (see the header). */
  clean: boolean;
  /** Set when the last operation forked the timeline (changing the past). */
  lastFork: string | undefined;
  private reverseSearchActive = false;
  readonly marks: ReplayMarks;
  /** The whole history budget (checkpoints, exit log and marks each get a share: see RecordingOptions). */
  readonly budgetBytes: number;

  constructor(private readonly vm: TimelineHost, opts: RecordingOptions = {}, clean = true) {
    // One budget for everything history holds (see RecordingOptions.budgetBytes).
    const budget = opts.budgetBytes ?? DEFAULT_HISTORY_BUDGET;
    this.budgetBytes = budget;
    this.store = new CheckpointStore(vm.host, Math.floor(budget / 2));
    vm.vmm.exitLog.budgetBytes = Math.floor(budget / 4);
    this.interval = opts.interval ?? DEFAULT_INTERVAL;
    this.minInterval = opts.minInterval ?? Math.min(this.interval, DEFAULT_MIN_INTERVAL);
    this.maxInterval = opts.maxInterval ?? Math.max(this.interval, DEFAULT_MAX_INTERVAL);
    this.marks = new ReplayMarks(opts.markBytes ?? Math.floor(budget / 4), opts.markSpacing ?? 8_192, opts.liveMarkSpacing ?? DEFAULT_LIVE_MARK_SPACING);
    this.frontier = vm.icount();
    this.clean = clean;
    this.checkpoint();
  }

  get start(): number { return this.store.first!.icount; }
  /** The VM's instruction count now. */
  get now(): number { return this.vm.icount(); }
  get replaying(): boolean { return this.vm.icount() < this.frontier; }
  /** `bytes` is the checkpoints' part; `totalBytes` adds the exit log and the marks (what the budget bounds). */
  stats(): CheckpointStats & { interval: number; frontier: number; inputs: number; marks: number; markBytes: number; exitLogBytes: number; totalBytes: number; budgetBytes: number } {
    const st = this.store.stats(), exitLogBytes = this.vm.vmm.exitLog.bytes;
    return {
      ...st, interval: this.interval, frontier: this.frontier, inputs: this.inputs.entries.length, marks: this.marks.count, markBytes: this.marks.bytes,
      exitLogBytes, totalBytes: st.bytes + exitLogBytes + this.marks.bytes, budgetBytes: this.budgetBytes,
    };
  }

  private checkpoint(discontinuity = false): Checkpoint {
    const c = this.store.take(this.vm.icount(), saveAll(this.vm.components()), this.inputs.cursor, discontinuity, saveTlbs(this.vm.vmm));
    this.adapt();
    return c;
  }

  /**
   * Bounded memory and bounded reverse latency: the interval (in instructions, never host time) grows
   * while checkpoints are heavy for the budget and shrinks while they are light, within
   * [minInterval, maxInterval]; maxInterval bounds the replay a reverse step needs near the end of
   * history. "Heavy" is over 1/1024 of the budget for one checkpoint (64 KiB of the default 64 MiB).
   */
  private adapt(): void {
    const cost = this.store.lastTakeBytes;
    const aim = this.store.budgetBytes / 1024;
    if (cost > aim) this.interval = Math.min(this.maxInterval, this.interval * 2);
    else if (cost < aim / 8) this.interval = Math.max(this.minInterval, this.interval / 2);
    this.interval = Math.round(this.interval);
  }

  /** Before running on from here: deliver due input, follow checkpoints replay reaches, take one if due. */
  private sync(): void {
    const now = this.vm.icount();
    for (let e = this.inputs.next; e && e.icount <= now; e = this.inputs.next) {
      this.vm.deliverInput(e.port, e.bytes);
      this.inputs.cursor++;
    }
    const c = this.store.atOrBefore(now);
    if (c && c.discontinuity && c.icount === now && this.store.base !== c && c.seq > (this.store.base?.seq ?? -1)) {
      this.restore(c); // a debugger write happened here: replay takes it from the checkpoint
      return;
    }
    if (!this.clean || this.vm.ended()) return;
    if (c && c.icount === now && this.store.base !== c && c.seq > (this.store.base?.seq ?? -1)) {
      this.store.rebase(c);
    } else if (c && now >= this.frontier && c === this.store.last && now - c.icount >= this.interval) {
      this.checkpoint();
    } else if (c && now >= this.frontier && c.icount < now && this.marks.isLivePoint(now) && !this.marks.has(now)) {
      this.takeMark(true);
    }
  }

  /** Where the next chunk must end: a checkpoint replay must follow, the next input, the next checkpoint due. */
  private chunkEnd(end: number): number {
    const now = this.vm.icount();
    let stop = end;
    const c = this.store.after(now);
    if (c) stop = Math.min(stop, c.icount);
    const e = this.inputs.next;
    if (e && e.icount > now) stop = Math.min(stop, e.icount);
    const last = this.store.last!;
    if (now >= this.frontier || !c) stop = Math.min(stop, Math.max(now + 1, last.icount + this.interval), this.marks.nextLivePoint(now));
    return stop;
  }

  /** Run forward up to `budget` instructions (replaying history, then live). */
  run(budget: number): StopEvent | null {
    const end = this.vm.icount() + budget;
    let resume = true;
    for (;;) {
      this.sync();
      const now = this.vm.icount();
      if (now >= end) return null;
      const s = this.vm.runChunk(this.chunkEnd(end) - now, resume);
      resume = false;
      this.afterMove(s);
      if (s) return s;
    }
  }

  /** Bookkeeping after the VM moved forward (a run chunk or a step). */
  afterMove(s: StopEvent | null, steppedClean = false): void {
    const now = this.vm.icount();
    if (now > this.frontier) this.frontier = now;
    this.clean = s === null || s.kind === 'breakpoint' || steppedClean;
  }

  /** Before a single step: deliver due input, follow checkpoints. */
  beforeStep(): void { this.sync(); }

  /** Replay to exactly `target` with breakpoints and filters off. Returns a stop if the VM ended first. */
  private replayTo(target: number, markPoints: readonly number[] = []): StopEvent | null {
    this.vm.setStopsEnabled(false);
    try {
      let k = 0;
      for (;;) {
        this.sync();
        const now = this.vm.icount();
        while (k < markPoints.length && markPoints[k] < now) k++;
        if (k < markPoints.length && markPoints[k] === now) { this.takeMark(); k++; }
        if (now >= target) return null;
        const s = this.vm.runChunk(this.chunkEnd(k < markPoints.length ? Math.min(target, markPoints[k]) : target) - now, false);
        this.afterMove(s);
        if (s) return s;
      }
    } finally {
      this.vm.setStopsEnabled(true);
    }
  }

  private restore(c: Checkpoint): void {
    const pages = this.store.restoreMemory(c);
    loadAll(this.vm.components(), this.store.stateOf(c));
    invalidateCode(this.vm.host, pages);
    loadTlbs(this.vm.vmm, c.tlbs);
    this.inputs.cursor = c.inputIndex;
    this.clean = !c.discontinuity;
  }

  /** A mark of the current moment (clean; replaying, or `live` at the end of history): see time/replayMarks.ts. */
  private takeMark(live = false): void {
    const now = this.vm.icount(), base = this.store.base;
    if (!this.clean || this.vm.ended() || (now >= this.frontier) !== live || !base || base.icount > now) return;
    this.marks.take(now, base, saveAll(this.vm.components()), this.inputs.cursor, this.vm.host, saveTlbs(this.vm.vmm), live);
  }

  private restoreMark(m: ReplayMark): void {
    const pages = this.store.restoreMemory(m.base);
    const own = this.marks.apply(m, this.vm.host);
    loadAll(this.vm.components(), m.state);
    invalidateCode(this.vm.host, pages);
    invalidateCode(this.vm.host, own);
    loadTlbs(this.vm.vmm, m.tlbs);
    this.inputs.cursor = m.inputIndex;
    this.clean = true;
  }

  /** Bring the VM to the clean state at `n` (clamped to history). */
  private seek(n: number): StopEvent | null {
    const now = this.vm.icount();
    const c = this.store.atOrBefore(n) ?? this.store.first!;
    // A replay mark later than the checkpoint (never one at the same icount: a checkpoint there may
    // hold a debugger write) shortens the replay.
    const mk = this.marks.atOrBefore(n);
    const m = mk && mk.icount > c.icount ? mk : undefined;
    const from = m ? m.icount : c.icount;
    // Forward within the current checkpoint interval from a clean state: no restore needed.
    if (!(this.clean && !this.vm.ended() && now <= n && from <= now)) {
      if (m) this.restoreMark(m); else this.restore(c);
    }
    return this.replayTo(n, this.marks.points(this.vm.icount(), n));
  }

  /** Go to instruction count `n` of history. */
  gotoIcount(n: number, vcpu = 0): TravelResult {
    const target = Math.max(this.start, Math.min(this.frontier, Math.floor(n)));
    const s = this.seek(target);
    const message = target !== n ? `instruction count ${n} is outside recorded history (${this.start}..${this.frontier}); went to ${target}` : undefined;
    return { stop: s ?? { kind: 'step', vcpu }, message };
  }

  /**
   * Look at instruction count `n` of history and come back: run `fn` there, then restore the current
   * state exactly (memory, every component, the position in the input and exit logs, the dirty-page
   * tracking), even mid-instruction. Compare-two-moments uses it; the recorded future is untouched.
   */
  peek<T>(n: number, fn: () => T): T {
    const host = this.vm.host;
    const mem = host.i32.slice();
    const state = saveAll(this.vm.components());
    const base = this.store.base, dirty = host.dirty.slice(), cursor = this.inputs.cursor, clean = this.clean;
    const book = this.vm.runBookkeeping?.();
    const tlbs = saveTlbs(this.vm.vmm);
    try {
      this.seek(Math.max(this.start, Math.min(this.frontier, Math.floor(n))));
      return fn();
    } finally {
      host.i32.set(mem);
      loadAll(this.vm.components(), state);
      const code: number[] = [];
      for (let p = 0; p < host.codePages.length; p++) if (host.codePages[p]) code.push(p);
      invalidateCode(host, code);
      loadTlbs(this.vm.vmm, tlbs);
      this.store.base = base;
      host.dirty.set(dirty);
      this.inputs.cursor = cursor;
      this.clean = clean;
      this.vm.setRunBookkeeping?.(book);
    }
  }

  /** One instruction back (or back to the start of the instruction the VM stopped in). */
  stepBack(vcpu = 0): TravelResult {
    const now = this.vm.icount();
    const mid = !this.clean || this.vm.ended();
    if (!mid && now <= this.start) {
      return { stop: { kind: 'entry', vcpu }, message: 'at the start of recorded history: nothing to step back to' };
    }
    const s = this.seek(mid ? now : now - 1);
    return { stop: s ?? { kind: 'step', vcpu } };
  }

  /** Search backwards for the last breakpoint / exit-filter hit before now. Runs to completion. */
  reverseContinue(vcpu = 0): TravelResult {
    const search = this.reverseSearch(vcpu);
    while (!search.step()) { /* one checkpoint interval per step */ }
    return search.result!;
  }

  /** The same search, one checkpoint interval per `step()`, so a caller can report progress and cancel. */
  reverseSearch(vcpu = 0, opts: ReverseSearchOptions = {}): ReverseSearch {
    return new ReverseSearch(this, vcpu, this.vm.icount(), !this.clean || this.vm.ended(), opts);
  }

  /** @internal Arm (or with [] disarm) extra instruction breakpoints of a search on every vCPU. */
  armTemporary(add: readonly number[], remove: readonly number[]): void {
    for (const v of this.vm.vmm.vcpus) {
      for (const a of remove) v.cpu.breakpoints.delete(a >>> 0);
      for (const a of add) v.cpu.breakpoints.add(a >>> 0);
    }
  }
  /** @internal The instruction breakpoints armed now (vCPU 0's set: all vCPUs share one list). */
  armed(): Set<number> { return this.vm.vmm.vcpus[0].cpu.breakpoints; }

  /**
   * @internal Run one interval [c.icount, end) with stops on; the last hit `accept` takes (none
   * given: every hit). `accept` runs at the hit, so it can look at the machine (a condition, a frame).
   */
  scanInterval(c: Checkpoint, end: number, accept?: (s: StopEvent) => boolean, onHit?: (h: Hit) => void): Hit | null {
    const scan = this.scanBegin(c, end);
    while (!this.scanSome(scan, Infinity, accept, onHit)) { /* to the end of the interval */ }
    return scan.last;
  }

  /** @internal Start a scan of [c.icount, end) that runs in slices (`scanSome`), so a search can report progress and be paused. */
  scanBegin(c: Checkpoint, end: number): IntervalScan {
    this.restore(c);
    return { c, end, last: null, resume: false, ordAt: -1, ord: 0, done: false };
  }

  /** @internal Scan up to `budget` more instructions of the interval. Returns true when it is done. */
  scanSome(scan: IntervalScan, budget: number, accept?: (s: StopEvent) => boolean, onHit?: (h: Hit) => void): boolean {
    const end = scan.end, stopAt = Math.min(end, this.vm.icount() + budget);
    for (;;) {
      this.sync();
      const now = this.vm.icount();
      if (now >= end) break;
      if (now >= stopAt) return false;
      const s = this.vm.runChunk(Math.min(this.chunkEnd(end), stopAt) - now, scan.resume);
      this.afterMove(s);
      if (!s) { scan.resume = false; continue; }
      const at = this.vm.icount();
      if (s.kind === 'breakpoint' || s.kind === 'vmexit' || s.kind === 'exception' || s.kind === 'instruction') {
        // A data breakpoint reports after the writing instruction retired: one at `end` was written
        // by the instruction before now. Anything else at `end` is now itself.
        if (at > end || (at === end && !(s.kind === 'breakpoint' && s.watch))) break;
        // Several exits can stop at one icount (an exit, then the next in the same instruction):
        // landOn finds the right one by its ordinal among the exit stops at that icount.
        const isExit = s.kind !== 'breakpoint' && s.kind !== 'instruction';
        if (at !== scan.ordAt) { scan.ordAt = at; scan.ord = 0; }
        const exitOrdinal = isExit ? scan.ord++ : 0;
        if (!accept || accept(s)) { scan.last = { icount: at, stop: s, exitOrdinal }; onHit?.(scan.last); }
        scan.resume = true;
        continue;
      }
      break; // the VM ended (shutdown, exit device) or failed: nothing after it in this interval
    }
    scan.done = true;
    return true;
  }

  /** @internal Land on a hit found by scanInterval. */
  landOn(c: Checkpoint, hit: Hit): TravelResult {
    this.restore(c);
    if (hit.stop.kind === 'breakpoint' && hit.stop.watch) {
      // A data breakpoint stops after the instruction that wrote: going back, land on that
      // instruction itself ("who wrote this"), before it runs, as gdb does in reverse.
      const w = hit.stop.watch;
      this.replayTo(hit.icount - 1);
      const v = this.vm.vmm.vcpus[hit.stop.vcpu] ?? this.vm.vmm.vcpus[0];
      const pc = (v.inGuest ? v.cpu.segBase[1] + v.cpu.eip : hit.stop.address) >>> 0;
      const what = w.write ? 'write' : 'access';
      return {
        stop: { kind: 'breakpoint', vcpu: hit.stop.vcpu, address: pc, watch: w },
        message: `data breakpoint: the last ${what} (${w.size} byte${w.size === 1 ? '' : 's'} at 0x${w.linear.toString(16).padStart(8, '0')}) before that moment is by the instruction here, at instruction count ${hit.icount - 1}; step over it to see the new value`,
      };
    }
    // Marks near the hit on the way, as a reverse step takes them: the next step back from it is short.
    this.replayTo(hit.icount, this.marks.points(this.vm.icount(), hit.icount));
    if (hit.stop.kind === 'breakpoint') return { stop: hit.stop };
    let ord = 0;
    for (let k = 0; k < 8; k++) {
      const s = this.vm.runChunk(1, true);
      this.afterMove(s);
      if (!s || this.vm.icount() !== hit.icount) break;
      if (s.kind !== 'breakpoint' && ord++ === hit.exitOrdinal) return { stop: s };
    }
    // Should not happen (replay is deterministic); land before the instruction instead.
    this.seek(hit.icount);
    return { stop: { kind: 'step', vcpu: hit.stop.vcpu } };
  }

  /**
   * Input or a write while in the past changes history: discard the recorded future (checkpoints,
   * input and exits after now) and continue from here as the new end of history.
   */
  fork(what: string): string | undefined {
    const now = this.vm.icount();
    if (now >= this.frontier) return undefined;
    const from = this.frontier;
    // Memory must be relative to a checkpoint at or before now (it is: replay follows checkpoints).
    const dropped = this.store.dropAfter(now);
    this.marks.dropFrom(now);
    this.inputs.truncateFuture();
    this.vm.vmm.exitLog.truncateFuture();
    this.frontier = now;
    this.lastFork = `${what} at instruction ${now} changed the past: the recorded future (instructions ${now + 1}..${from}, ${dropped} checkpoint(s)) was discarded; history now ends here`;
    return this.lastFork;
  }

  /**
   * After a debugger write (memory, registers) at the end of history: a checkpoint holds it, so
   * replay through this moment sees the write (invariant 1: outside changes are part of history).
   */
  outsideChange(): void {
    this.checkpoint(true);
    this.clean = false;
  }

  /** An outside input (serial bytes) at the current moment; forks when in the past. */
  input(port: number, bytes: Uint8Array): string | undefined {
    const msg = this.fork('serial input');
    this.inputs.record(this.vm.icount(), port, bytes);
    this.vm.deliverInput(port, bytes);
    return msg;
  }

  get searching(): boolean { return this.reverseSearchActive; }
  set searching(v: boolean) { this.reverseSearchActive = v; }
}

export interface ReverseSearchOptions {
  /** Extra instruction breakpoints for the search (a reverse line step's line starts). */
  addresses?: readonly number[];
  /** Which hits count (run at the hit): breakpoint conditions, a line step's frame test. */
  accept?: (s: StopEvent) => boolean;
  /** What the search is, for messages ("reverse continue", "reverse step"). */
  what?: string;
  /**
   * Hits that count only as the start of a new instance of something (a reverse line step: a source
   * line entered from another line, or again by a jump back within it, i.e. the next iteration of a
   * one-line loop). `member` says which accepted hits form the sequence; the others (user breakpoints,
   * exits, data breakpoints) count as they are. A member counts when `startsInstance(previous member
   * hit, it)` holds, or when no member precedes it in history.
   */
  sequence?: {
    member(s: StopEvent): boolean;
    startsInstance(prev: Hit, cur: Hit): boolean;
  };
}

/** The first sequence member of a later interval, waiting for the member before it (in an earlier interval). */
interface Pending { c: Checkpoint; hit: Hit; fallback: Hit | undefined; }

/** A sequence search's findings in the interval being scanned (see ReverseSearch.step). */
interface SequenceState { best?: Hit; bestAfterFirst: boolean; first?: Hit; bestBeforeFirst?: Hit; prev?: Hit; }

/** Reverse continue, one checkpoint interval at a time (latest first), each in slices of SEARCH_SLICE instructions. */
export class ReverseSearch {
  result: TravelResult | undefined;
  /** Instructions of history searched so far, and in all (for progress reports). */
  searched = 0;
  readonly total: number;
  private k: number;
  private end: number;
  private readonly temporary: number[];
  private readonly what: string;
  private pending: Pending | undefined;
  /** The interval being scanned, in slices of SEARCH_SLICE instructions. */
  private cur: { c: Checkpoint; scan: IntervalScan; st: SequenceState; onHit?: (h: Hit) => void } | undefined;
  /** Instructions of the intervals searched completely. */
  private searchedDone = 0;

  constructor(private readonly tl: Timeline, private readonly vcpu: number, from: number, mid: boolean, private readonly opts: ReverseSearchOptions = {}) {
    // From a mid-instruction state (stopped at an exit), hits before that instruction count.
    this.end = from;
    const list = tl.store.list;
    const c = tl.store.atOrBefore(mid ? from : from - 1);
    this.k = c ? list.indexOf(c) : -1;
    this.total = Math.max(0, from - tl.start);
    if (from <= tl.start && !mid) this.k = -1;
    this.what = opts.what ?? 'reverse continue';
    const armed = tl.armed();
    this.temporary = (opts.addresses ?? []).filter((a) => !armed.has(a >>> 0));
    tl.armTemporary(this.temporary, []);
    tl.searching = true;
  }

  private done(r: TravelResult): true {
    this.result = r;
    this.tl.armTemporary([], this.temporary);
    this.tl.searching = false;
    return true;
  }

  /** Search one more interval. Returns true when done (see `result`). */
  step(): boolean {
    if (this.result) return true;
    const tl = this.tl;
    const list = tl.store.list;
    if (!this.cur) {
      if (this.k < 0 && this.pending) {
        // Nothing before the first member in history: it starts an instance.
        const p = this.pending;
        this.pending = undefined;
        return this.done(tl.landOn(p.c, p.hit));
      }
      if (this.k < 0) {
        tl.gotoIcount(tl.start, this.vcpu);
        return this.done({ stop: { kind: 'entry', vcpu: this.vcpu }, message: `${this.what} reached the start of recorded history` });
      }
      const c = list[this.k];
      const seq = this.opts.sequence;
      // With a sequence: the latest hit that counts (`best`), whether it came after the interval's
      // first member, and that first member (it counts or not by the member before it).
      const st: SequenceState = { bestAfterFirst: false };
      const onHit = seq ? (h: Hit): void => {
        if (!seq.member(h.stop)) { st.best = h; st.bestAfterFirst = st.first !== undefined; return; }
        if (!st.first) { st.first = h; st.bestBeforeFirst = st.best; }
        else if (seq.startsInstance(st.prev!, h)) { st.best = h; st.bestAfterFirst = true; }
        st.prev = h;
      } : undefined;
      this.cur = { c, scan: tl.scanBegin(c, this.end), st, onHit };
    }
    const { c, scan, st, onHit } = this.cur;
    let finished: boolean;
    try {
      finished = tl.scanSome(scan, SEARCH_SLICE, this.opts.accept, onHit);
    } catch (e) {
      this.done({ stop: { kind: 'error', vcpu: this.vcpu, text: `internal error during ${this.what}: ${e instanceof Error ? e.message : String(e)}` } });
      throw e;
    }
    if (!finished) {
      this.searched = this.searchedDone + Math.max(0, tl.now - c.icount);
      return false;
    }
    this.cur = undefined;
    this.searchedDone += this.end - c.icount;
    this.searched = this.searchedDone;
    const hit = scan.last;
    const seq = this.opts.sequence;
    if (seq) {
      const p = this.pending;
      this.pending = undefined;
      // The later interval's first member: decided by the last member of this one. No member in a
      // whole interval before it: it was entered from elsewhere.
      if (p && (!st.prev || seq.startsInstance(st.prev, p.hit))) return this.done(tl.landOn(p.c, p.hit));
      if (p?.fallback) return this.done(tl.landOn(p.c, p.fallback));
      if (st.best && (st.bestAfterFirst || !st.first)) return this.done(tl.landOn(c, st.best));
      if (st.first) this.pending = { c, hit: st.first, fallback: st.bestBeforeFirst };
    } else if (hit) return this.done(tl.landOn(c, hit));
    this.end = c.icount;
    this.k--;
    return false;
  }

  /** Stop searching: the VM stays at the start of the last interval searched. */
  cancel(): TravelResult {
    if (!this.result) {
      if (this.searched > 0) this.tl.gotoIcount(this.end, this.vcpu);
      this.done({ stop: { kind: 'pause', vcpu: this.vcpu }, message: `${this.what} paused at instruction ${this.end}` });
    }
    return this.result!;
  }
}
