// NASM operands: registers (general, segment, control, debug), memory references
// (`[es:ebx+esi*4+disp]` with an optional size keyword), immediates (`byte 1`, `short label`) and
// far pointers (`0x08:start`). Expressions stay text here; the encoder evaluates them per pass.

export type RegKind = 'gpr' | 'seg' | 'cr' | 'dr';

export interface RegOperand { kind: 'reg'; reg: RegKind; num: number; size: 8 | 16 | 32 }
export interface MemOperand {
  kind: 'mem';
  /** Size keyword in bits (byte 8 ... qword 64, fword 48), or 0 when not written. */
  size: number;
  /** Segment override (ES..GS = 0..5) or -1. */
  seg: number;
  /** Base and index register numbers, or -1; their size (16 or 32) when any. */
  base: number;
  index: number;
  scale: number;
  regSize: 0 | 16 | 32;
  /** Displacement expression text, '' for none. */
  disp: string;
  /** Written with `far` (an indirect far call or jump through memory). */
  far: boolean;
}
export interface ImmOperand {
  kind: 'imm';
  expr: string;
  /** Size keyword in bits, or 0. */
  size: number;
  /** `short` / `near` / `far` jump modifiers. */
  jump: '' | 'short' | 'near' | 'far';
}
export interface FarOperand { kind: 'far'; seg: string; off: string; size: number }
export type Operand = RegOperand | MemOperand | ImmOperand | FarOperand;

export const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
export const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
export const GPR8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const SEGMENT_REGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
export const CONTROL_REGS = ['cr0', 'cr2', 'cr3', 'cr4'];
export const DEBUG_REGS = ['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7'];
/** Every register name the assembler accepts (completion and grammars use the same list). */
export const REGISTER_NAMES: readonly string[] = [...GPR32, ...GPR16, ...GPR8, ...SEGMENT_REGS, ...CONTROL_REGS, ...DEBUG_REGS];

export const SIZE_KEYWORDS: Readonly<Record<string, number>> = { byte: 8, word: 16, dword: 32, fword: 48, qword: 64, tword: 80 };

export class OperandError extends Error {}

export function parseRegister(name: string): RegOperand | undefined {
  const n = name.toLowerCase();
  let i: number;
  if ((i = GPR32.indexOf(n)) >= 0) return { kind: 'reg', reg: 'gpr', num: i, size: 32 };
  if ((i = GPR16.indexOf(n)) >= 0) return { kind: 'reg', reg: 'gpr', num: i, size: 16 };
  if ((i = GPR8.indexOf(n)) >= 0) return { kind: 'reg', reg: 'gpr', num: i, size: 8 };
  if ((i = SEGMENT_REGS.indexOf(n)) >= 0) return { kind: 'reg', reg: 'seg', num: i, size: 16 };
  const m = /^(cr|dr)([0-7])$/.exec(n);
  if (m) return { kind: 'reg', reg: m[1] === 'cr' ? 'cr' : 'dr', num: Number(m[2]), size: 32 };
  return undefined;
}

/** Split on top-level commas (not inside brackets, parentheses or quotes). */
export function splitOperands(text: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = '', cur = '';
  for (const c of text) {
    if (quote) { cur += c; if (c === quote) quote = ''; continue; }
    if (c === '\'' || c === '"' || c === '`') { quote = c; cur += c; continue; }
    if (c === '[' || c === '(') depth++;
    if (c === ']' || c === ')') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim() || out.length) out.push(cur.trim());
  return out;
}

export function parseOperand(text: string): Operand {
  let t = text.trim();
  let size = 0;
  let jump: ImmOperand['jump'] = '';
  for (;;) {
    const m = /^(byte|word|dword|fword|qword|tword|short|near|far|strict)\b\s*/i.exec(t);
    if (!m) break;
    const w = m[1]!.toLowerCase();
    if (w === 'short' || w === 'near' || w === 'far') jump = w;
    else if (w !== 'strict') size = SIZE_KEYWORDS[w]!;
    t = t.slice(m[0].length);
  }
  if (!t) throw new OperandError(`operand expected after '${text.trim()}'`);
  // Segment override written outside the brackets: es:[edi].
  let seg = -1;
  const so = /^([cdefgs]s)\s*:\s*(?=\[)/i.exec(t);
  if (so) { seg = SEGMENT_REGS.indexOf(so[1]!.toLowerCase()); t = t.slice(so[0].length); }
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new OperandError(`missing ] in '${text.trim()}'`);
    return parseMemory(t.slice(1, -1), size, seg, jump === 'far');
  }
  const reg = parseRegister(t);
  if (reg) {
    if (size && size !== reg.size) throw new OperandError(`size keyword does not match register ${t}`);
    return reg;
  }
  const far = splitFar(t);
  if (far) return { kind: 'far', seg: far[0], off: far[1], size };
  return { kind: 'imm', expr: t, size, jump };
}

/** `seg:off` at top level (outside parentheses and quotes), or undefined. */
function splitFar(t: string): [string, string] | undefined {
  let depth = 0, quote = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '\'' || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ':' && depth === 0) return [t.slice(0, i).trim(), t.slice(i + 1).trim()];
  }
  return undefined;
}

function parseMemory(inner: string, size: number, seg: number, far: boolean): MemOperand {
  let t = inner.trim();
  const so = /^([cdefgs]s)\s*:/i.exec(t);
  if (so) { seg = SEGMENT_REGS.indexOf(so[1]!.toLowerCase()); t = t.slice(so[0].length); }
  const mem: MemOperand = { kind: 'mem', size, seg, base: -1, index: -1, scale: 1, regSize: 0, disp: '', far };
  // Split into signed top-level terms; register terms become base/index, the rest the displacement.
  const terms: string[] = [];
  let depth = 0, cur = '';
  for (const c of t) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if ((c === '+' || c === '-') && depth === 0 && cur.trim()) { terms.push(cur); cur = c; continue; }
    cur += c;
  }
  if (cur.trim()) terms.push(cur);
  const disp: string[] = [];
  for (const raw of terms) {
    const term = raw.trim();
    const sign = term[0] === '-' ? '-' : '+';
    const body = term.replace(/^[+-]\s*/, '');
    const scaled = /^(\w+)\s*\*\s*(\w+)$/.exec(body);
    let regName = body, scale = 1;
    if (scaled) {
      if (parseRegister(scaled[1]!)) { regName = scaled[1]!; scale = Number(scaled[2]); }
      else if (parseRegister(scaled[2]!)) { regName = scaled[2]!; scale = Number(scaled[1]); }
    }
    const reg = parseRegister(regName);
    if (!reg) { disp.push(term); continue; }
    if (reg.reg !== 'gpr' || reg.size === 8) throw new OperandError(`${regName} cannot address memory`);
    if (sign === '-') throw new OperandError(`a register cannot be subtracted in an address`);
    if (![1, 2, 4, 8].includes(scale)) throw new OperandError(`scale must be 1, 2, 4 or 8, not ${scale}`);
    if (mem.regSize && mem.regSize !== reg.size) throw new OperandError('16-bit and 32-bit registers mixed in one address');
    mem.regSize = reg.size as 16 | 32;
    if (scale === 1 && mem.base < 0 && !scaled) mem.base = reg.num;
    else if (mem.index < 0) { mem.index = reg.num; mem.scale = scale; }
    else if (mem.base < 0 && scale === 1) mem.base = reg.num;
    else throw new OperandError(`too many registers in [${inner}]`);
  }
  mem.disp = disp.join(' ').replace(/^\+\s*/, '');
  return mem;
}
