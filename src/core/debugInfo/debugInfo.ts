// What a debugger needs from an ELF file's DWARF: source lines by address and addresses by source
// line (section 6.2), functions by address and by name (DW_TAG_subprogram, section 3.3), and the
// compile units that hold them (section 3.1.1). Built once when an image is loaded.
import { DwarfFormatError } from './byteReader';
import { elfSections, debugSections } from './elfSections';
import { parseCompileUnits, DW_LANG_Mips_Assembler, type CompileUnit, type FunctionInfo } from './compileUnits';
import { parseLineProgram, type LineProgram } from './lineProgram';
import { LineTable, type SourceLocation } from './lineTable';
import { baseName, normalizePath } from './paths';

export { DwarfFormatError } from './byteReader';
export type { SourceLocation } from './lineTable';
export type { FunctionInfo, CompileUnit } from './compileUnits';

/** A source line bound to code: the line that has code and the addresses to break at. */
export interface BoundLine { path: string; line: number; addresses: number[]; }

export class DebugInfo {
  /** Problems found while reading (the rest of the information is still used). */
  readonly warnings: string[] = [];

  private constructor(
    readonly units: CompileUnit[],
    readonly functions: FunctionInfo[],
    readonly programs: LineProgram[],
    readonly lines: LineTable,
  ) {}

  static empty(): DebugInfo { return new DebugInfo([], [], [], new LineTable([])); }

  /**
   * Reads the DWARF of an ELF32 file (executable or relocatable object). `bias` is added to every
   * address (an image loaded elsewhere than it was linked for). A file without debug sections gives
   * an empty DebugInfo, and so does a file that is not ELF (a Multiboot a.out kludge image); malformed DWARF throws DwarfFormatError.
   */
  static fromElf(bytes: Uint8Array, bias = 0): DebugInfo {
    if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return DebugInfo.empty();
    const sec = debugSections(bytes);
    const strings = { str: sec.get('.debug_str'), lineStr: sec.get('.debug_line_str') };
    const { units, functions } = parseCompileUnits({
      ...strings, info: sec.get('.debug_info'), abbrev: sec.get('.debug_abbrev'),
      strOffsets: sec.get('.debug_str_offsets'), addr: sec.get('.debug_addr'),
    });
    const debugLine = sec.get('.debug_line');
    const programs: LineProgram[] = [];
    const warnings: string[] = [];
    if (debugLine) {
      const seen = new Set<number>();
      for (const u of units) {
        if (u.stmtList === undefined || seen.has(u.stmtList)) continue;
        seen.add(u.stmtList);
        try {
          programs.push(parseLineProgram(debugLine, u.stmtList, strings, u.compDir, u.addressSize));
        } catch (e) {
          warnings.push(`line program of ${u.name ?? 'a compile unit'}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (units.length === 0) {
        // Line programs without .debug_info: read them in section order.
        for (let off = 0; off + 4 <= debugLine.length;) {
          const p = parseLineProgram(debugLine, off, strings);
          programs.push(p);
          off = nextUnit(debugLine, off);
        }
      }
    }
    if (bias) {
      for (const p of programs) for (const r of p.rows) r.address = (r.address + bias) >>> 0;
      for (const f of functions) { f.low = (f.low + bias) >>> 0; f.high = (f.high + bias) >>> 0; }
    }
    const d = new DebugInfo(units, functions, programs, new LineTable(programs));
    d.warnings.push(...warnings);
    return d;
  }

  /** Several files' information as one (the image plus extra symbol files). */
  static merge(parts: readonly DebugInfo[]): DebugInfo {
    const units: CompileUnit[] = [], functions: FunctionInfo[] = [], programs: LineProgram[] = [];
    for (const p of parts) {
      const base = units.length;
      units.push(...p.units);
      functions.push(...p.functions.map((f) => ({ ...f, unit: f.unit + base })));
      programs.push(...p.programs);
    }
    functions.sort((a, b) => a.low - b.low || b.high - a.high);
    const d = new DebugInfo(units, functions, programs, new LineTable(programs));
    for (const p of parts) d.warnings.push(...p.warnings);
    return d;
  }

  get hasLines(): boolean { return this.lines.size > 0; }

  /** The source line of the instruction at `address`. */
  lineAt(address: number): SourceLocation | undefined { return this.lines.find(address >>> 0); }

  /** The innermost function containing `address`. */
  functionAt(address: number): FunctionInfo | undefined {
    let best: FunctionInfo | undefined;
    for (const f of this.functions) {
      if (f.low > address) break;
      if (address < f.high && (!best || f.high - f.low <= best.high - best.low)) best = f;
    }
    return best;
  }

  functionNamed(name: string): FunctionInfo | undefined { return this.functions.find((f) => f.name === name); }

  /** True when the function comes from an assembler (no prologue to skip, every line a statement). */
  isAssembly(f: FunctionInfo): boolean {
    const lang = this.units[f.unit]?.language;
    return lang === DW_LANG_Mips_Assembler || lang === undefined;
  }

  /**
   * Where a breakpoint on function `f` goes: past the prologue for compiled code, i.e. the first
   * address after the entry where the line changes (what gdb does without prologue_end markers);
   * a DW_LNS_set_prologue_end row wins when present. The entry itself for assembly.
   */
  afterPrologue(f: FunctionInfo): number {
    if (this.isAssembly(f)) return f.low;
    const entry = this.lineAt(f.low);
    if (!entry) return f.low;
    for (const p of this.programs) {
      for (const r of p.rows) if (r.prologueEnd && !r.endSequence && r.address > f.low && r.address < f.high) return r.address;
    }
    for (let a = entry.end; a < f.high;) {
      const l = this.lineAt(a);
      if (!l) break;
      if (l.isStmt && (l.line !== entry.line || l.path !== entry.path)) return l.address;
      if (l.end <= a) break;
      a = l.end;
    }
    return f.low;
  }

  /** Source files with line information (absolute when the compilation directory was recorded). */
  sourcePaths(): string[] { return [...this.lines.paths]; }

  /**
   * The table's files that a client path names: the same path, else the ones sharing the longest
   * tail of path segments (a build on another machine, a relative name), at least the base name.
   */
  matchFiles(clientPath: string): number[] {
    const want = segments(clientPath);
    let best: number[] = [], bestScore = 0;
    this.lines.paths.forEach((p, i) => {
      const have = segments(p);
      let n = 0;
      while (n < want.length && n < have.length && sameSegment(want[want.length - 1 - n], have[have.length - 1 - n])) n++;
      const score = n === want.length && n === have.length ? 1e6 : n;
      if (score === 0) return;
      if (score > bestScore) { best = [i]; bestScore = score; } else if (score === bestScore) best.push(i);
    });
    return best;
  }

  /**
   * Binds a breakpoint on `line` of `clientPath`: the first line at or after it that has statement
   * rows, one address per function (the lowest: a line split by the optimizer, or inlined, gets one
   * stop per function that holds it). The reported line is the one the stop will show.
   */
  bindLine(clientPath: string, line: number): BoundLine | undefined {
    const files = new Set(this.matchFiles(clientPath));
    if (files.size === 0) return undefined;
    let bestLine = Infinity;
    for (const e of this.lines.all()) if (files.has(e.file) && e.isStmt && e.line >= line && e.line < bestLine) bestLine = e.line;
    if (bestLine === Infinity) return undefined;
    const perFunction = new Map<number, number>();
    for (const e of this.lines.all()) {
      if (!files.has(e.file) || !e.isStmt || e.line !== bestLine) continue;
      const key = this.functionAt(e.address)?.low ?? -1 - e.address;
      const cur = perFunction.get(key);
      if (cur === undefined || e.address < cur) perFunction.set(key, e.address);
    }
    const addresses = [...perFunction.values()].sort((a, b) => a - b);
    // The line a stop at the first address shows (rows at one address: the last statement wins).
    const shown = this.lineAt(addresses[0]);
    const pathOf = this.lines.paths[[...files][0]];
    if (shown && files.has(this.lines.paths.indexOf(shown.path))) return { path: shown.path, line: shown.line, addresses };
    return { path: pathOf, line: bestLine, addresses };
  }
}

/** Reads ELF section names (exported for tools and tests that look for debug sections). */
export function hasDebugSections(bytes: Uint8Array): boolean {
  try { return elfSections(bytes).some((s) => s.name === '.debug_line' || s.name === '.debug_info'); } catch { return false; }
}

function nextUnit(b: Uint8Array, off: number): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const l = dv.getUint32(off, true);
  if (l === 0xffffffff) return off + 12 + dv.getUint32(off + 4, true) + dv.getUint32(off + 8, true) * 0x100000000;
  if (l >= 0xfffffff0) throw new DwarfFormatError(`.debug_line: reserved unit length at 0x${off.toString(16)}`);
  return off + 4 + l;
}

function segments(p: string): string[] {
  return normalizePath(p).split(/[\\/]/).filter((s) => s !== '' && !/^[A-Za-z]:$/.test(s));
}

function sameSegment(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

export { baseName };
