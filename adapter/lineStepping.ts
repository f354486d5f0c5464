// Stepping by source line (DAP next / stepIn / stepOut with granularity 'statement' or 'line'),
// as gdb does it: single-step while the pc stays in the line it started on; a call is stepped over
// by running to its return address (a temporary breakpoint, checked against the stack pointer so
// a recursive call returning first does not count); step in stops at the first line of the callee,
// past its prologue; step out runs to the return address of the current frame. Long runs go
// through the Runner (in slices, pausable); single steps run in bounded batches between turns of
// the event loop. Any other stop on the way (a breakpoint, a VM exit filter, the guest ending)
// ends the step and is reported as it is.
import type { Vm } from '../src/core/machine/vm';
import type { StopEvent } from '../src/core/debug/debugApi';
import type { SourceLocation } from '../src/core/debugInfo/debugInfo';
import type { Runner } from './runner';
import type { SymbolTable } from './symbols';
import { innermostReturn } from './callStack';

export type LineStepKind = 'over' | 'in' | 'out';

export interface LineStepHost {
  vm(): Vm;
  runner(): Runner;
  symbols(): SymbolTable;
  /** A user breakpoint (instruction, source or function) sits at this address. */
  isUserBreakpoint(address: number): boolean;
  /** Adds (or, with [], removes) the stepper's temporary breakpoints. */
  setTemporary(addresses: number[]): void;
  /** Reports the stop that ends the step (the session's stopped event). */
  report(ev: StopEvent, note?: string): void;
}

/** Single steps per event-loop turn. */
const BATCH = 5_000;
/** A line step that single-steps this many instructions without reaching a new line gives up. */
const MAX_SINGLE_STEPS = 2_000_000;

interface Plan {
  kind: LineStepKind;
  vcpu: number;
  start: SourceLocation | undefined;
  steps: number;
  /** Running to a return address: the breakpoint and the stack pointer the return restores. */
  waiting?: { address: number; cfa: number };
  /** Step in entered a compiled function: stop at its first line past the prologue. */
  until?: number;
  untilRange?: [number, number];
  /** Back from a call at its return address: that may already be the start of another line. */
  returned?: boolean;
  timer?: NodeJS.Immediate;
}

export class LineStepper {
  private plan: Plan | undefined;

  constructor(private readonly host: LineStepHost) {}

  /** A line step is under way (between batches or while running to a return address). */
  get busy(): boolean { return this.plan !== undefined; }

  /** Whether a step request with this granularity steps by source line here. */
  static bySourceLine(vm: Vm, granularity: string | undefined): boolean {
    return granularity !== 'instruction' && vm.debugInfo.hasLines;
  }

  start(kind: LineStepKind, vcpu: number): void {
    this.cancel();
    const vm = this.host.vm();
    const plan: Plan = { kind, vcpu, start: vm.debugInfo.lineAt(vm.pc(vcpu)), steps: 0 };
    this.plan = plan;
    if (kind === 'out') {
      const r = innermostReturn(vm, vcpu, vm.debugInfo, this.host.symbols());
      if (!r) return this.finish(this.host.runner().step(vcpu), 'no return address found for this frame: stepped one instruction');
      const { csBase } = vm.stackRegs(vcpu);
      this.runTo((csBase + r.returnAddress) >>> 0, r.slot + 4);
      return;
    }
    this.drive();
  }

  /** Pause: the step ends where it is. Returns true when a step was under way. */
  pause(): boolean {
    const p = this.plan;
    if (!p) return false;
    if (p.waiting) { this.host.runner().pause(); return true; } // the runner reports the pause
    this.finish({ kind: 'pause', vcpu: p.vcpu });
    return true;
  }

  /** Drops the step without reporting (terminate, a new request). */
  cancel(): void {
    const p = this.plan;
    if (!p) return;
    if (p.timer) clearImmediate(p.timer);
    this.plan = undefined;
    if (p.waiting) this.host.setTemporary([]);
  }

  /**
   * Called first thing for every stop the runner reports. Returns true when the stop belongs to the
   * step (it reached its return address and goes on); false lets the session report it.
   */
  intercept(ev: StopEvent): boolean {
    const p = this.plan;
    if (!p || !p.waiting) return false;
    const w = p.waiting;
    if (ev.kind === 'breakpoint' && ev.address === w.address && !this.host.isUserBreakpoint(ev.address)) {
      const vm = this.host.vm();
      const { esp, ssBase } = vm.stackRegs(p.vcpu);
      if (((ssBase + esp) >>> 0) < w.cfa) {
        this.host.runner().continue(); // a deeper (recursive) activation returned here: not ours
        return true;
      }
      p.waiting = undefined;
      this.host.setTemporary([]);
      if (p.kind === 'out') { this.finish({ kind: 'step', vcpu: p.vcpu }); return true; }
      // Back after the call: stop if that is the start of another line, else go on stepping.
      p.returned = true;
      this.schedule();
      return true;
    }
    // Anything else (a user breakpoint, an exit, pause, the end) ends the step as it is.
    this.plan = undefined;
    this.host.setTemporary([]);
    return false;
  }

  private runTo(address: number, cfa: number): void {
    const p = this.plan!;
    p.waiting = { address, cfa };
    this.host.setTemporary([address]);
    this.host.runner().continue();
  }

  private schedule(): void {
    const p = this.plan;
    if (p) p.timer = setImmediate(() => { p.timer = undefined; if (this.plan === p) this.drive(); });
  }

  private finish(ev: StopEvent, note?: string): void {
    this.cancel();
    this.host.report(ev, note);
  }

  /** Single-steps up to BATCH instructions, then yields; ends, runs to a return address, or reschedules. */
  private drive(): void {
    const p = this.plan!;
    const vm = this.host.vm();
    const info = vm.debugInfo;
    const runner = this.host.runner();
    if (p.returned) {
      p.returned = false;
      if (p.start && this.newLine(vm.pc(p.vcpu), p.start)) return this.finish({ kind: 'step', vcpu: p.vcpu });
    }
    for (let k = 0; k < BATCH; k++) {
      const pc = vm.pc(p.vcpu);
      const call = p.kind === 'over' ? callAt(vm, p.vcpu, pc) : undefined;
      if (call) {
        const { esp, ssBase } = vm.stackRegs(p.vcpu);
        return this.runTo((pc + call) >>> 0, (ssBase + esp) >>> 0);
      }
      const inCall = p.kind === 'in' ? callAt(vm, p.vcpu, pc) : undefined;
      const before = inCall ? vm.stackRegs(p.vcpu) : undefined;
      const ev = runner.step(p.vcpu);
      p.steps++;
      if (ev.kind !== 'step') return this.finish(ev);
      const now = vm.pc(p.vcpu);
      if (!p.start) return this.finish(ev); // no line information where we started: one instruction
      if (this.host.isUserBreakpoint(now)) return this.finish({ kind: 'breakpoint', vcpu: p.vcpu, address: now });
      if (inCall && before) {
        // Step in went through a call: into code with lines, stop at its first line (past the
        // prologue of compiled code); into code without, run back out to the return address.
        const fn = info.functionAt(now);
        if (!info.lineAt(now)) return this.runTo((pc + inCall) >>> 0, (before.ssBase + before.esp) >>> 0);
        if (fn && now === fn.low) {
          const target = info.afterPrologue(fn);
          if (target === now) return this.finish(ev);
          p.until = target;
          p.untilRange = [fn.low, fn.high];
          continue;
        }
        return this.finish(ev);
      }
      if (p.until !== undefined) {
        if (now === p.until) return this.finish(ev);
        if (p.untilRange && now >= p.untilRange[0] && now < p.untilRange[1]) continue;
        p.until = undefined; // left the function before its body: decide by lines below
      }
      if (this.newLine(now, p.start) || this.againInLine(pc, now, p.start)) return this.finish(ev);
      if (p.steps >= MAX_SINGLE_STEPS) {
        return this.finish({ kind: 'pause', vcpu: p.vcpu }, `the step did not reach another source line within ${MAX_SINGLE_STEPS} instructions; stopped here`);
      }
    }
    this.schedule();
  }

  /**
   * True when a jump back within the line reached one of its statement starts: the next iteration of
   * a one-line loop is a new instance of the line, where a step stops (and a reverse step too,
   * reverseLines.ts). The same pc again (a REP iteration, a jump to itself) is not.
   */
  private againInLine(from: number, pc: number, start: SourceLocation): boolean {
    if (pc >= from) return false;
    const loc = this.host.vm().debugInfo.lineAt(pc);
    return !!loc && loc.address === pc && loc.isStmt && loc.line === start.line && loc.path === start.path;
  }

  /** True at the start of a statement of another line, or where there is no line information. */
  private newLine(pc: number, start: SourceLocation): boolean {
    const loc = this.host.vm().debugInfo.lineAt(pc);
    if (!loc) return true;
    if (loc.address !== pc || !loc.isStmt) return false;
    return loc.line !== start.line || loc.path !== start.path;
  }
}

/** Length of the call instruction at `pc` (E8 rel32, FF /2), else undefined. */
export function callAt(vm: Vm, vcpu: number, pc: number): number | undefined {
  const b = vm.readMemory(vcpu, 'gva', pc, 2).data;
  if (b.length < 1) return undefined;
  if (b[0] === 0xe8) return 5;
  if (b[0] === 0xff && b.length > 1 && ((b[1] >> 3) & 7) === 2) {
    const d = vm.disassemble(vcpu, pc, 1)[0];
    return d ? d.bytes.trim().split(/\s+/).length : undefined;
  }
  return undefined;
}
