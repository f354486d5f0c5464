// Conditions, hit counts and logpoints on every kind of breakpoint (instruction, source, function,
// data). Options are kept by DAP breakpoint id, per request family (a setBreakpoints for one file
// replaces only that file's). At a breakpoint stop the session asks `decide` whether to really stop:
// a logpoint prints its message ({expr} interpolated with the debugger's expression language) and
// does not stop; a false condition or an unmet hit condition does not stop either.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { compileVmExpression, interpolate, type ExpressionTarget } from '../src/core/debug/vmExpression';
import { errorMessage } from './format';

export interface BreakpointOptions {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

interface Entry extends BreakpointOptions { hits: number }

export interface Decision {
  stop: boolean;
  /** Logpoint output and condition errors, one string per line. */
  output: string[];
}

/** Parses a hit condition: "5" (from the 5th hit on), ">= 5", "> 5", "== 5", "< 5", "% 5" (every 5th). */
export function hitConditionMet(cond: string, hits: number): boolean | string {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return `hit condition "${cond}" is not a number (use 5, >= 5, == 5, % 5)`;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return hits > n;
    case '<': return hits < n;
    case '<=': return hits <= n;
    case '==': case '=': return hits === n;
    case '%': return n > 0 && hits % n === 0;
    default: return hits >= n;
  }
}

export class BreakpointConditions {
  private readonly families = new Map<string, Map<number, Entry>>();

  /** Records the options of `requested[i]` under the id of `result[i]`; returns messages to attach. */
  record(family: string, requested: readonly BreakpointOptions[] | undefined, result: DebugProtocol.Breakpoint[], target?: ExpressionTarget): void {
    const old = this.families.get(family);
    const map = new Map<number, Entry>();
    (requested ?? []).forEach((o, i) => {
      const bp = result[i];
      if (!bp || bp.id === undefined) return;
      const condition = o.condition?.trim() || undefined;
      const hitCondition = o.hitCondition?.trim() || undefined;
      const logMessage = o.logMessage || undefined;
      if (!condition && !hitCondition && !logMessage) return;
      if (condition && target) {
        try { compileVmExpression(target, condition); } catch (e) { bp.message = `condition: ${errorMessage(e)}`; }
      }
      if (hitCondition) {
        const ok = hitConditionMet(hitCondition, 0);
        if (typeof ok === 'string') bp.message = ok;
      }
      const prev = old?.get(bp.id);
      const same = prev && prev.condition === condition && prev.hitCondition === hitCondition;
      map.set(bp.id, { condition, hitCondition, logMessage, hits: same ? prev.hits : 0 });
    });
    this.families.set(family, map);
  }

  private entry(id: number): Entry | undefined {
    for (const m of this.families.values()) { const e = m.get(id); if (e) return e; }
    return undefined;
  }

  /** Whether any of `ids` has options (else the stop is a plain one). */
  has(ids: readonly number[]): boolean { return ids.some((id) => this.entry(id) !== undefined); }

  /**
   * Going back in time (reverse continue, time travel): whether any of `ids` stops here by its
   * condition alone. Hit counts are not counted backwards (a hit condition counts as met); a
   * logpoint never stops; a condition that fails to evaluate stops.
   */
  holdsGoingBack(ids: readonly number[], target: ExpressionTarget, vcpu: number): boolean {
    if (ids.length === 0) return true;
    for (const id of ids) {
      const e = this.entry(id);
      if (!e) return true;
      if (e.logMessage !== undefined) continue;
      if (!e.condition) return true;
      try { if (compileVmExpression(target, e.condition, vcpu)({ vcpu })) return true; } catch { return true; }
    }
    return false;
  }

  /** Counts the hit and decides; a breakpoint without options always stops. */
  decide(ids: readonly number[], target: ExpressionTarget, vcpu: number): Decision {
    const out: string[] = [];
    let stop = ids.length === 0;
    for (const id of ids) {
      const e = this.entry(id);
      if (!e) { stop = true; continue; }
      if (e.condition) {
        let v: number;
        try { v = compileVmExpression(target, e.condition, vcpu)({ vcpu }); } catch (err) {
          out.push(`breakpoint ${id}: condition "${e.condition}" failed: ${errorMessage(err)} (stopping)`);
          stop = true;
          continue;
        }
        if (!v) continue;
      }
      e.hits++;
      if (e.hitCondition) {
        const ok = hitConditionMet(e.hitCondition, e.hits);
        if (typeof ok === 'string') { out.push(ok); stop = true; continue; }
        if (!ok) continue;
      }
      if (e.logMessage !== undefined) { out.push(interpolate(target, vcpu, e.logMessage)); continue; }
      stop = true;
    }
    return { stop, output: out };
  }
}
