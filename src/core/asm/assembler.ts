// The guest assembler: the NASM subset small guests use, two-pass (repeated until every symbol and
// length is stable, so jumps are short when the target is in range and near otherwise), encoding
// every instruction through the one opcode table (encode.ts). Source syntax:
//   [label[:]] [prefix] mnemonic operands   ; comment
//   bits 16|32   org EXPR   section|segment .text|.data|.bss   align N   global/extern (accepted)
//   db/dw/dd (numbers, strings)   resb/resw/resd/resq N   times N <line>   NAME equ EXPR
//   multiboot   (emits a Multiboot v1 header here: magic, flags, checksum)
// Labels: `name:`, local `.x` (belongs to the last non-local label), `$` and `$$` in expressions.
// The result has the image bytes, symbols, a line table (address → source line) and diagnostics.
import { OPCODES, type OpcodeDef } from '../isa/opcodeTable';
import { canonicalIntel, PREFIX_WORDS } from './aliases';
import { encodeInstruction, EncodeError, SIZE_SPELLINGS } from './encode';
import { evaluate, ExprError, parseNumber64, type ExprValue } from './expr';
import { OperandError, parseOperand, splitOperands, type Operand } from './operands';

export interface AsmDiagnostic {
  /** 1-based source line; columns are 0-based, end exclusive. */
  line: number;
  startColumn: number;
  endColumn: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface LineTableEntry {
  address: number;
  /** 1-based source line. */
  line: number;
  length: number;
}

export interface AsmInstruction extends LineTableEntry {
  def: OpcodeDef;
  bits: 16 | 32;
}

export interface AsmSection {
  name: string;
  start: number;
  /** Bytes (progbits) or length (nobits). */
  bytes: Uint8Array;
  size: number;
  nobits: boolean;
}

export interface AsmSymbol {
  name: string;
  value: number;
  line: number;
  kind: 'label' | 'equ';
  section?: string;
}

export interface AsmResult {
  ok: boolean;
  diagnostics: AsmDiagnostic[];
  /** Address of the first byte of the image (org). */
  origin: number;
  /** The loadable image: progbits sections laid out from `origin` (4-byte aligned), without .bss. */
  image: Uint8Array;
  /** Image plus .bss: bytes of memory the program occupies from `origin`. */
  memorySize: number;
  sections: AsmSection[];
  symbols: AsmSymbol[];
  /** Entry point: `_start`, else `start`, else the origin. */
  entry: number;
  /** Every instruction: address, source line, length. Sorted by address. */
  lineTable: LineTableEntry[];
  instructions: AsmInstruction[];
  /** Offset in `image` of a Multiboot header emitted by the `multiboot` directive / option, or -1. */
  multibootOffset: number;
}

export interface AsmOptions {
  /** Default origin when the source has no `org` (0; the ELF and boot outputs pass their own). */
  origin?: number;
  /** Initial `bits` (32). */
  bits?: 16 | 32;
  /** Put a Multiboot header at the start of .text when the source has no `multiboot` directive. */
  multibootHeader?: boolean;
}

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** Flags of the emitted header: page-align modules (bit 0), provide memory info (bit 1). */
export const MULTIBOOT_HEADER_FLAGS = 0x00000003;

/** Directive words (completion, hovers and grammars list the same ones). */
export const DIRECTIVES: Readonly<Record<string, string>> = {
  bits: 'bits 16|32: the code size for what follows',
  org: 'org ADDRESS: the address the image is loaded at',
  section: 'section .text|.data|.bss: switch section',
  segment: 'segment NAME: same as section',
  global: 'global NAME: export a symbol (accepted; every label is in the symbol table)',
  extern: 'extern NAME: not supported (flat images link nothing)',
  align: 'align N[, fill]: pad to a multiple of N',
  times: 'times COUNT LINE: repeat a data or instruction line',
  equ: 'NAME equ EXPR: define a constant',
  db: 'db VALUES: bytes (numbers and strings)',
  dw: 'dw VALUES: 16-bit words',
  dd: 'dd VALUES: 32-bit dwords',
  dq: 'dq VALUES: 64-bit qwords',
  resb: 'resb N: reserve N bytes (zero)',
  resw: 'resw N: reserve N words',
  resd: 'resd N: reserve N dwords',
  resq: 'resq N: reserve N qwords',
  multiboot: 'multiboot: emit a Multiboot v1 header (magic 0x1BADB002, flags, checksum) here',
};

const DATA_SIZES: Readonly<Record<string, number>> = { db: 1, dw: 2, dd: 4, dq: 8 };
const RES_SIZES: Readonly<Record<string, number>> = { resb: 1, resw: 2, resd: 4, resq: 8 };

interface Stmt {
  line: number;
  /** Column of the statement text (after any label), for diagnostics. */
  col: number;
  endCol: number;
  label?: string;
  labelCol?: number;
  word?: string;
  wordCol?: number;
  args?: string;
  prefixes: number[];
  times?: string;
}

const IDENT_RE = /^[A-Za-z_.?@][\w.?@$#~]*/;

/** Remove a `;` comment (outside quotes). */
function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '\'' || c === '"' || c === '`') quote = c;
    else if (c === ';') return line.slice(0, i);
  }
  return line;
}

const isKeyword = (w: string): boolean => {
  const l = w.toLowerCase();
  return canonicalIntel(l) !== undefined || l in DIRECTIVES || PREFIX_WORDS.has(l) || l === 'sal' || SIZE_SPELLINGS.has(l);
};

function parseLine(text: string, lineNo: number, diags: AsmDiagnostic[]): Stmt | undefined {
  let s = stripComment(text).replace(/\s+$/, '');
  // [bits 32], [org 0x7c00], [section .text]: the bracketed "primitive" forms.
  s = s.replace(/^(\s*)\[\s*(bits|org|section|segment)\b([^\]]*)\]\s*$/i, '$1$2$3');
  let pos = s.length - s.trimStart().length;
  if (pos >= s.length) return undefined;
  const st: Stmt = { line: lineNo, col: pos, endCol: s.length, prefixes: [] };
  if (/^\s*%/.test(s)) {
    diags.push({ line: lineNo, startColumn: pos, endColumn: s.length, severity: 'error', message: 'preprocessor directives (%define, %include, %macro...) are not supported by this assembler' });
    return undefined;
  }
  const next = (): [string, number] | undefined => {
    while (s[pos] === ' ' || s[pos] === '\t') pos++;
    const m = IDENT_RE.exec(s.slice(pos));
    if (!m) return undefined;
    return [m[0], pos];
  };
  let w = next();
  if (w) {
    const after = s.slice(w[1] + w[0].length);
    if (/^\s*:/.test(after) && !/^[cdefgs]s$/i.test(w[0])) {
      st.label = w[0]; st.labelCol = w[1];
      pos = w[1] + w[0].length + after.indexOf(':') + 1;
      w = next();
    } else if (!isKeyword(w[0])) {
      // A label without a colon, when a directive or instruction follows (`msg db 'hi'`, `X equ 1`).
      const rest = /^\s+([A-Za-z_.][\w.]*)/.exec(after);
      if (rest && isKeyword(rest[1]!)) {
        st.label = w[0]; st.labelCol = w[1];
        pos = w[1] + w[0].length;
        w = next();
      }
    }
  }
  if (w && w[0].toLowerCase() === 'times') {
    // times COUNT rest: COUNT runs to the first keyword.
    pos = w[1] + 5;
    const rest = s.slice(pos);
    let cut = -1;
    const re = /[A-Za-z_.][\w.]*/g;
    let mm: RegExpExecArray | null;
    while ((mm = re.exec(rest))) { if (isKeyword(mm[0]) && mm[0].toLowerCase() !== 'times') { cut = mm.index; break; } }
    if (cut < 0) {
      diags.push({ line: lineNo, startColumn: w[1], endColumn: s.length, severity: 'error', message: 'times needs a count and an instruction or data directive' });
      return undefined;
    }
    st.times = rest.slice(0, cut).trim();
    pos += cut;
    w = next();
  }
  while (w && PREFIX_WORDS.has(w[0].toLowerCase())) {
    st.prefixes.push(PREFIX_WORDS.get(w[0].toLowerCase())!);
    pos = w[1] + w[0].length;
    w = next();
  }
  if (w) {
    st.word = w[0]; st.wordCol = w[1];
    pos = w[1] + w[0].length;
    st.args = s.slice(pos).trim();
  } else if (pos < s.length && s.slice(pos).trim()) {
    diags.push({ line: lineNo, startColumn: pos, endColumn: s.length, severity: 'error', message: `expected an instruction or directive, found '${s.slice(pos).trim()}'` });
    return undefined;
  } else if (st.prefixes.length) {
    diags.push({ line: lineNo, startColumn: st.col, endColumn: s.length, severity: 'error', message: 'prefix without an instruction' });
    return undefined;
  }
  return st;
}

class Section {
  bytes: number[] = [];
  size = 0;
  start = 0;
  constructor(readonly name: string, readonly nobits: boolean) {}
}

export function assemble(source: string, options: AsmOptions = {}): AsmResult {
  const parseDiags: AsmDiagnostic[] = [];
  const stmts: Stmt[] = [];
  source.split(/\r?\n/).forEach((text, i) => {
    const st = parseLine(text, i + 1, parseDiags);
    if (st) stmts.push(st);
  });
  const hasMultibootDirective = stmts.some((s) => s.word?.toLowerCase() === 'multiboot');
  const autoHeader = !!options.multibootHeader && !hasMultibootDirective;

  let prevSymbols = new Map<string, number>();
  let prevSectionSizes = new Map<string, number>();
  let result: AsmResult | undefined;
  for (let pass = 0; pass < 24; pass++) {
    const final = pass >= 2;
    const r = runPass(stmts, options, autoHeader, prevSymbols, prevSectionSizes, final);
    const stable = sameMap(r.symbolValues, prevSymbols) && sameMap(r.sectionSizes, prevSectionSizes);
    prevSymbols = r.symbolValues;
    prevSectionSizes = r.sectionSizes;
    result = r.result;
    if (final && stable) break;
  }
  const res = result!;
  res.diagnostics.unshift(...parseDiags);
  res.diagnostics.sort((a, b) => a.line - b.line || a.startColumn - b.startColumn);
  res.ok = !res.diagnostics.some((d) => d.severity === 'error');
  return res;
}

function sameMap(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

interface PassOut {
  result: AsmResult;
  symbolValues: Map<string, number>;
  sectionSizes: Map<string, number>;
  unknownUsed: boolean;
}

function runPass(stmts: Stmt[], options: AsmOptions, autoHeader: boolean, prev: Map<string, number>, prevSizes: Map<string, number>, final: boolean): PassOut {
  const diags: AsmDiagnostic[] = [];
  const symbols = new Map<string, number>();
  const symbolList: AsmSymbol[] = [];
  const lineTable: LineTableEntry[] = [];
  const instructions: AsmInstruction[] = [];
  let unknownUsed = false;
  let origin = options.origin ?? 0;
  let bits: 16 | 32 = options.bits ?? 32;
  let lastGlobal = '';
  let multibootOffsetInText = -1;
  let multibootSection = '';

  // Section order: first appearance, .bss-like (nobits) sections after all progbits ones.
  const sections = new Map<string, Section>();
  const getSection = (name: string): Section => {
    let sec = sections.get(name);
    if (!sec) { sec = new Section(name, /^\.?bss$/i.test(name)); sections.set(name, sec); }
    return sec;
  };
  let cur = getSection('.text');
  // Layout from the previous pass's sizes.
  for (const s of stmts) if (s.word && /^(section|segment)$/i.test(s.word) && s.args) getSection(s.args.split(/\s+/)[0]!);
  const orgStmt = stmts.find((s) => s.word?.toLowerCase() === 'org');
  const layout = (): void => {
    let addr = origin;
    const ordered = [...sections.values()].sort((a, b) => Number(a.nobits) - Number(b.nobits));
    for (const sec of ordered) {
      sec.start = addr;
      addr = align4(addr + (prevSizes.get(sec.name) ?? 0));
    }
  };
  if (orgStmt?.args) {
    try {
      const v = evaluate(orgStmt.args, { here: 0, sectionStart: 0, lookup: (n) => prev.get(n), qualify: (n) => n });
      origin = v.value >>> 0;
    } catch { /* reported below */ }
  }
  layout();

  const error = (st: Stmt, message: string, col?: number, end?: number): void => {
    diags.push({ line: st.line, startColumn: col ?? st.col, endColumn: end ?? st.endCol, severity: 'error', message });
  };
  const qualify = (n: string): string => (n.startsWith('.') && !n.startsWith('..') ? lastGlobal + n : n);
  const here = (): number => (cur.start + cur.size) | 0;
  let undefinedName = '';
  const ev = (expr: string): ExprValue => {
    const v = evaluate(expr, {
      here: here(), sectionStart: cur.start,
      lookup: (n) => {
        const v2 = symbols.get(n) ?? prev.get(n);
        if (v2 === undefined) { unknownUsed = true; if (!undefinedName) undefinedName = n; }
        return v2;
      },
      qualify,
    });
    return v;
  };
  const emit = (bytes: ArrayLike<number>): void => {
    if (cur.nobits) { cur.size += bytes.length; return; }
    for (let i = 0; i < bytes.length; i++) cur.bytes.push(bytes[i]! & 0xff);
    cur.size += bytes.length;
  };
  const emitMultiboot = (): void => {
    while (cur.size % 4) emit([0]);
    multibootOffsetInText = cur.size;
    multibootSection = cur.name;
    const sum = (-(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)) >>> 0;
    for (const v of [MULTIBOOT_HEADER_MAGIC, MULTIBOOT_HEADER_FLAGS, sum]) emit([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
  };
  if (autoHeader) emitMultiboot();

  const defineLabel = (st: Stmt, name: string, value: number, kind: 'label' | 'equ'): void => {
    const q = qualify(name);
    if (!name.startsWith('.')) lastGlobal = name;
    if (symbols.has(q)) { error(st, `symbol '${q}' is defined more than once`, st.labelCol, (st.labelCol ?? 0) + name.length); return; }
    symbols.set(q, value | 0);
    symbolList.push({ name: q, value: value | 0, line: st.line, kind, section: kind === 'label' ? cur.name : undefined });
  };

  for (const st of stmts) {
    undefinedName = '';
    const word = st.word?.toLowerCase() ?? '';
    try {
      if (word === 'equ') {
        if (!st.label) { error(st, 'equ needs a name before it'); continue; }
        const v = ev(st.args ?? '');
        const q = qualify(st.label);
        if (symbols.has(q)) { error(st, `symbol '${q}' is defined more than once`); continue; }
        symbols.set(q, v.value);
        symbolList.push({ name: q, value: v.value, line: st.line, kind: 'equ' });
        if (final && !v.known) error(st, `symbol '${undefinedName}' is not defined`);
        continue;
      }
      if (st.label) defineLabel(st, st.label, here(), 'label');
      if (!word) continue;
      const count = st.times !== undefined ? ev(st.times) : { value: 1, known: true };
      if (st.times !== undefined && final && !count.known) { error(st, `symbol '${undefinedName}' is not defined`); continue; }
      if (count.value < 0) { error(st, `times count is negative (${count.value})`); continue; }
      for (let rep = 0; rep < count.value; rep++) {
        if (!statement(st, word)) break;
        if (final && undefinedName) { error(st, `symbol '${undefinedName}' is not defined`); break; }
      }
    } catch (e) {
      if (e instanceof ExprError || e instanceof OperandError || e instanceof EncodeError) error(st, e.message);
      else throw e;
    }
  }

  /** One statement (once per `times` repetition); false to stop repeating. */
  function statement(st: Stmt, word: string): boolean {
    const args = st.args ?? '';
    switch (word) {
      case 'bits': {
        const v = ev(args).value;
        if (v !== 16 && v !== 32) { error(st, `bits must be 16 or 32 (64-bit code is not supported), not ${v}`); return false; }
        bits = v;
        return true;
      }
      case 'use16': bits = 16; return true;
      case 'use32': bits = 32; return true;
      case 'org': return true; // read before the pass
      case 'section': case 'segment': {
        const name = args.split(/\s+/)[0];
        if (!name) { error(st, 'section needs a name'); return false; }
        cur = getSection(name);
        return true;
      }
      case 'global': case 'cpu': case 'default': return true;
      case 'extern': error(st, 'extern is not supported: a flat image links nothing'); return false;
      case 'multiboot': emitMultiboot(); return true;
      case 'align': case 'alignb': {
        const parts = splitOperands(args);
        const n = ev(parts[0] ?? '').value;
        if (n <= 0 || (n & (n - 1))) { error(st, `align needs a power of two, not ${n}`); return false; }
        const fill = parts[1] ? ev(parts[1]).value : cur.name === '.text' ? 0x90 : 0;
        while (here() % n) emit([fill]);
        return true;
      }
    }
    if (word in DATA_SIZES) {
      const size = DATA_SIZES[word]!;
      const bytes: number[] = [];
      for (const item of splitOperands(args)) {
        if (!item) { error(st, 'empty data item'); return false; }
        const str = /^(['"`])(.*)\1$/s.exec(item);
        if (str && (str[2]!.length > size || word === 'db')) {
          const text = str[1] === '`' ? unescapeBacktick(str[2]!) : str[2]!;
          for (const ch of text) bytes.push(ch.charCodeAt(0) & 0xff);
          while (bytes.length % size) bytes.push(0);
          continue;
        }
        const big = size === 8 ? parseNumber64(item) : undefined;
        if (big !== undefined) { for (let k = 0n; k < 8n; k++) bytes.push(Number((big >> (8n * k)) & 0xffn)); continue; }
        const v = ev(item);
        if (final && v.known && size < 4 && (v.value < -(2 ** (size * 8 - 1)) || v.value >= 2 ** (size * 8))) {
          diags.push({ line: st.line, startColumn: st.col, endColumn: st.endCol, severity: 'warning', message: `value ${v.value} does not fit in ${size * 8} bits (truncated)` });
        }
        for (let k = 0; k < size; k++) bytes.push(k < 4 ? (v.value >>> (8 * k)) & 0xff : v.value < 0 ? 0xff : 0);
      }
      emit(bytes);
      return true;
    }
    if (word in RES_SIZES) {
      const n = ev(args);
      if (final && !n.known) return true;
      if (n.value < 0) { error(st, 'negative reservation'); return false; }
      emit(new Uint8Array(n.value * RES_SIZES[word]!));
      return true;
    }
    if (word === 'times') { error(st, 'times needs a count and a line'); return false; }
    const canonical = word === 'sal' || SIZE_SPELLINGS.has(word) ? word : canonicalIntel(word);
    if (!canonical) {
      error(st, `unknown instruction or directive '${st.word}'`, st.wordCol, (st.wordCol ?? 0) + (st.word?.length ?? 0));
      return false;
    }
    const ops: Operand[] = args ? splitOperands(args).map(parseOperand) : [];
    const address = here();
    const enc = encodeInstruction(canonical, st.prefixes, ops, { bits, address, evaluate: ev });
    emit(enc.bytes);
    if (!cur.nobits) {
      lineTable.push({ address, line: st.line, length: enc.bytes.length });
      instructions.push({ address, line: st.line, length: enc.bytes.length, def: enc.def, bits });
    }
    return true;
  }

  // Assemble the image: progbits sections at their (previous-pass) starts.
  const sizes = new Map<string, number>();
  for (const sec of sections.values()) sizes.set(sec.name, sec.size);
  const ordered = [...sections.values()].sort((a, b) => Number(a.nobits) - Number(b.nobits));
  let addr = origin;
  for (const sec of ordered) { sec.start = addr; addr = align4(addr + sec.size); }
  const progbits = ordered.filter((s) => !s.nobits && s.size > 0);
  const imageEnd = progbits.length ? progbits[progbits.length - 1]!.start + progbits[progbits.length - 1]!.size : origin;
  const image = new Uint8Array(Math.max(0, imageEnd - origin));
  for (const sec of progbits) image.set(sec.bytes, sec.start - origin);
  const memEnd = Math.max(imageEnd, ...ordered.map((s) => s.start + s.size));
  const entry = symbols.get('_start') ?? symbols.get('start') ?? origin;
  lineTable.sort((a, b) => a.address - b.address);
  instructions.sort((a, b) => a.address - b.address);
  const mbSec = multibootSection ? sections.get(multibootSection) : undefined;
  return {
    result: {
      ok: true, diagnostics: diags, origin, image, memorySize: memEnd - origin,
      sections: ordered.map((s) => ({ name: s.name, start: s.start, size: s.size, nobits: s.nobits, bytes: Uint8Array.from(s.bytes) })),
      symbols: symbolList, entry, lineTable, instructions,
      multibootOffset: mbSec && multibootOffsetInText >= 0 ? mbSec.start - origin + multibootOffsetInText : -1,
    },
    symbolValues: symbols, sectionSizes: sizes, unknownUsed,
  };
}

const align4 = (n: number): number => (n + 3) & ~3;

function unescapeBacktick(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', '`': '`', '\'': '\'', '"': '"' } as Record<string, string>)[e] ?? e;
  });
}

/** Entries of the table the assembler can encode (for tests and completion): all but the x87 escape. */
export const ASSEMBLABLE: readonly OpcodeDef[] = OPCODES.filter((e) => e.handler !== 'fpu');
