// Reverse stepping by source line (gdb's reverse-next / reverse-step / reverse-finish) over the
// timeline: one reverse search (time/timeline.ts ReverseSearch) with a temporary breakpoint on every
// statement start of the line table, keeping the LAST hit before now that passes a frame test made at
// the hit and starts a line instance (a line entered from another line, or again by a jump back
// within it: each iteration of a one-line loop is an instance, as going forward):
//   over: a statement start in this frame or an outer one (ESP at the hit >= ESP now; a callee's
//         frame lies below); in the middle of a line instance, its own start is the target;
//   into: the same without the frame test (back into the last line of a function called before);
//   out:  a statement start in the caller's frame (ESP >= the return-address slot + 4): the line of
//         the call.
// A user breakpoint, exit filter or data breakpoint hit on the way back stops the step, as in
// reverse continue (their conditions decide, `acceptUser`).
import type { Vm } from '../src/core/machine/vm';
import type { StopEvent } from '../src/core/debug/debugApi';
import type { DebugInfo, SourceLocation } from '../src/core/debugInfo/debugInfo';
import type { ReverseSearchOptions } from '../src/core/time/timeline';
import type { SymbolTable } from './symbols';
import { innermostReturn } from './callStack';

export type ReverseLineKind = 'over' | 'into' | 'out';

const statementCache = new WeakMap<DebugInfo, number[]>();

/** Addresses where a statement starts (is_stmt rows of the line programs). */
export function statementStarts(info: DebugInfo): number[] {
  let out = statementCache.get(info);
  if (!out) {
    const set = new Set<number>();
    for (const p of info.programs) for (const r of p.rows) if (r.isStmt && !r.endSequence && info.lineAt(r.address)?.address === r.address) set.add(r.address >>> 0);
    out = [...set].sort((a, b) => a - b);
    statementCache.set(info, out);
  }
  return out;
}

const addressOf = (s: StopEvent): number => (s.kind === 'breakpoint' ? s.address >>> 0 : -1);

function sameLine(a: SourceLocation | undefined, b: SourceLocation | undefined): boolean {
  return !!a && !!b && a.path === b.path && a.line === b.line;
}

export function reverseLinePlan(
  vm: Vm, vcpu: number, kind: ReverseLineKind, symbols: SymbolTable,
  isUserStop: (s: StopEvent) => boolean, acceptUser: (s: StopEvent) => boolean,
): ReverseSearchOptions {
  const info = vm.debugInfo;
  const espNow = vm.stackRegs(vcpu).esp;
  let limit = espNow;
  if (kind === 'out') {
    const r = innermostReturn(vm, vcpu, info, symbols);
    limit = r ? (r.slot + 4) >>> 0 : (espNow + 4) >>> 0;
  }
  const starts = statementStarts(info);
  const isStart = new Set(starts);
  return {
    what: kind === 'out' ? 'reverse step out' : 'reverse step',
    addresses: starts,
    accept: (s) => {
      if (s.kind !== 'breakpoint' || s.watch || isUserStop(s)) return acceptUser(s);
      if (s.vcpu !== vcpu) return false;
      if (kind === 'into') return true;
      return vm.stackRegs(vcpu).esp >= limit;
    },
    // The target is the start of the last line instance before now: where a line was entered from
    // another line, or entered again by a jump back within it (the next iteration of a one-line
    // loop). Forward line steps stop at the same places (lineStepping.ts), so a step back lands
    // where a step forward would have stopped.
    sequence: {
      member: (s) => s.kind === 'breakpoint' && !s.watch && !isUserStop(s) && isStart.has(s.address >>> 0),
      startsInstance: (prev, cur) => {
        const pa = addressOf(prev.stop), ca = addressOf(cur.stop);
        if (!sameLine(info.lineAt(pa), info.lineAt(ca))) return true;
        // The same address at the very next instruction count is one instruction repeating (a REP
        // iteration, a jump to itself): the same instance.
        return pa > ca || (pa === ca && cur.icount - prev.icount > 1);
      },
    },
  };
}
