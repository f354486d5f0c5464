// While the guest runs: a `vmm/stats` custom event about twice a second (instruction count, exit
// rate; the extension's status bar shows it), and for runs that last more than a moment DAP
// progress events (progressStart / progressUpdate / progressEnd, cancellable: cancelling pauses).
import { performance } from 'node:perf_hooks';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';

const STATS_MS = 500;
const PROGRESS_AFTER_MS = 1000;

export interface VmmStatsEvent {
  running: boolean;
  icount: number;
  exits: number;
  /** Over the last interval (0 when stopped). */
  instructionsPerSecond: number;
  exitsPerSecond: number;
}

export class RunProgress {
  private t0 = 0;
  private last = 0;
  private lastIcount = 0;
  private lastExits = 0;
  private progressId: string | undefined;
  private seq = 0;
  private running = false;

  constructor(
    private readonly vm: () => Vm | undefined,
    private readonly send: (e: DebugProtocol.Event) => void,
    private readonly clientSupportsProgress: () => boolean,
  ) {}

  started(): void {
    const vm = this.vm();
    if (!vm || this.running) return; // already running (a logpoint or false condition resumed it)
    this.running = true;
    this.t0 = this.last = performance.now();
    this.lastIcount = vm.icount;
    this.lastExits = exits(vm);
  }

  /** After every run slice (cheap unless an interval has passed). */
  slice(): void {
    if (!this.running) return;
    const now = performance.now();
    if (now - this.last < STATS_MS) return;
    const vm = this.vm();
    if (!vm) return;
    const icount = vm.icount, ex = exits(vm);
    const dt = (now - this.last) / 1000;
    const body: VmmStatsEvent = {
      running: true, icount, exits: ex,
      instructionsPerSecond: Math.round((icount - this.lastIcount) / dt), exitsPerSecond: Math.round((ex - this.lastExits) / dt),
    };
    this.last = now; this.lastIcount = icount; this.lastExits = ex;
    this.event('vmm/stats', body);
    if (!this.clientSupportsProgress() || now - this.t0 < PROGRESS_AFTER_MS) return;
    const message = `${(icount / 1e6).toFixed(1)}M instructions, ${body.exitsPerSecond} exits/s`;
    if (!this.progressId) {
      this.progressId = `vmm-run-${++this.seq}`;
      this.event('progressStart', { progressId: this.progressId, title: 'Running the guest', message, cancellable: true });
    } else this.event('progressUpdate', { progressId: this.progressId, message });
  }

  /** The VM stopped (or the session ends). */
  stopped(): void {
    if (this.running && this.progressId) this.event('progressEnd', { progressId: this.progressId, message: 'stopped' });
    this.running = false;
    this.progressId = undefined;
    // Also after a stop that did not run forward (step back, reverse continue, go to an instruction
    // count): the status bar's instruction count must follow the VM wherever it travelled.
    const vm = this.vm();
    if (vm) this.event('vmm/stats', { running: false, icount: vm.icount, exits: exits(vm), instructionsPerSecond: 0, exitsPerSecond: 0 } satisfies VmmStatsEvent);
  }

  /** A cancel request for our progress: true when it was ours (the session then pauses). */
  cancels(progressId: string | undefined): boolean {
    return progressId !== undefined && progressId === this.progressId;
  }

  private event(name: string, body: unknown): void {
    this.send({ seq: 0, type: 'event', event: name, body } as DebugProtocol.Event);
  }
}

function exits(vm: Vm): number {
  return vm.exitStats().reduce((n, r) => n + r.count, 0);
}
