// Instruction encoding from the one opcode table (isa/opcodeTable.ts): for a mnemonic and its
// operands, every table entry of that mnemonic is tried against the operands (SDM Appendix A operand
// codes: E G M R I J O A Z S C D and the fixed AL/eAX/DX/CL/1/segment operands); the shortest
// encoding wins, ties going to table order (which puts `Ev,Gv` before `Gv,Ev`, as NASM does).
// Jumps: Jb (short) is chosen when the target is known and in range, else Jz (near); the assembler
// re-runs passes until every length is stable, so short/near is chosen correctly.
import { opcodesByMnemonic, type OpcodeDef } from '../isa/opcodeTable';
import type { ExprValue } from './expr';
import type { MemOperand, Operand } from './operands';

export interface EncodeContext {
  bits: 16 | 32;
  /** Address of the instruction's first byte. */
  address: number;
  evaluate(expr: string): ExprValue;
}

export interface Encoded {
  bytes: number[];
  def: OpcodeDef;
}

export class EncodeError extends Error {}

/** String instructions: NASM writes them without operands (movsb, rep stosd). */
const STRING_HANDLERS = new Set(['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs']);

/** Operand forms of a mnemonic in SDM notation, for messages and hovers: `Ev,Gv | Gv,Ev | ...`. */
export function operandForms(mnemonic: string): string[] {
  return [...new Set(opcodesByMnemonic(mnemonic).filter((e) => e.handler !== 'fpu').map((e) => (STRING_HANDLERS.has(e.handler) ? '' : e.operands.join(','))))];
}

/** Entries the assembler may use for a mnemonic (`sal` is SHL's /4 encoding, as NASM emits it). */
function candidates(mnemonic: string): OpcodeDef[] {
  const m = mnemonic === 'sal' ? 'shl' : mnemonic;
  const defs = opcodesByMnemonic(m).filter((e) => e.handler !== 'fpu');
  // `nop r/m` is the SDM's multi-byte NOP, 0F 1F /0 (the other hint opcodes decode as NOP too).
  if (m === 'nop') defs.sort((a, b) => Number(b.opcode === 0x0f1f) - Number(a.opcode === 0x0f1f));
  return defs;
}

const SIGN_EXTENDED_IB = new Set([0x83, 0x6b, 0x6a]);

/** Operand order does not matter to these (NASM accepts `xchg eax, ecx` and `test eax, [x]`). */
const COMMUTATIVE = new Set(['xchg', 'test']);

/**
 * NASM's size-neutral spellings (operand size = the mode's: `pushf` is PUSHFD in 32-bit code) and
 * explicit-size ones (`pushfw`, `iretw`): spelling → [table mnemonic, operand size or 0].
 */
export const SIZE_SPELLINGS: ReadonlyMap<string, readonly [string, number]> = new Map([
  ['pushf', ['pushfd', 0]], ['popf', ['popfd', 0]], ['pusha', ['pushad', 0]], ['popa', ['popad', 0]], ['iret', ['iretd', 0]],
  ['pushfw', ['pushfd', 16]], ['popfw', ['popfd', 16]], ['pushaw', ['pushad', 16]], ['popaw', ['popad', 16]], ['iretw', ['iretd', 16]],
]);

export function encodeInstruction(mnemonic: string, prefixes: number[], ops: Operand[], ctx: EncodeContext): Encoded {
  const spelled = SIZE_SPELLINGS.get(mnemonic);
  let forcedSize = 0;
  if (spelled) { forcedSize = spelled[1] || ctx.bits; mnemonic = spelled[0]; }
  const defs = candidates(mnemonic);
  if (defs.length === 0) throw new EncodeError(`unknown instruction '${mnemonic}'`);
  let reason = '';
  for (const unknownIsLarge of [true, false]) {
    let best: Encoded | undefined;
    // XCHG reg, reg: NASM puts the first operand in ModRM.reg (86 /r read as Gb,Eb): try that first.
    const swapped = [ops[1]!, ops[0]!];
    const orders = COMMUTATIVE.has(mnemonic) && ops.length === 2 ? (mnemonic === 'xchg' ? [swapped, ops] : [ops, swapped]) : [ops];
    for (const order of orders) {
      for (const def of defs) {
        const r = tryEncode(mnemonic, def, prefixes, order, ctx, unknownIsLarge, forcedSize);
        if (typeof r === 'string') { if (!reason || r.startsWith('!')) reason = r; continue; }
        // Shortest wins; on a tie NASM prefers the sign-extended imm8 forms (83 /n, 6B, 6A) over eAX,Iz.
        const signExtTie = best && r.length === best.bytes.length && SIGN_EXTENDED_IB.has(def.opcode) && !SIGN_EXTENDED_IB.has(best.def.opcode);
        if (!best || r.length < best.bytes.length || signExtTie) best = { bytes: r, def };
      }
    }
    if (best) return best;
  }
  if (reason.startsWith('!')) throw new EncodeError(reason.slice(1));
  const forms = operandForms(mnemonic).map((f) => f || '(no operands)').join(' | ');
  throw new EncodeError(`invalid combination of opcode and operands for ${mnemonic}: the table's forms are ${forms}`);
}

const sizeOfSpec = (sz: string, opSize: number): number => {
  switch (sz) {
    case 'b': return 8;
    case 'w': return 16;
    case 'd': return 32;
    case 'v': case 'z': return opSize;
    case 'q': return 64;
    case 'p': return opSize + 16;
    default: return 0;
  }
};

const FIXED_GPR: Readonly<Record<string, [number, number]>> = { AL: [0, 8], CL: [1, 8], DX: [2, 16] };
const FIXED_SEG = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];

/** Bytes, or a reason string for not matching (a leading '!' marks a message worth showing as is). */
function tryEncode(written: string, def: OpcodeDef, userPrefixes: number[], ops: Operand[], ctx: EncodeContext, unknownIsLarge: boolean, forcedSize: number): number[] | string {
  const specs = STRING_HANDLERS.has(def.handler) ? [] : def.operands;
  if (specs.length !== ops.length) return `${written} takes ${specs.length} operand(s)`;
  const bits = ctx.bits;

  // Operand size: from the mnemonic's spelling (cbw/cwde, movsw/movsd), else from sized operands.
  let opSize = forcedSize;
  if (!opSize && def.mnemonic16 && def.mnemonic16 !== def.mnemonic) opSize = written === def.mnemonic16 ? 16 : 32;
  // SLDT/STR/SMSW r16 and BSWAP r32: the register's size is the operand size.
  const storeSelector = (def.opcode === 0x0f00 && def.ext <= 1 || def.opcode === 0x0f01 && def.ext === 4) && ops[0]?.kind === 'reg';
  if (storeSelector) opSize = 16;
  if ((def.opcode & 0xfff8) === 0x0fc8) opSize = 32;
  let sizeFromOperand = false;
  specs.forEach((s, i) => {
    const o = ops[i]!;
    const variable = /^[EGZ][vz]$/.test(s) || s === 'eAX' || (def.opcode === 0x0f02 || def.opcode === 0x0f03) && s === 'Ew';
    if (o.kind === 'reg' && o.reg === 'gpr') {
      sizeFromOperand = true;
      if (variable && (o.size === 16 || o.size === 32) && !opSize) opSize = o.size;
    } else if (o.kind === 'mem' && o.size && /^E[vz]$/.test(s)) {
      sizeFromOperand = true;
      if ((o.size === 16 || o.size === 32) && !opSize) opSize = o.size;
    } else if (o.kind === 'imm' && o.size && /^I[vz]$/.test(s)) {
      if ((o.size === 16 || o.size === 32) && !opSize) opSize = o.size;
    } else if (o.kind === 'mem' && o.size) sizeFromOperand = true;
    else if (o.kind === 'far' && (o.size === 16 || o.size === 32) && !opSize) opSize = o.size; // jmp dword 0x08:start32
  });
  if (!opSize) opSize = bits;

  // Address size: from the registers of the memory operand, else the mode (or JCXZ/JECXZ's spelling).
  let adSize: number = bits;
  const mem = ops.find((o): o is MemOperand => o.kind === 'mem');
  if (mem?.regSize) adSize = mem.regSize;
  if (def.opcode === 0xe3) adSize = written === 'jcxz' ? 16 : 32;

  let modrmReg = def.ext >= 0 ? def.ext : 0;
  let rmOperand: Operand | undefined;
  const tail: { size: number; value: number }[] = [];
  let rel: { width: number; target: ExprValue; slot: number } | undefined;
  let moffs: ExprValue | undefined;
  let far: { off: ExprValue; seg: ExprValue } | undefined;

  const fitsSigned = (v: ExprValue, bitsN: number): boolean => (!v.known && unknownIsLarge ? false : v.value >= -(2 ** (bitsN - 1)) && v.value < 2 ** (bitsN - 1));
  const fitsEither = (v: ExprValue, bitsN: number): boolean => (!v.known && unknownIsLarge ? false : v.value >= -(2 ** (bitsN - 1)) && v.value < 2 ** bitsN);

  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    const o = ops[i]!;
    if (FIXED_GPR[s]) {
      const [num, size] = FIXED_GPR[s]!;
      if (o.kind !== 'reg' || o.reg !== 'gpr' || o.num !== num || o.size !== size) return `operand ${i + 1} must be ${s.toLowerCase()}`;
      continue;
    }
    if (s === 'eAX') {
      if (o.kind !== 'reg' || o.reg !== 'gpr' || o.num !== 0 || o.size !== opSize) return `operand ${i + 1} must be eax/ax`;
      continue;
    }
    if (FIXED_SEG.includes(s)) {
      if (o.kind !== 'reg' || o.reg !== 'seg' || o.num !== FIXED_SEG.indexOf(s)) return `operand ${i + 1} must be ${s.toLowerCase()}`;
      continue;
    }
    if (s === '1') {
      if (o.kind !== 'imm' || o.size > 8) return 'not the 1 form';
      const v = ctx.evaluate(o.expr);
      if (!v.known || v.value !== 1) return 'not the 1 form';
      continue;
    }
    const kind = s[0]!;
    const sz = s.slice(1);
    const want = sizeOfSpec(sz, opSize);
    switch (kind) {
      case 'E': case 'M': case 'R': {
        if (o.kind === 'reg') {
          if (kind === 'M' || o.reg !== 'gpr') return `operand ${i + 1} must be memory`;
          const lar = (def.opcode === 0x0f02 || def.opcode === 0x0f03) && sz === 'w';
          if (lar ? o.size !== opSize && o.size !== 16 : o.size !== want) return `operand ${i + 1} has the wrong size`;
        } else if (o.kind === 'mem') {
          if (kind === 'R') return `operand ${i + 1} must be a register`;
          if (sz === 'p') {
            // CALL/JMP through memory are far only when written so (`far`, or `fword` in 32-bit code).
            const isFarBranch = def.opcode === 0xff;
            if (isFarBranch ? !(o.far || o.size === 48 && want === 48) : o.size && o.size !== want) return 'not a far pointer';
          } else if (o.far) return 'far memory operand';
          else if (o.size && want && o.size !== want && !(sz === 'b' && kind === 'M')) return `operand ${i + 1} has the wrong size`;
          if (!o.size && ['b', 'v', 'z'].includes(sz) && kind === 'E' && !sizeFromOperand && !(def.mnemonic16 && def.mnemonic16 !== def.mnemonic)) {
            return `!operation size not specified: write byte, word or dword before [${o.disp || '...'}]`;
          }
        } else return `operand ${i + 1} must be a register or memory`;
        rmOperand = o;
        break;
      }
      case 'G': case 'Z':
        if (o.kind !== 'reg' || o.reg !== 'gpr' || o.size !== want) return `operand ${i + 1} must be a ${want}-bit register`;
        if (kind === 'G') modrmReg = o.num;
        else if ((def.opcode & 7) !== o.num) return 'other register';
        break;
      case 'S': case 'C': case 'D': {
        const rk = kind === 'S' ? 'seg' : kind === 'C' ? 'cr' : 'dr';
        if (o.kind !== 'reg' || o.reg !== rk) return `operand ${i + 1} must be a ${rk === 'seg' ? 'segment' : rk === 'cr' ? 'control' : 'debug'} register`;
        modrmReg = o.num;
        break;
      }
      case 'I': {
        if (o.kind !== 'imm') return `operand ${i + 1} must be an immediate`;
        let v = ctx.evaluate(o.expr);
        const width = sz === 'b' ? 8 : sz === 'w' ? 16 : opSize;
        // A 16-bit operation sees 0xffff as -1: it fits the sign-extended imm8 form (83 /0 ib), as NASM encodes it.
        if (opSize === 16 && sz === 'b' && v.known && (def.opcode === 0x6a || specs.some((x) => /[vz]$/.test(x))) && v.value >= 0xff80 && v.value <= 0xffff) v = { value: (v.value << 16) >> 16, known: true };
        const signExtForm = sz === 'b' && (def.opcode === 0x6a || specs.some((x) => /[vz]$/.test(x)));
        // `push word 0xfffe`: the keyword names the operation size, the imm8 form still applies.
        if (o.size && o.size !== width && !(sz === 'b' && o.size === 8) && !(signExtForm && o.size === opSize)) return 'immediate size';
        const signExt = sz === 'b' && (def.opcode === 0x6a || specs.some((x) => /[vz]$/.test(x)));
        if (width !== 32 && (signExt ? !fitsSigned(v, 8) && !(v.known && o.size === 8 && fitsEither(v, 8)) : !fitsEither(v, width))) {
          if (v.known && !signExt && o.size) return `!immediate ${v.value} does not fit in ${width} bits`;
          return 'immediate too large';
        }
        tail.push({ size: width / 8, value: v.value });
        break;
      }
      case 'J': {
        if (o.kind !== 'imm' || o.jump === 'far') return 'not a relative target';
        if (sz === 'b' && o.jump === 'near') return 'near requested';
        if (sz !== 'b' && o.jump === 'short') return 'short requested';
        rel = { width: sz === 'b' ? 1 : opSize / 8, target: ctx.evaluate(o.expr), slot: tail.length };
        tail.push({ size: rel.width, value: 0 });
        break;
      }
      case 'O': {
        if (o.kind !== 'mem' || o.base >= 0 || o.index >= 0) return 'not a memory offset';
        if (o.size && o.size !== want) return 'wrong size';
        moffs = o.disp ? ctx.evaluate(o.disp) : { value: 0, known: true };
        break;
      }
      case 'A': {
        if (o.kind !== 'far') return 'not a far pointer';
        far = { seg: ctx.evaluate(o.seg), off: ctx.evaluate(o.off) };
        break;
      }
      default:
        return `operand form ${s} is not supported by the assembler`;
    }
  }

  // Prefixes: instruction prefixes as written, segment override, address size, operand size, mandatory.
  const out: number[] = [...userPrefixes];
  if (mem && mem.seg >= 0) out.push([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65][mem.seg]!);
  if (adSize !== bits) out.push(0x67);
  const sizesByOperand = def.mnemonic16 !== undefined || storeSelector || (def.opcode & 0xfff8) === 0x0fc8 || specs.some((x) => /^[A-Z][vzp]$/.test(x) || x === 'eAX');
  // MOV m16, Sreg stores 16 bits whatever the operand size: no prefix for a memory destination.
  const sregStore = def.opcode === 0x8c && rmOperand?.kind === 'mem';
  if (sizesByOperand && opSize !== bits && !sregStore) out.push(0x66);
  if (def.prefix) out.push(def.prefix);
  if (def.opcode >= 0x0f3800) out.push(0x0f, 0x38, def.opcode & 0xff);
  else if (def.opcode >= 0x0f00) out.push(0x0f, def.opcode & 0xff);
  else out.push(def.opcode);

  const needsModrm = def.ext >= 0 || specs.some((x) => /^[EGMRSCD]([a-z]|$)/.test(x));
  if (needsModrm) {
    if (def.rm >= 0) out.push(0xc0 | (modrmReg << 3) | def.rm);
    else if (!rmOperand || rmOperand.kind === 'reg') out.push(0xc0 | (modrmReg << 3) | (rmOperand?.kind === 'reg' ? rmOperand.num : 0));
    else if (rmOperand.kind === 'mem') {
      const r = encodeMemory(rmOperand, modrmReg, adSize, ctx, unknownIsLarge);
      if (typeof r === 'string') return r;
      out.push(...r);
    }
  }
  if (moffs) pushLE(out, moffs.value, adSize / 8);
  if (far) { pushLE(out, far.off.value, opSize / 8); pushLE(out, far.seg.value, 2); }
  const relAt = out.length + tail.slice(0, rel?.slot ?? 0).reduce((a, t) => a + t.size, 0);
  for (const t of tail) pushLE(out, t.value, t.size);
  if (rel) {
    const disp = (rel.target.value - (ctx.address + out.length)) | 0;
    const inRange = disp >= -128 && disp <= 127;
    if (rel.width === 1 && (!rel.target.known ? unknownIsLarge : !inRange)) {
      const explicitShort = ops.some((o) => o.kind === 'imm' && o.jump === 'short') || def.handler === 'loop' || def.handler === 'jcxz';
      if (explicitShort && rel.target.known) return `!short jump out of range (${disp} bytes)`;
      if (unknownIsLarge || rel.target.known) return 'target out of short range';
    }
    const v = rel.width === 2 ? disp & 0xffff : disp;
    for (let k = 0; k < rel.width; k++) out[relAt + k] = (v >>> (8 * k)) & 0xff;
  }
  return out;
}

function pushLE(out: number[], value: number, bytes: number): void {
  for (let k = 0; k < bytes; k++) out.push((value >>> (8 * k)) & 0xff);
}

/** ModRM (+SIB, +displacement) for a memory operand (SDM Vol. 2 Tables 2-1, 2-2, 2-3). */
function encodeMemory(m: MemOperand, reg: number, adSize: number, ctx: EncodeContext, unknownIsLarge: boolean): number[] | string {
  const d = m.disp ? ctx.evaluate(m.disp) : { value: 0, known: true };
  const small = d.known || !unknownIsLarge;
  const out: number[] = [];
  if (adSize === 16) {
    if (m.scale !== 1) return '!16-bit addresses have no scale';
    const pair = [m.base, m.index].filter((r) => r >= 0).sort((a, b) => a - b).join(',');
    // bx=3 bp=5 si=6 di=7
    const RM16: Record<string, number> = { '3,6': 0, '3,7': 1, '5,6': 2, '5,7': 3, '6': 4, '7': 5, '5': 6, '3': 7 };
    if (pair === '') { out.push((reg << 3) | 6); pushLE(out, d.value, 2); return out; }
    const rm = RM16[pair];
    if (rm === undefined) return '!invalid 16-bit address (use bx/bp with si/di)';
    const disp = d.value;
    if (disp === 0 && small && rm !== 6) out.push((reg << 3) | rm);
    else if (small && disp >= -128 && disp <= 127) { out.push(0x40 | (reg << 3) | rm, disp & 0xff); }
    else { out.push(0x80 | (reg << 3) | rm); pushLE(out, disp, 2); }
    return out;
  }
  let base = m.base, index = m.index, scale = m.scale;
  if (index === 4) {
    if (scale !== 1 || base === 4) return '!esp cannot be an index register';
    [base, index] = [index, base];
  }
  if (base < 0 && index < 0) { out.push((reg << 3) | 5); pushLE(out, d.value, 4); return out; }
  const disp = d.value;
  let mod: number;
  if (base < 0) mod = 0;
  else if (disp === 0 && small && base !== 5) mod = 0;
  else if (small && disp >= -128 && disp <= 127) mod = 1;
  else mod = 2;
  if (index >= 0 || base === 4 || base < 0) {
    const ss = [1, 2, 4, 8].indexOf(scale);
    out.push((mod << 6) | (reg << 3) | 4, (ss << 6) | ((index >= 0 ? index : 4) << 3) | (base >= 0 ? base : 5));
  } else out.push((mod << 6) | (reg << 3) | base);
  if (base < 0 || mod === 2) pushLE(out, disp, 4);
  else if (mod === 1) out.push(disp & 0xff);
  return out;
}
