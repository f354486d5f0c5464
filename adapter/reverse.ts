// Reverse execution over DAP: stepBack, reverseContinue (one checkpoint interval per event-loop
// turn, with progress events, cancelled by pause), goto / gotoTargets for an instruction count.
// The core does the work (src/core/time/timeline.ts); this maps it to requests and events.
import { OutputEvent, ProgressEndEvent, ProgressStartEvent, ProgressUpdateEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { StopEvent } from '../src/core/debug/debugApi';
import type { ReverseSearch, ReverseSearchOptions, TravelResult } from '../src/core/time/timeline';
import type { SymbolTable } from './symbols';
import { LineStepper } from './lineStepping';
import { reverseLinePlan, type ReverseLineKind } from './reverseLines';

export interface ReverseHost {
  /** The VM, stopped (throws a user error when there is none or it runs). */
  stoppedVm(): Vm;
  vcpuOfThread(threadId: number): number;
  /** Report a stop (the session's stopped event); `note` becomes the stop's text. */
  stopped(ev: StopEvent, note?: string): void;
  sendEvent(e: DebugProtocol.Event): void;
  /** For reverse line steps: the image's symbols (frame unwinding). */
  symbols?(): SymbolTable;
  /** A stop the user asked for (a user instruction / source / function breakpoint at that address). */
  isUserStop?(s: StopEvent): boolean;
  /** Whether a user stop found going back counts (its condition holds; a logpoint never stops). */
  acceptStop?(s: StopEvent): boolean;
}

/** goto targets are instruction counts; their ids are icount + 1 (0 is not a valid id for some clients). */
export function gotoTargetId(icount: number): number { return icount + 1; }

export class ReverseController {
  private search: ReverseSearch | undefined;
  private timer: NodeJS.Immediate | undefined;
  private nextProgress = 1;
  private pauseRequested = false;

  constructor(private readonly host: ReverseHost) {}

  /** A reverse continue is searching history. */
  get busy(): boolean { return this.search !== undefined; }

  private timeline(vm: Vm): NonNullable<Vm['timeline']> {
    if (!vm.timeline) throw new Error('reverse execution needs recording, which is off in this session');
    return vm.timeline;
  }

  private report(r: TravelResult): void {
    if (r.message) this.host.sendEvent(new OutputEvent(`${r.message}\n`, 'console'));
    this.host.stopped(r.stop, r.message);
  }

  /** Step back one instruction, or one source line (reverse step over) when the granularity and line tables say so. */
  stepBack(threadId: number, granularity?: string): () => void {
    const vm = this.host.stoppedVm();
    if (this.busy) throw new Error('a reverse continue is searching history');
    const vcpu = this.host.vcpuOfThread(threadId);
    const tl = this.timeline(vm);
    // Stopped inside an instruction (a VM exit, a fault that ended the VM): back to its start first,
    // whatever the granularity (the instruction that caused it).
    if (tl.clean && LineStepper.bySourceLine(vm, granularity)) return this.reverseStep(threadId, 'over');
    return () => this.report(vm.stepBack(vcpu));
  }

  /** Reverse step over / into / out by source line (custom requests vmm/reverseStepIn, vmm/reverseStepOut). */
  reverseStep(threadId: number, kind: ReverseLineKind): () => void {
    const vm = this.host.stoppedVm();
    if (this.busy) throw new Error('a reverse continue is searching history');
    const vcpu = this.host.vcpuOfThread(threadId);
    this.timeline(vm);
    if (!vm.debugInfo.hasLines) throw new Error('reverse step by source line needs line tables (DWARF): this image has none; step back by instruction');
    const symbols = this.host.symbols?.();
    if (!symbols) throw new Error('reverse step by source line is not available here');
    const opts = reverseLinePlan(vm, vcpu, kind, symbols, (s) => this.host.isUserStop?.(s) ?? false, (s) => this.host.acceptStop?.(s) ?? true);
    // A statement start reached is a step, not a breakpoint (unless the user has one there).
    const asStep = (s: StopEvent): StopEvent => (s.kind === 'breakpoint' && !s.watch && !(this.host.isUserStop?.(s) ?? false) ? { kind: 'step', vcpu: s.vcpu } : s);
    return this.searchBack(vm, vcpu, opts, kind === 'out' ? 'Reverse step out' : 'Reverse step', asStep);
  }

  reverseContinue(threadId: number): () => void {
    const vm = this.host.stoppedVm();
    if (this.busy) throw new Error('a reverse continue is already searching history');
    const vcpu = this.host.vcpuOfThread(threadId);
    this.timeline(vm);
    return this.searchBack(vm, vcpu, { accept: (s) => this.host.acceptStop?.(s) ?? true }, 'Reverse continue');
  }

  /** Run a reverse search one checkpoint interval per event-loop turn, with progress events; pause cancels it. */
  private searchBack(vm: Vm, vcpu: number, opts: ReverseSearchOptions, title: string, mapStop: (s: StopEvent) => StopEvent = (s) => s): () => void {
    return () => {
      const search = vm.reverseSearch(vcpu, opts);
      this.search = search;
      this.pauseRequested = false;
      const progressId = `reverse-${this.nextProgress++}`;
      let progressShown = false;
      const tick = (): void => {
        this.timer = undefined;
        let done: boolean;
        try {
          done = this.pauseRequested ? (search.cancel(), true) : search.step();
        } catch (e) {
          done = true;
          search.result = { stop: { kind: 'error', vcpu, text: `internal error during ${title.toLowerCase()}: ${e instanceof Error ? e.message : String(e)}` } };
        }
        if (!done) {
          const pct = search.total ? Math.min(99, Math.floor((100 * search.searched) / search.total)) : 0;
          const msg = `${search.searched.toLocaleString('en-US')} of ${search.total.toLocaleString('en-US')} instructions of history searched`;
          if (!progressShown) { this.host.sendEvent(new ProgressStartEvent(progressId, title, msg) as DebugProtocol.Event); progressShown = true; }
          else {
            const ev = new ProgressUpdateEvent(progressId, msg) as DebugProtocol.ProgressUpdateEvent;
            ev.body.percentage = pct;
            this.host.sendEvent(ev);
          }
          this.timer = setImmediate(tick);
          return;
        }
        if (progressShown) this.host.sendEvent(new ProgressEndEvent(progressId) as DebugProtocol.Event);
        this.search = undefined;
        this.report({ ...search.result!, stop: mapStop(search.result!.stop) });
      };
      this.timer = setImmediate(tick);
    };
  }

  /** Pause: a running reverse continue stops at the interval it reached. Returns true if one was running. */
  pause(): boolean {
    if (!this.search) return false;
    this.pauseRequested = true;
    return true;
  }

  dispose(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    this.search = undefined;
  }

  /** Targets for an instruction count: `line` is read as the count ("go to instruction count N"). */
  gotoTargets(args: DebugProtocol.GotoTargetsArguments): DebugProtocol.GotoTarget[] {
    const vm = this.host.stoppedVm();
    const tl = this.timeline(vm);
    const n = args.line;
    if (!Number.isInteger(n) || n < tl.start || n > tl.frontier) return [];
    return [{ id: gotoTargetId(n), label: `instruction count ${n}`, line: n, instructionPointerReference: undefined }];
  }

  /** Travel to instruction count `n` (custom request vmm/gotoIcount, the timeline view's clicks). */
  gotoIcount(n: number, threadId: number): () => void {
    const vm = this.host.stoppedVm();
    if (this.busy) throw new Error('a reverse continue is searching history');
    this.timeline(vm);
    if (!Number.isInteger(n) || n < 0) throw new Error(`go to instruction count: ${n} is not an instruction count`);
    const vcpu = this.host.vcpuOfThread(threadId);
    return () => {
      const r = vm.gotoIcount(n, vcpu);
      this.report({ stop: r.stop.kind === 'step' ? { kind: 'step', vcpu } : r.stop, message: r.message ?? `at instruction count ${vm.icount}` });
    };
  }

  goto(args: DebugProtocol.GotoArguments): () => void {
    const vm = this.host.stoppedVm();
    if (this.busy) throw new Error('a reverse continue is searching history');
    const tl = this.timeline(vm);
    const n = args.targetId - 1;
    if (!Number.isInteger(n) || n < tl.start || n > tl.frontier) throw new Error(`goto: no instruction count ${n} in recorded history (${tl.start}..${tl.frontier})`);
    const vcpu = this.host.vcpuOfThread(args.threadId);
    return () => {
      const r = vm.gotoIcount(n, vcpu);
      this.report({ stop: r.stop.kind === 'step' ? { kind: 'step', vcpu } : r.stop, message: r.message ?? `at instruction count ${n}` });
    };
  }
}
