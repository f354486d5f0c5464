// Custom DAP requests of time travel (issue 7), for the extension's commands and webviews and for any
// DAP client, and the Debug Console commands `exits …` and `diff …`:
//   vmm/reverseStepIn, vmm/reverseStepOut {threadId}    reverse step by source line
//   vmm/gotoIcount {icount, threadId}                   travel to an instruction count
//   vmm/exits {query}                                   the exit-log query (time/exitQuery.ts)
//   vmm/exitTimeline {from?, to?, bins?}                exits per vCPU and reason in bins, history range
//   vmm/history                                         recorded history: range, checkpoints, memory
//   vmm/checkpoints                                     the checkpoints' instruction counts (a picker)
//   vmm/diff {icount | checkpoint}                      compare that moment with now (core/time/compareMoments.ts)
//   vmm/snapshotSave {path, note?}                      the whole VM to a snapshot file
//   vmm/snapshotRestore {path}                          this VM from a snapshot file (history restarts there)
// Requests that move the VM return work to run after the response (the stopped event follows it).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Vm } from '../src/core/machine/vm';
import { exitQueryText, exitSeries, parseExitQuery, runExitQuery } from '../src/core/time/exitQuery';
import { compareMoments, momentDiffText } from '../src/core/time/compareMoments';
import type { ReverseController } from './reverse';
import { restoreSnapshotFile, saveSnapshotFile } from './snapshotFiles';

export interface TimeTravelRequestResult { body: unknown; after?: () => void; }

export class TimeTravelRequestError extends Error { override name = 'RequestError'; }
class TimeTravelConsoleError extends Error { override name = 'EvaluateError'; }

export interface TimeTravelHost {
  reverse: ReverseController;
  vm(): Vm;
  stoppedVm(): Vm;
  /** The VM's state was replaced (snapshot restored): report a stop there. */
  restored(message: string): void;
}

export const TIME_TRAVEL_REQUESTS = new Set(['vmm/reverseStepIn', 'vmm/reverseStepOut', 'vmm/gotoIcount', 'vmm/exits', 'vmm/exitTimeline', 'vmm/history', 'vmm/checkpoints', 'vmm/diff', 'vmm/snapshotSave', 'vmm/snapshotRestore']);

function intArg(a: Record<string, unknown>, key: string, dflt?: number): number {
  const v = a[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TimeTravelRequestError(`${key} must be a non-negative integer, got ${JSON.stringify(a[key])}`);
  return v;
}

/** Recorded history as the views show it. */
export function historyInfo(vm: Vm): { recording: boolean; start: number; end: number; now: number; checkpoints: number; historyBytes: number; thinned: number; exitLogBytes: number; exits: number; exitsThinned: number; exitsThinnedThrough: number } {
  const tl = vm.timeline;
  const log = vm.vmm.exitLog;
  if (!tl) return { recording: false, start: vm.icount, end: vm.icount, now: vm.icount, checkpoints: 0, historyBytes: 0, thinned: 0, exitLogBytes: log.bytes, exits: log.total, exitsThinned: log.thinned, exitsThinnedThrough: log.thinnedThrough };
  const st = tl.stats();
  return { recording: true, start: tl.start, end: tl.frontier, now: vm.icount, checkpoints: st.checkpoints, historyBytes: st.bytes, thinned: st.thinned, exitLogBytes: log.bytes, exits: log.total, exitsThinned: log.thinned, exitsThinnedThrough: log.thinnedThrough };
}

export function timeTravelRequest(command: string, args: unknown, host: TimeTravelHost): TimeTravelRequestResult {
  const a = (args ?? {}) as Record<string, unknown>;
  switch (command) {
    case 'vmm/reverseStepIn': return { body: {}, after: host.reverse.reverseStep(intArg(a, 'threadId', 1), 'into') };
    case 'vmm/reverseStepOut': return { body: {}, after: host.reverse.reverseStep(intArg(a, 'threadId', 1), 'out') };
    case 'vmm/gotoIcount': return { body: {}, after: host.reverse.gotoIcount(intArg(a, 'icount'), intArg(a, 'threadId', 1)) };
    case 'vmm/exits': {
      const vm = host.vm();
      const r = runExitQuery(vm.vmm.exitLog, parseExitQuery(typeof a.query === 'string' ? a.query : ''));
      return { body: { ...r, text: exitQueryText(r) } };
    }
    case 'vmm/exitTimeline': {
      const vm = host.vm();
      const h = historyInfo(vm);
      const from = intArg(a, 'from', h.start);
      const to = Math.max(from + 1, intArg(a, 'to', Math.max(h.end, h.now) + 1));
      const bins = Math.min(2000, Math.max(1, intArg(a, 'bins', 400)));
      return { body: { history: h, series: exitSeries(vm.vmm.exitLog, from, to, bins) } };
    }
    case 'vmm/history': return { body: historyInfo(host.vm()) };
    case 'vmm/snapshotSave': {
      const vm = host.stoppedVm();
      return { body: saveSnapshotFile(vm, typeof a.path === 'string' ? a.path : '', typeof a.note === 'string' ? a.note : '') };
    }
    case 'vmm/snapshotRestore': {
      const vm = host.stoppedVm();
      const r = restoreSnapshotFile(vm, typeof a.path === 'string' ? a.path : '');
      return { body: r, after: () => host.restored(`restored snapshot "${r.note}" (instruction count ${r.icount}); recorded history starts here`) };
    }
    case 'vmm/checkpoints': {
      const tl = host.vm().timeline;
      return { body: { checkpoints: tl ? tl.store.list.map((c, index) => ({ index, icount: c.icount })) : [] } };
    }
    case 'vmm/diff': {
      const vm = host.stoppedVm();
      const then = a.checkpoint !== undefined ? checkpointIcount(vm, intArg(a, 'checkpoint')) : intArg(a, 'icount');
      let d: ReturnType<typeof compareMoments>;
      try { d = compareMoments(vm, then); } catch (e) { throw new TimeTravelRequestError(`diff: ${e instanceof Error ? e.message : String(e)}`); }
      return { body: { ...d, text: momentDiffText(d) } };
    }
    default: throw new TimeTravelRequestError(`unknown request "${command}"`);
  }
}

function checkpointIcount(vm: Vm, k: number): number {
  const list = vm.timeline?.store.list ?? [];
  const c = list[k];
  if (!c) throw new TimeTravelRequestError(`no checkpoint ${k} (there are ${list.length}: 0..${list.length - 1}; see vmm/checkpoints)`);
  return c.icount;
}

/** Debug Console commands of time travel; undefined when `expression` is not one of them. */
export function timeTravelConsole(vm: Vm, expression: string): DebugProtocol.EvaluateResponse['body'] | undefined {
  const m = /^\s*exits\b(.*)$/i.exec(expression);
  if (m) {
    const r = runExitQuery(vm.vmm.exitLog, parseExitQuery(m[1]));
    return { result: exitQueryText(r), variablesReference: 0 };
  }
  // diff <icount> | diff checkpoint <k>: compare that moment of history with now.
  const d = /^\s*diff\b\s*(.*)$/i.exec(expression);
  if (d) {
    const arg = d[1].trim();
    const cp = /^checkpoint\s*=?\s*(\d+)$/i.exec(arg);
    const ic = /^(?:icount\s*=?\s*)?([\d_,]+)$/i.exec(arg);
    if (!cp && !ic) throw new TimeTravelConsoleError('diff: expected "diff <instruction count>" or "diff checkpoint <k>"');
    try {
      const then = cp ? checkpointIcount(vm, Number(cp[1])) : Number(ic![1].replace(/[_,]/g, ''));
      return { result: momentDiffText(compareMoments(vm, then)), variablesReference: 0 };
    } catch (e) {
      throw new TimeTravelConsoleError(`diff: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return undefined;
}
