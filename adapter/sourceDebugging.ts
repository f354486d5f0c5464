// Source-level debugging for the session: source and function breakpoints, stepping by line, and
// call stacks with source positions, over the image's DWARF (vm.debugInfo). The session forwards
// the requests here and asks for the addresses to arm; this file owns the behaviour.
import * as path from 'node:path';
import { Source, StackFrame } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import type { StopEvent } from '../src/core/debug/debugApi';
import type { Runner } from './runner';
import type { SymbolTable } from './symbols';
import type { StopReport } from './stops';
import { SourceBreakpoints } from './sourceBreakpoints';
import { LineStepper, type LineStepKind } from './lineStepping';
import { guestCallStack } from './callStack';
import { hex8 } from './format';

export interface SourceDebuggingHost {
  vm(): Vm | undefined;
  runner(): Runner | undefined;
  symbols(): SymbolTable;
  /** A fresh DAP breakpoint id (shared with instruction breakpoints). */
  newBreakpointId(): number;
  /** An instruction breakpoint sits at this address. */
  instructionBreakpointAt(address: number): boolean;
  /** Re-arms the VM's breakpoints (they include `addresses()`). */
  applyBreakpoints(): void;
  /** Reports a stop (the session's stopped event). */
  report(ev: StopEvent, note?: string): void;
}

/** vCPUs per frame-id stride: frame ids are 1 + ((depth * 64 + vcpu) * 2 + vmmFrame). */
const VCPU_STRIDE = 64;
export function guestFrameId(vcpu: number, depth: number): number { return 1 + (depth * VCPU_STRIDE + vcpu) * 2; }
export function vcpuOfFrameId(id: number): number { return ((id - 1) >> 1) % VCPU_STRIDE; }

export class SourceDebugging {
  private readonly breakpoints: SourceBreakpoints;
  private readonly stepper: LineStepper;
  private temporary: number[] = [];

  constructor(private readonly host: SourceDebuggingHost) {
    this.breakpoints = new SourceBreakpoints(() => host.newBreakpointId());
    this.stepper = new LineStepper({
      vm: () => this.vm(),
      runner: () => { const r = host.runner(); if (!r) throw new Error('no VM'); return r; },
      symbols: () => host.symbols(),
      isUserBreakpoint: (a) => host.instructionBreakpointAt(a) || this.breakpoints.hitAt(a) !== undefined,
      setTemporary: (a) => { this.temporary = a; host.applyBreakpoints(); },
      report: (ev, note) => host.report(ev, note),
    });
  }

  private vm(): Vm {
    const vm = this.host.vm();
    if (!vm) throw new Error('no VM: the launch request has not succeeded');
    return vm;
  }

  get busy(): boolean { return this.stepper.busy; }

  setBreakpoints(args: DebugProtocol.SetBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const r = this.breakpoints.setSource(args, this.host.vm()?.debugInfo);
    this.host.applyBreakpoints();
    return r;
  }

  setFunctionBreakpoints(args: DebugProtocol.SetFunctionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const r = this.breakpoints.setFunctions(args, this.host.vm()?.debugInfo, this.host.symbols());
    this.host.applyBreakpoints();
    return r;
  }

  /** Addresses to arm besides the instruction breakpoints: source, function and stepping ones. */
  addresses(): number[] { return [...this.breakpoints.addresses(), ...this.temporary]; }

  /** A stop at a source or function breakpoint reads "breakpoint" and names its ids. */
  describeBreakpoint(report: StopReport, ev: StopEvent): StopReport {
    if (ev.kind !== 'breakpoint') return report;
    const hit = this.breakpoints.hitAt(ev.address);
    if (!hit) return report;
    const ids = [...(report.hitBreakpointIds ?? []), ...hit.ids];
    const instruction = this.host.instructionBreakpointAt(ev.address);
    return {
      ...report,
      reason: instruction ? report.reason : 'breakpoint',
      description: instruction ? report.description : `Breakpoint at ${hit.label}`,
      hitBreakpointIds: ids,
    };
  }

  /** Starts a line step (or a step out at any granularity). */
  step(kind: LineStepKind, vcpu: number): void { this.stepper.start(kind, vcpu); }

  /** Whether a next / stepIn with this granularity goes by source line. */
  stepsByLine(granularity: DebugProtocol.SteppingGranularity | undefined): boolean {
    const vm = this.host.vm();
    return !!vm && LineStepper.bySourceLine(vm, granularity);
  }

  /** First look at every runner stop: true when it belongs to a step under way. */
  intercept(ev: StopEvent): boolean { return this.stepper.intercept(ev); }

  /** Pause during a line step; true when one was under way. */
  pause(): boolean { return this.stepper.pause(); }

  dispose(): void { this.stepper.cancel(); }

  /** The guest frames of `vcpu`, innermost first, with source positions where there are lines. */
  stackFrames(vcpu: number): DebugProtocol.StackFrame[] {
    const vm = this.vm();
    return guestCallStack(vm, vcpu, vm.debugInfo, this.host.symbols()).map((f, depth) => {
      const sf: DebugProtocol.StackFrame = new StackFrame(guestFrameId(vcpu, depth), f.name);
      sf.instructionPointerReference = hex8(f.pc);
      if (f.location) {
        sf.source = new Source(path.basename(f.location.path), f.location.path);
        sf.line = f.location.line;
        sf.column = Math.max(1, f.location.column);
      }
      return sf;
    });
  }
}
