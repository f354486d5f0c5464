// The DAP request handlers. Each handler is small and runs inside `guard`, which turns any exception
// into an error response (message only, no stack), so no request can bring the adapter down.
import * as path from 'node:path';
import {
  DebugSession, ExitedEvent, InitializedEvent, OutputEvent, StackFrame, StoppedEvent, TerminatedEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ImageError, Vm, VmOptionError } from '../src/core/machine/vm';
import type { ExitFilterSetting, StopEvent } from '../src/core/debug/debugApi';
import { LaunchConfigError, parseLaunchArguments, readImage, type LaunchConfig, type VmmLaunchArguments } from './launchConfig';
import { loadBootOptions } from './bootLaunch';
import { GuestOutput } from './output';
import { Runner } from './runner';
import { SymbolTable } from './symbols';
import { VariableStore } from './variables';
import { describeStop, threadIdOf, type StopReport } from './stops';
import { disassembleRequest } from './disassembly';
import { parseMemoryReference, readMemory } from './memory';
import { evaluate } from './evaluate';
import { errorMessage, hex8, parseAddress } from './format';
import { ReverseController } from './reverse';
import { SourceDebugging } from './sourceDebugging';
import { Inspector } from './inspectScopes';
import { BreakpointConditions } from './logpoints';
import { DataBreakpoints } from './dataBreakpoints';
import { explainExit } from './exitExplain';
import { writeMemory } from './memoryWrite';
import { customRequest } from './customRequests';
import { RunProgress } from './runProgress';
import { loadSymbolFiles, parseLaunchExtras, type LaunchExtras } from './launchExtras';
import { GdbBridge } from './gdbBridge';
import { ContinuedEvent } from '@vscode/debugadapter';
import { VcpuThreads } from './vcpuThreads';
import { parseTimeTravelArguments } from './timeTravelConfig';
import { TIME_TRAVEL_REQUESTS, timeTravelConsole, timeTravelRequest } from './timeTravelRequests';
import { restoreSnapshotFile, resumedText } from './snapshotFiles';

/** A request that needs something the session does not have (no VM yet, VM running...). */
class RequestError extends Error {
  override name = 'RequestError';
}

/** Errors whose message is meant for the user as is. */
const USER_ERRORS = new Set(['LaunchConfigError', 'ImageError', 'VmOptionError', 'RequestError', 'StaleReferenceError',
  'EvaluateError', 'MemoryReferenceError']);

export class VmmDebugSession extends DebugSession {
  private vm: Vm | undefined;
  private runner: Runner | undefined;
  private config: LaunchConfig | undefined;
  private symbols = new SymbolTable([]);
  private readonly vars = new VariableStore();
  private readonly output = new GuestOutput((text, category) => this.sendEvent(new OutputEvent(text, category)));
  /** Instruction breakpoints: address -> DAP id (ids stay the same while the address stays set). */
  private breakpointIds = new Map<number, number>();
  private nextBreakpointId = 1;
  private filterSettings: ExitFilterSetting[] | undefined;
  /** The current stop, per thread (exceptionInfo, the VMM handler frame). Cleared on resume. */
  private readonly stopReports = new Map<number, StopReport>();
  private lastStop: StopEvent | undefined;
  private finished = false;
  private terminatedSent = false;
  private readonly responded = new Set<number>();
  /** Inspection scopes, translate, expressions (adapter/inspectScopes.ts). */
  private readonly inspect = new Inspector();
  /** Conditions, hit counts and logpoints on all breakpoints (adapter/logpoints.ts). */
  private readonly bpConditions = new BreakpointConditions();
  /** Data breakpoints (adapter/dataBreakpoints.ts). */
  private readonly dataBps = new DataBreakpoints(() => this.nextBreakpointId++);
  /** Stats events and progress while running (adapter/runProgress.ts). */
  private clientProgress = false;
  private readonly progress = new RunProgress(() => this.vm, (e) => this.sendEvent(e), () => this.clientProgress);
  /** Threads = vCPUs, frame ids, the selected vCPU (adapter/vcpuThreads.ts). */
  private readonly vcpus = new VcpuThreads(() => this.vm);
  /** Launch attributes beyond the VM's (adapter/launchExtras.ts). */
  private extras: LaunchExtras | undefined;
  /** launch.json gdbPort: GNU gdb on the same VM (adapter/gdbBridge.ts). */
  private readonly gdb = new GdbBridge({
    gdbRunStarts: () => {
      if (this.runner?.isRunning) this.runner.halt();
      this.stopReports.clear();
      this.sendEvent(new ContinuedEvent(this.vcpus.threadOf(this.vcpus.current), true));
    },
    gdbRunEnded: (s) => { if (s) this.onStop(s, 'stopped under gdb', false, true); },
    applyBreakpoints: () => this.applyBreakpoints(),
  });

  /** Reverse execution requests (adapter/reverse.ts). */
  private readonly reverse = new ReverseController({
    stoppedVm: () => this.requireStopped(),
    vcpuOfThread: (t) => this.vcpuOfThread(t),
    stopped: (ev, note) => { this.stopReports.clear(); this.onStop(ev, note, true); },
    sendEvent: (e) => this.sendEvent(e),
    symbols: () => this.symbols,
    isUserStop: (ev) => ev.kind === 'breakpoint' && this.userBreakpointIds(ev).length > 0,
    acceptStop: (ev) => ev.kind !== 'breakpoint' || !this.vm || this.bpConditions.holdsGoingBack(this.userBreakpointIds(ev), this.vm, ev.vcpu),
  });

  /** Source and function breakpoints, line stepping, call stacks (adapter/sourceDebugging.ts). */
  private readonly source = new SourceDebugging({
    vm: () => this.vm,
    runner: () => this.runner,
    symbols: () => this.symbols,
    newBreakpointId: () => this.nextBreakpointId++,
    instructionBreakpointAt: (a) => this.breakpointIds.has(a),
    applyBreakpoints: () => this.applyBreakpoints(),
    report: (ev, note) => { this.stopReports.clear(); this.onStop(ev, note); },
  });

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** Stops the guest for good (terminate, disconnect, connection closed). */
  override dispose(): void {
    this.runner?.dispose();
    this.gdb.dispose();
    this.reverse.dispose();
    this.source.dispose();
    super.dispose();
  }

  override sendResponse(response: DebugProtocol.Response): void {
    this.responded.add(response.request_seq);
    super.sendResponse(response);
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args?: DebugProtocol.InitializeRequestArguments): void {
    this.guard(response, () => {
      this.clientProgress = args?.supportsProgressReporting === true;
      let filters: DebugProtocol.ExceptionBreakpointsFilter[] = [];
      try {
        filters = Vm.exitFilters().map((f) => ({
          filter: f.id, label: f.label, description: f.description, default: f.default,
          supportsCondition: f.supportsCondition, conditionDescription: f.conditionDescription,
        }));
      } catch (e) {
        this.sendEvent(new OutputEvent(`vmm-debug: cannot list exit filters: ${errorMessage(e)}\n`, 'stderr'));
      }
      response.body = {
        ...response.body,
        supportsConfigurationDoneRequest: true,
        supportsStepBack: true,
        supportsGotoTargetsRequest: true,
        supportsDisassembleRequest: true,
        supportsInstructionBreakpoints: true,
        supportsSteppingGranularity: true,
        supportsExceptionFilterOptions: true,
        supportsExceptionInfoRequest: true,
        supportsReadMemoryRequest: true,
        supportsEvaluateForHovers: true,
        supportsTerminateRequest: true,
        supportsConditionalBreakpoints: true,
        supportsHitConditionalBreakpoints: true,
        supportsLogPoints: true,
        supportsDataBreakpoints: true,
        supportsDataBreakpointBytes: true,
        supportsWriteMemoryRequest: true,
        supportsCancelRequest: true,
        supportsFunctionBreakpoints: true,
        exceptionBreakpointFilters: filters,
      };
      this.sendResponse(response);
    });
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.guard(response, () => {
      if (this.vm) throw new RequestError('launch: this session already runs a VM');
      const cfg = parseLaunchArguments((args ?? {}) as VmmLaunchArguments);
      const extras = parseLaunchExtras((args ?? {}) as Record<string, unknown>);
      const symbolFiles = loadSymbolFiles(extras.symbols);
      const timeTravel = parseTimeTravelArguments((args ?? {}) as Record<string, unknown>);
      const image = cfg.imagePath ? readImage(cfg.imagePath) : new Uint8Array(0);
      const boot = loadBootOptions(cfg.boot, cfg.imagePath);
      let vm: Vm;
      try {
        vm = Vm.fromImage(image, cfg.imagePath, { memMiB: cfg.memMiB, smp: cfg.smp, mmu: cfg.mmu, shadowSync: cfg.shadowSync, quantum: cfg.quantum, vmxExits: cfg.vmxExits, rtcStart: cfg.rtcStart }, this.output, boot);
      } catch (e) {
        if (e instanceof ImageError || e instanceof VmOptionError) throw e;
        throw new LaunchConfigError(`cannot start the VM for "${cfg.imagePath}": ${errorMessage(e)}`);
      }
      for (const f of symbolFiles) vm.addSymbolFile(f);
      this.vm = vm;
      this.config = cfg;
      this.extras = extras;
      const resumed = timeTravel.snapshot ? restoreSnapshotFile(vm, timeTravel.snapshot) : undefined; // resume / clone (launch.json "snapshot")
      if (!cfg.noDebug && timeTravel.recording) vm.startRecording(timeTravel.options); // time travel: on by default in a debug session
      this.symbols = new SymbolTable(vm.symbols);
      this.runner = new Runner(vm, {
        onStop: (ev, note) => this.onStop(ev, note),
        onSliceEnd: () => { this.output.flush(); this.progress.slice(); },
      }, cfg.maxInstructions);
      this.applyFilters();
      this.applyBreakpoints();
      const finish = (): void => {
        this.sendResponse(response);
        const kind = vm.imageKind ? ` (${vm.imageKind})` : '';
        this.sendEvent(new OutputEvent(
          `vmm-debug: ${path.basename(cfg.imagePath)}${kind}, ${vm.vcpuCount} vCPU, mmu ${cfg.mmu}\n`, 'console'));
        for (const f of extras.symbols) this.sendEvent(new OutputEvent(`vmm-debug: symbols from ${f.path} at offset ${hex8(f.offset)}\n`, 'console'));
        if (resumed) this.sendEvent(new OutputEvent(resumedText(resumed, !!vm.timeline), 'console'));
        if (extras.unknown.length) {
          this.sendEvent(new OutputEvent(`vmm-debug: launch.json: ignoring unknown attribute${extras.unknown.length > 1 ? 's' : ''} ${extras.unknown.map((k) => `"${k}"`).join(', ')}\n`, 'stderr'));
        }
        if (this.gdb.address) {
          this.sendEvent(new OutputEvent(`vmm-debug: GDB server on ${this.gdb.address} (in gdb: target remote ${this.gdb.address})\n`, 'console'));
        }
        this.sendEvent(new InitializedEvent());
      };
      if (extras.gdbPort === undefined || cfg.noDebug) return finish();
      this.gdb.start(vm, extras.gdbPort).then(() => this.guard(response, finish), (e: unknown) => this.guard(response, () => {
        throw new LaunchConfigError(`launch.json: gdbPort ${extras.gdbPort}: cannot listen on 127.0.0.1: ${errorMessage(e)}`);
      }));
    });
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.guard(response, () => {
      this.sendResponse(response);
      if (!this.vm || !this.runner || !this.config) return;
      if (this.config.stopOnEntry) this.onStop({ kind: 'entry', vcpu: 0 });
      else this.resume();
    });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.guard(response, () => {
      this.dispose();
      this.sendResponse(response);
      this.sendTerminated();
    });
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.guard(response, () => {
      this.dispose();
      this.sendResponse(response);
      this.shutdown();
    });
  }

  // ---- breakpoints ------------------------------------------------------------------------------

  protected override setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      const ids = new Map<number, number>();
      const breakpoints: DebugProtocol.Breakpoint[] = (args.breakpoints ?? []).map((bp) => {
        const base = parseAddress(bp.instructionReference);
        const address = base === undefined ? undefined : base + (bp.offset ?? 0);
        if (address === undefined || address < 0 || address > 0xffffffff) {
          return { verified: false, message: `instructionReference "${bp.instructionReference}" is not an address like 0x00100000` };
        }
        const id = ids.get(address) ?? this.breakpointIds.get(address) ?? this.nextBreakpointId++;
        ids.set(address, id);
        const result: DebugProtocol.Breakpoint = { id, verified: true, instructionReference: hex8(address) };
        return result;
      });
      this.breakpointIds = ids;
      this.bpConditions.record('instruction', args.breakpoints, breakpoints, this.vm);
      this.applyBreakpoints();
      response.body = { breakpoints };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      const requested: ExitFilterSetting[] = [
        ...(args.filters ?? []).map((id) => ({ id })),
        ...(args.filterOptions ?? []).map((o) => (o.condition ? { id: o.filterId, condition: o.condition } : { id: o.filterId })),
      ];
      // One setting per filter id (a filterOptions entry, which may carry a condition, wins).
      const unique = new Map<string, ExitFilterSetting>();
      for (const s of requested) unique.set(s.id, s);
      this.filterSettings = [...unique.values()];
      const errors = this.applyFilters();
      const errorById = new Map<string, string | undefined>();
      this.filterSettings.forEach((s, i) => errorById.set(s.id, errors[i]));
      response.body = {
        breakpoints: requested.map((s) => {
          const message = errorById.get(s.id);
          return message ? { verified: false, message } : { verified: true };
        }),
      };
      this.sendResponse(response);
    });
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      response.body = { breakpoints: this.source.setBreakpoints(args) };
      this.bpConditions.record(`source:${args.source.path ?? args.source.name ?? ''}`, args.breakpoints, response.body.breakpoints, this.vm);
      this.sendResponse(response);
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.guard(response, () => {
      response.body = { breakpoints: this.source.setFunctionBreakpoints(args) };
      this.bpConditions.record('function', args.breakpoints, response.body.breakpoints, this.vm);
      this.sendResponse(response);
    });
  }

  // ---- execution ----------------------------------------------------------------------------------

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.guard(response, () => {
      this.requireVm();
      if (this.gdb.running) throw new RequestError('gdb is running the VM: pause here (or Ctrl-C in gdb) first');
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      if (this.finished) return this.sendTerminated();
      if (this.lastStop?.kind === 'shutdown') {
        this.sendEvent(new OutputEvent('The VM has shut down and cannot run on; ending the session.\n', 'console'));
        return this.sendTerminated();
      }
      this.resume();
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.guard(response, () => this.stepLine(response, 'over', args.threadId, args.granularity));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.guard(response, () => this.stepLine(response, 'in', args.threadId, args.granularity));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    // Step out runs to the return address of the current frame, whatever the granularity.
    this.guard(response, () => this.stepLine(response, 'out', args.threadId, args.granularity));
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.guard(response, () => { const go = this.reverse.stepBack(args.threadId, args.granularity); this.sendResponse(response); go(); });
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    this.guard(response, () => { const go = this.reverse.reverseContinue(args.threadId); this.sendResponse(response); go(); });
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    this.guard(response, () => { response.body = { targets: this.reverse.gotoTargets(args) }; this.sendResponse(response); });
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.guard(response, () => { const go = this.reverse.goto(args); this.sendResponse(response); go(); });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.guard(response, () => {
      this.requireVm();
      if (this.gdb.running) this.gdb.interrupt();
      this.reverse.pause();
      if (!this.source.pause()) this.runner?.pause();
      this.sendResponse(response);
    });
  }

  // ---- state --------------------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.guard(response, () => {
      response.body = { threads: this.vcpus.threads() };
      this.sendResponse(response);
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      const vcpu = this.vcpuOfThread(args.threadId);
      const pc = vm.pc(vcpu);
      const ip = hex8(pc);
      const frames: DebugProtocol.StackFrame[] = [];
      const exit = this.stopReports.get(args.threadId)?.exit;
      if (exit) {
        const f: DebugProtocol.StackFrame = new StackFrame(frameId(vcpu, true), `VMM: handle ${exit.reasonName} exit`);
        f.instructionPointerReference = ip;
        f.presentationHint = 'subtle';
        frames.push(f);
      }
      frames.push(...this.source.stackFrames(vcpu));
      const start = Math.max(0, args.startFrame ?? 0);
      const levels = args.levels && args.levels > 0 ? args.levels : frames.length;
      response.body = { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
      this.sendResponse(response);
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      const vcpu = this.vcpuOfFrame(args.frameId);
      response.body = { scopes: [...this.vars.scopes(vcpu), ...this.inspect.scopes(vm, vcpu, args.frameId % 2 === 0)] };
      this.sendResponse(response);
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      response.body = {
        variables: this.inspect.owns(args.variablesReference)
          ? this.inspect.variables(args.variablesReference)
          : this.vars.variables(vm, args.variablesReference),
      };
      this.sendResponse(response);
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      const vcpu = args.frameId !== undefined ? this.vcpuOfFrame(args.frameId) : this.currentVcpu();
      // Time-travel console commands (`exits reason=CPUID from=… to=…`, adapter/timeTravelRequests.ts).
      response.body = timeTravelConsole(vm, args.expression) ?? this.inspect.evaluate(vm, vcpu, args, () => evaluate(vm, this.vars, vcpu, args.expression));
      this.sendResponse(response);
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    this.guard(response, () => {
      const report = this.stopReports.get(args.threadId);
      const info = report?.exception;
      if (!info) throw new RequestError(`thread ${args.threadId} is not stopped at an exception or VM exit`);
      response.body = report.exit && this.vm ? explainExit(this.vm, report.exit, info) : info;
      this.sendResponse(response);
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.guard(response, () => {
      const vm = this.requireVm();
      const ref = parseMemoryReference(args.memoryReference);
      if (ref.space !== 'gva') throw new RequestError('disassemble: memoryReference must be a guest linear address');
      const base = ref.address + (args.offset ?? 0);
      response.body = {
        instructions: disassembleRequest(vm, this.currentVcpu(), this.symbols, base, args.instructionOffset ?? 0, args.instructionCount),
      };
      this.sendResponse(response);
    });
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      response.body = readMemory(vm, this.currentVcpu(), args);
      this.sendResponse(response);
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      const r = writeMemory(vm, this.currentVcpu(), args);
      if (r.message) this.sendEvent(new OutputEvent(`${r.message}\n`, 'console'));
      response.body = r.body;
      this.sendResponse(response);
      this.sendEvent({ seq: 0, type: 'event', event: 'memory', body: { memoryReference: args.memoryReference, offset: args.offset ?? 0, count: r.body?.bytesWritten ?? 0 } } as DebugProtocol.MemoryEvent);
    });
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.guard(response, () => {
      const vm = this.requireStopped();
      const vcpu = args.frameId !== undefined ? this.vcpuOfFrame(args.frameId) : this.currentVcpu();
      response.body = this.dataBps.info(vm, vcpu, args, (ref, name) => (this.inspect.owns(ref)
        ? this.inspect.lookup(ref, name)
        : this.vars.variables(vm, ref).find((v) => v.name === name)));
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.guard(response, () => {
      const vm = this.requireVm();
      const breakpoints = this.dataBps.set(vm, args);
      this.bpConditions.record('data', args.breakpoints, breakpoints, vm);
      response.body = { breakpoints };
      this.sendResponse(response);
    });
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    this.guard(response, () => {
      // Cancelling the run's progress pauses the guest; cancelling a request is a no-op (all answer at once).
      if (this.progress.cancels(args.progressId)) this.runner?.pause();
      this.sendResponse(response);
    });
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (TIME_TRAVEL_REQUESTS.has(command)) {
      return this.guard(response, () => { const r = timeTravelRequest(command, args, {
        reverse: this.reverse, vm: () => this.requireVm(), stoppedVm: () => this.requireStopped(),
        restored: (message) => { this.sendEvent(new OutputEvent(`${message}\n`, 'console')); this.stopReports.clear(); this.finished = false; this.onStop({ kind: 'step', vcpu: 0 }, message, true); },
      }); response.body = r.body; this.sendResponse(response); r.after?.(); });
    }
    this.guard(response, () => {
      response.body = customRequest(command, args, {
        vm: () => this.requireVm(),
        stoppedVm: () => this.requireStopped(),
        vcpu: () => this.currentVcpu(),
      });
      this.sendResponse(response);
    });
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private stepInstruction(response: DebugProtocol.Response, threadId: number): void {
    this.requireStopped();
    const vcpu = this.vcpuOfThread(threadId);
    this.sendResponse(response);
    if (this.finished) return this.sendTerminated();
    this.stopReports.clear();
    this.onStop(this.runner!.step(vcpu));
  }

  /** next / stepIn by source line (granularity 'statement' / 'line' with line tables), else by instruction; stepOut to the return address. */
  private stepLine(response: DebugProtocol.Response, kind: 'over' | 'in' | 'out', threadId: number, granularity?: DebugProtocol.SteppingGranularity): void {
    if (kind !== 'out' && !this.source.stepsByLine(granularity)) return this.stepInstruction(response, threadId);
    this.requireStopped();
    const vcpu = this.vcpuOfThread(threadId);
    this.sendResponse(response);
    if (this.finished) return this.sendTerminated();
    this.stopReports.clear();
    this.source.step(kind, vcpu);
  }

  private resume(): void {
    this.stopReports.clear();
    if (this.runner && !this.runner.isRunning) this.progress.started();
    this.runner?.continue();
  }

  private onStop(ev: StopEvent, note?: string, reverse = false, fromGdb = false): void {
    // A stop of gdb's run is gdb's: no line-step or condition logic may resume the VM behind gdb's back.
    if (!reverse && !fromGdb && this.source.intercept(ev)) return; // a line step running to a return address goes on
    this.inspect.invalidate();
    // Going back, conditions were decided during the search (adapter/reverse.ts).
    if (ev.kind === 'breakpoint' && !reverse && !fromGdb && !this.shouldStopAtBreakpoint(ev)) return this.resume();
    this.progress.stopped();
    this.output.flush();
    this.lastStop = ev;
    this.vcpus.select(ev.vcpu);
    if (ev.kind === 'exited') {
      this.finished = true;
      this.sendEvent(new OutputEvent(`guest exited with status ${ev.status}\n`, 'console'));
      this.sendEvent(new ExitedEvent(ev.status));
      this.sendTerminated();
      return;
    }
    const report = this.source.describeBreakpoint(describeStop(ev, (a) => this.breakpointIds.get(a), note), ev);
    this.stopReports.clear();
    this.stopReports.set(report.threadId, report);
    if (ev.kind === 'error') this.sendEvent(new OutputEvent(`${ev.text}\n`, 'stderr'));
    const event = new StoppedEvent(report.reason, report.threadId) as DebugProtocol.StoppedEvent;
    event.body.allThreadsStopped = true;
    if (report.description !== undefined) event.body.description = report.description;
    if (report.text !== undefined) event.body.text = report.text;
    if (report.hitBreakpointIds) event.body.hitBreakpointIds = report.hitBreakpointIds;
    this.sendEvent(event);
  }

  /** The user's breakpoint ids at a breakpoint stop (instruction, source, function, data). */
  private userBreakpointIds(ev: Extract<StopEvent, { kind: 'breakpoint' }>): number[] {
    if (ev.watch) return [ev.watch.id];
    const ids: number[] = [];
    const id = this.breakpointIds.get(ev.address);
    if (id !== undefined) ids.push(id);
    ids.push(...(this.source.describeBreakpoint({ threadId: 0, reason: '' }, ev).hitBreakpointIds ?? []));
    return ids;
  }

  /** Conditions, hit counts and logpoints (adapter/logpoints.ts); a data watch stop reads "data breakpoint". */
  private shouldStopAtBreakpoint(ev: Extract<StopEvent, { kind: 'breakpoint' }>): boolean {
    if (!this.vm) return true;
    const ids: number[] = [];
    if (ev.watch) ids.push(ev.watch.id);
    else {
      const id = this.breakpointIds.get(ev.address);
      if (id !== undefined) ids.push(id);
      ids.push(...(this.source.describeBreakpoint({ threadId: 0, reason: '' }, ev).hitBreakpointIds ?? []));
    }
    if (ids.length === 0 || !this.bpConditions.has(ids)) return true;
    const d = this.bpConditions.decide(ids, this.vm, ev.vcpu);
    for (const line of d.output) this.sendEvent(new OutputEvent(`${line}\n`, 'console'));
    return d.stop;
  }

  private sendTerminated(): void {
    if (this.terminatedSent) return;
    this.terminatedSent = true;
    this.sendEvent(new TerminatedEvent());
  }

  /** Applies the exit filters (client's, else the filters marked default). Returns per-setting errors. */
  private applyFilters(): (string | undefined)[] {
    if (!this.vm) return [];
    let settings = this.filterSettings;
    if (this.config?.noDebug) settings = [];
    else if (!settings) settings = Vm.exitFilters().filter((f) => f.default).map((f) => ({ id: f.id }));
    // launch.json exitBreakpoints are checked in addition to the client's (the client's condition wins).
    const extra = this.config?.noDebug ? [] : (this.extras?.exitBreakpoints ?? []).filter((e) => !settings!.some((s) => s.id === e.id));
    const errors = this.vm.setExitFilters([...settings, ...extra]);
    extra.forEach((e, k) => {
      const m = errors[settings!.length + k];
      if (m) this.sendEvent(new OutputEvent(`vmm-debug: launch.json exitBreakpoints "${e.id}": ${m}\n`, 'stderr'));
    });
    return errors.slice(0, settings.length);
  }

  private applyBreakpoints(): void {
    if (!this.vm) return;
    this.vm.setInstructionBreakpoints(this.config?.noDebug ? [] : [...this.breakpointIds.keys(), ...this.source.addresses(), ...this.gdb.gdbBreakpoints]);
  }

  private requireVm(): Vm {
    if (!this.vm) throw new RequestError('no VM: the launch request has not succeeded');
    return this.vm;
  }

  private requireStopped(): Vm {
    const vm = this.requireVm();
    if (this.runner?.isRunning) throw new RequestError('VM is running');
    if (this.gdb.running) throw new RequestError('VM is running under gdb');
    if (this.reverse.busy) throw new RequestError('VM is searching history (reverse continue)');
    if (this.source.busy) throw new RequestError('VM is stepping');
    return vm;
  }

  private vcpuOfThread(threadId: number): number {
    this.requireVm();
    return this.vcpus.vcpuOfThread(threadId);
  }

  private vcpuOfFrame(id: number): number {
    this.requireVm();
    return this.vcpus.vcpuOfFrame(id);
  }

  private currentVcpu(): number {
    return this.vcpus.current;
  }

  /** Runs a handler; any exception becomes an error response (or a stderr note if already answered). */
  private guard(response: DebugProtocol.Response, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      const known = e instanceof Error && USER_ERRORS.has(e.name);
      const message = known ? errorMessage(e) : `internal error in vmm-debug (${response.command}): ${errorMessage(e)}`;
      if (!known && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      if (this.responded.has(response.request_seq)) {
        this.sendEvent(new OutputEvent(`${message}\n`, 'stderr'));
      } else {
        this.fail(response, message);
      }
    } finally {
      this.responded.delete(response.request_seq);
    }
  }

  private fail(response: DebugProtocol.Response, message: string): void {
    response.success = false;
    response.message = message;
    response.body = { error: { id: 3000, format: message, showUser: true } };
    this.sendResponse(response);
  }
}

function frameId(vcpu: number, vmmFrame: boolean): number {
  return vcpu * 2 + (vmmFrame ? 1 : 0) + 1;
}
