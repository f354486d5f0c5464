// Source breakpoints (setBreakpoints: C and assembly files, bound through the DWARF line table) and
// function breakpoints (setFunctionBreakpoints: by symbol, past the prologue for compiled code).
// Each DAP breakpoint becomes one or more guest addresses; a stop at one of them names its ids.
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DebugInfo } from '../src/core/debugInfo/debugInfo';
import type { SymbolTable } from './symbols';
import { hex8, parseAddress } from './format';

interface Bound { id: number; addresses: number[]; label: string; }

export class SourceBreakpoints {
  /** Per source path (as the client sent it): its bound breakpoints. */
  private readonly bySource = new Map<string, Bound[]>();
  private functions: Bound[] = [];
  /** Ids stay stable while a breakpoint keeps its place (source path + line, or function name). */
  private readonly ids = new Map<string, number>();

  constructor(private readonly newId: () => number) {}

  private idFor(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) { id = this.newId(); this.ids.set(key, id); }
    return id;
  }

  /** setBreakpoints for one source file. */
  setSource(args: DebugProtocol.SetBreakpointsArguments, info: DebugInfo | undefined): DebugProtocol.Breakpoint[] {
    const file = args.source.path ?? args.source.name ?? '';
    const requested: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
    const bound: Bound[] = [];
    const result = requested.map((bp): DebugProtocol.Breakpoint => {
      const id = this.idFor(`${file}:${bp.line}`);
      if (!info) return { id, verified: false, line: bp.line, message: 'no program is loaded yet' };
      if (!info.hasLines) return { id, verified: false, line: bp.line, message: 'the image has no line information: build it with -g (gcc -g, as -g)' };
      const b = file ? info.bindLine(file, bp.line) : undefined;
      if (!b) {
        const known = file && info.matchFiles(file).length > 0;
        return {
          id, verified: false, line: bp.line,
          message: known ? `no code at or after line ${bp.line} of ${path.basename(file)}` : `${path.basename(file) || 'this source'} is not part of the image's debug information`,
        };
      }
      bound.push({ id, addresses: b.addresses, label: `${path.basename(b.path)}:${b.line}` });
      const out: DebugProtocol.Breakpoint = {
        id, verified: true, line: b.line, source: { name: path.basename(file), path: file }, instructionReference: hex8(b.addresses[0]),
      };
      if (bp.condition || bp.hitCondition || bp.logMessage) out.message = 'conditions, hit counts and log messages on source breakpoints are not supported yet; it always stops';
      return out;
    });
    if (bound.length) this.bySource.set(file, bound); else this.bySource.delete(file);
    return result;
  }

  /** setFunctionBreakpoints: a symbol name (or an address like 0x00100010). */
  setFunctions(args: DebugProtocol.SetFunctionBreakpointsArguments, info: DebugInfo | undefined, symbols: SymbolTable): DebugProtocol.Breakpoint[] {
    const bound: Bound[] = [];
    const result = (args.breakpoints ?? []).map((bp): DebugProtocol.Breakpoint => {
      const name = bp.name.trim();
      const id = this.idFor(`fn:${name}`);
      const fn = info?.functionNamed(name);
      const sym = symbols.byName(name);
      let address: number | undefined;
      if (fn && info) address = info.afterPrologue(fn);
      else if (sym) address = sym.address;
      else {
        const a = parseAddress(name);
        if (a !== undefined && a >= 0 && a <= 0xffffffff) address = a;
      }
      if (address === undefined) return { id, verified: false, message: `no function or symbol named "${name}" in the image` };
      bound.push({ id, addresses: [address >>> 0], label: name });
      const out: DebugProtocol.Breakpoint = { id, verified: true, instructionReference: hex8(address) };
      const loc = info?.lineAt(address);
      if (loc) { out.source = { name: path.basename(loc.path), path: loc.path }; out.line = loc.line; }
      return out;
    });
    this.functions = bound;
    return result;
  }

  /** Every address a source or function breakpoint sits on. */
  addresses(): number[] {
    const out = new Set<number>();
    for (const list of this.bySource.values()) for (const b of list) for (const a of b.addresses) out.add(a);
    for (const b of this.functions) for (const a of b.addresses) out.add(a);
    return [...out];
  }

  /** The breakpoints at `address` (ids and a label for the stop's description), if any. */
  hitAt(address: number): { ids: number[]; label: string } | undefined {
    const ids: number[] = [];
    const labels: string[] = [];
    const visit = (b: Bound): void => { if (b.addresses.includes(address)) { ids.push(b.id); labels.push(b.label); } };
    for (const list of this.bySource.values()) list.forEach(visit);
    this.functions.forEach(visit);
    return ids.length ? { ids, label: labels.join(', ') } : undefined;
  }
}
