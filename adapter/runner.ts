// Runs the guest in bounded slices. Each slice is `vm.run(budget)` with the budget tuned from host
// wall time so one slice takes about TARGET_SLICE_MS; between slices the loop yields to the event
// loop (setImmediate), so `pause` and other requests are answered while the guest runs at full speed.
// Host time is fine here: the adapter is outside the deterministic core, and the budget only decides
// where slice boundaries fall, never what the guest sees.
import { performance } from 'node:perf_hooks';
import type { Vm } from '../src/core/machine/vm';
import type { StopEvent } from '../src/core/debug/debugApi';

export const TARGET_SLICE_MS = 10;
const INITIAL_BUDGET = 20_000;
const MIN_BUDGET = 1_000;
const MAX_BUDGET = 50_000_000;
/** When a slice retires no instruction (all vCPUs halted), poll at this rate instead of spinning. */
const IDLE_POLL_MS = 10;

export interface RunnerListener {
  /** The VM stopped (breakpoint, exit filter, pause, guest exit, ...). `note` explains adapter-made stops. */
  onStop(ev: StopEvent, note?: string): void;
  /** Called after every slice and step so buffered guest output can be flushed. */
  onSliceEnd(): void;
}

export class Runner {
  private running = false;
  private disposed = false;
  private pauseRequested = false;
  private budget = INITIAL_BUDGET;
  private immediate: NodeJS.Immediate | undefined;
  private timeout: NodeJS.Timeout | undefined;
  /** icount at which to stop (launch.json maxInstructions); cleared once reached. */
  private limit: number | undefined;
  /** icount when the current continue started, to step over a breakpoint at the resume pc. */
  private resumeIcount = -1;
  private firstSlice = false;

  constructor(private readonly vm: Vm, private readonly listener: RunnerListener, maxInstructions?: number) {
    this.limit = maxInstructions;
  }

  get isRunning(): boolean { return this.running; }
  get sliceBudget(): number { return this.budget; }

  /** Start running (no-op when already running). */
  continue(): void {
    if (this.disposed || this.running) return;
    this.running = true;
    this.pauseRequested = false;
    this.resumeIcount = this.safeIcount();
    this.firstSlice = true;
    this.schedule(false);
  }

  /** Ask the running VM to stop at the next slice boundary; it then reports a 'pause' stop. */
  pause(): void {
    if (this.running) this.pauseRequested = true;
  }

  /** One instruction on `vcpu` (the VM must be stopped). Internal errors become an 'error' stop. */
  step(vcpu: number): StopEvent {
    if (this.running) throw new Error('VM is running');
    let ev: StopEvent;
    try {
      ev = this.vm.step(vcpu);
    } catch (e) {
      ev = internalError(vcpu, e);
    }
    this.listener.onSliceEnd();
    return ev;
  }

  /** Stop a run now without a stop event (another front end, gdb, takes the VM over); continue() resumes. */
  halt(): void {
    this.running = false;
    this.pauseRequested = false;
    this.clearTimer();
  }

  /** Stop for good (terminate/disconnect): no further slices, no events. */
  dispose(): void {
    this.disposed = true;
    this.running = false;
    this.clearTimer();
  }

  private readonly tick = (): void => {
    this.immediate = undefined;
    this.timeout = undefined;
    if (this.disposed || !this.running) return;
    if (this.pauseRequested) {
      this.stop({ kind: 'pause', vcpu: 0 });
      return;
    }
    let budget = this.budget;
    if (this.limit !== undefined) {
      const left = this.limit - this.safeIcount();
      if (left <= 0) {
        const limit = this.limit;
        this.limit = undefined;
        this.stop({ kind: 'pause', vcpu: 0 }, `maxInstructions reached (${limit} instructions); continue runs on without a limit`);
        return;
      }
      budget = Math.min(budget, left);
    }
    const before = this.safeIcount();
    const t0 = performance.now();
    let ev: StopEvent | null;
    try {
      ev = this.vm.run(budget);
      if (ev && this.firstSlice && ev.kind === 'breakpoint' && this.safeIcount() === this.resumeIcount) {
        // Resumed on a breakpoint the core did not step over: execute that one instruction, go on.
        const stepped = this.vm.step(ev.vcpu);
        ev = stepped.kind === 'step' ? this.vm.run(budget) : stepped;
      }
    } catch (e) {
      ev = internalError(0, e);
    }
    const elapsed = performance.now() - t0;
    this.firstSlice = false;
    const progressed = this.safeIcount() !== before;
    if (!ev && budget === this.budget) this.adapt(elapsed);
    this.listener.onSliceEnd();
    if (ev) {
      this.stop(ev);
      return;
    }
    this.schedule(!progressed);
  };

  private adapt(elapsedMs: number): void {
    // Aim for TARGET_SLICE_MS per slice; move at most 2x per slice to stay stable under noise.
    const factor = elapsedMs <= 0.01 ? 2 : Math.min(2, Math.max(0.5, TARGET_SLICE_MS / elapsedMs));
    this.budget = Math.round(Math.min(MAX_BUDGET, Math.max(MIN_BUDGET, this.budget * factor)));
  }

  private stop(ev: StopEvent, note?: string): void {
    this.running = false;
    this.pauseRequested = false;
    this.clearTimer();
    this.listener.onStop(ev, note);
  }

  private schedule(idle: boolean): void {
    if (idle) this.timeout = setTimeout(this.tick, IDLE_POLL_MS);
    else this.immediate = setImmediate(this.tick);
  }

  private clearTimer(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.immediate = undefined;
    this.timeout = undefined;
  }

  private safeIcount(): number {
    try { return this.vm.icount; } catch { return -1; }
  }
}

function internalError(vcpu: number, e: unknown): StopEvent {
  const msg = e instanceof Error ? e.message : String(e);
  return { kind: 'error', vcpu, text: `internal error in the VMM: ${msg}` };
}
