// Monomorphic handlers (issue 3 "Speed"): at decode time each instruction gets a small function for
// exactly its form (operation, operand size, register or memory operand, code size), so the run loop
// calls `i.exec(cpu, i)` with no switch on size or form and no closure per call.
//
// The handlers are generated from source templates, once per form (a form is identified by its
// generated source, which reads the varying fields from `i`: i.rm, i.reg, i.imm, i.length). The same
// templates take literals instead of `i.*` field reads, which is what a block translator needs to
// compile a straight-line run of decoded instructions into one function (`Fields`).
// Instructions without a template keep the generic handler of the opcode table's entry.
import type { Insn } from '../../../isa/insn';
import type { ExecFn } from './execTypes';
import { COND, LF_ADC, LF_ADD, LF_DEC, LF_INC, LF_LOGIC, LF_SAR, LF_SBB, LF_SHL, LF_SHR, LF_SUB } from '../lazyFlags';
import { shiftOp } from './shift';

/** How a template names an instruction's varying fields: `i.rm` (a handler per form) or literals (one instruction). */
export interface Fields {
  rm: string; reg: string; imm: string; len: string;
}
export const FORM_FIELDS: Fields = { rm: 'i.rm', reg: 'i.reg', imm: 'i.imm', len: 'i.length' };

/** What generated code may use besides `cpu`, `i` and `R` (= cpu.reg). */
export const ENV = { COND, shiftOp, cfOf: COND[2] };

const isLit = (s: string): boolean => /^-?\d+$/.test(s);
const m = (size: number, e: string): string =>
  size === 32 ? `((${e}) | 0)` : size === 16 ? `((${e}) & 0xffff)` : `((${e}) & 0xff)`;

function getR(size: number, r: string): string {
  if (size === 32) return `R[${r}]`;
  if (size === 16) return `(R[${r}] & 0xffff)`;
  if (isLit(r)) { const n = +r; return n < 4 ? `(R[${n}] & 0xff)` : `((R[${n - 4}] >> 8) & 0xff)`; }
  return `cpu.getReg8(${r})`;
}
function setR(size: number, r: string, v: string): string {
  if (size === 32) return `R[${r}] = ${v};`;
  if (size === 16) return `R[${r}] = (R[${r}] & -65536) | ((${v}) & 0xffff);`;
  if (isLit(r)) {
    const n = +r;
    return n < 4 ? `R[${n}] = (R[${n}] & -256) | ((${v}) & 0xff);` : `R[${n - 4}] = (R[${n - 4}] & -65281) | (((${v}) & 0xff) << 8);`;
  }
  return `cpu.setReg8(${r}, ${v});`;
}
/**
 * How generated code records and reads the arithmetic flags. Handlers store the lazy-flag record in
 * the Cpu (lazyFlags.ts); a translated block keeps it in locals and stores it only where something
 * can observe it (exec/blockFlags.ts), which also lets a Jcc after a CMP compare the operands directly.
 */
export interface FlagOps {
  /** Record the flags of operation `op` (LF_*) with operand/result expressions (masked) of `size` bits. */
  set(op: number, d: string, s: string, r: string, size: number): string;
  /** Expression: condition `cc` (Jcc/SETcc order, SDM Vol. 1 Table B-1) holds. */
  cond(cc: number): string;
  /** Expression: CF as 0 or 1 (INC/DEC keep it). */
  cf(): string;
  /** Code that makes the Cpu's own flag record current: the template then uses the Cpu's flags directly. */
  direct(): string;
}
const lazy = (op: number, d: string, s: string, r: string, size: number): string =>
  `cpu.lfOp = ${op}; cpu.lfDst = ${d}; cpu.lfSrc = ${s}; cpu.lfRes = ${r}; cpu.lfSize = ${size};`;
/** Handlers: the lazy-flag record lives in the Cpu. */
export const CPU_FLAGS: FlagOps = {
  set: lazy,
  cond: (cc) => `ENV.COND[${cc}](cpu)`,
  cf: () => '(cpu.lfOp !== 0 ? (ENV.cfOf(cpu) ? 1 : 0) : cpu.eflags & 1)',
  direct: () => '',
};

/** Code computing `r` from masked operands `d` and `s` for ALU operation `op` (group-1 order). */
function aluCompute(op: number, size: number, F: FlagOps): string {
  switch (op) {
    case 0: return `const r = ${m(size, 'd + s')};`;
    case 1: return `const r = ${m(size, 'd | s')};`;
    case 2: return `${F.direct()} const c = cpu.getCF(); const r = ${m(size, 'd + s + c')};`;
    case 3: return `${F.direct()} const c = cpu.getCF(); const r = ${m(size, 'd - s - c')};`;
    case 4: return `const r = ${m(size, 'd & s')};`;
    case 6: return `const r = ${m(size, 'd ^ s')};`;
    default: return `const r = ${m(size, 'd - s')};`; // SUB, CMP
  }
}
/**
 * Code recording the flags of ALU operation `op`. Templates emit it after the destination is
 * written, so a write that faults leaves EFLAGS as they were (the instruction restarts, SDM Vol. 3A
 * 6.5). Generated code is built strictly in execution order (block flag tracking depends on it).
 */
function aluFlags(op: number, size: number, F: FlagOps): string {
  switch (op) {
    case 0: return F.set(LF_ADD, 'd', 's', 'r', size);
    case 2: return `cpu.lfCin = c; ${lazy(LF_ADC, 'd', 's', 'r', size)}`;
    case 3: return `cpu.lfCin = c; ${lazy(LF_SBB, 'd', 's', 'r', size)}`;
    case 1: case 4: case 6: return F.set(LF_LOGIC, 'd', 's', 'r', size);
    default: return F.set(LF_SUB, 'd', 's', 'r', size);
  }
}

/** How generated code reads and writes linear memory: method calls, or inlined TLB hits (blocks). */
export interface MemOps {
  read(size: number, a: string): string;
  write(size: number, a: string, v: string): string;
}
export const CALL_MEM: MemOps = {
  read: (size, a) => `cpu.readLin${size}(${a})`,
  write: (size, a, v) => `cpu.writeLin${size}(${a}, ${v});`,
};
/** Code that moves EIP past the instruction (code size fixed at decode time). */
const next = (cs: number, f: Fields): string => `cpu.eip = (cpu.eip + ${f.len}) ${cs === 32 ? '| 0' : '& 0xffff'};`;
/** Near jump to `t` (an expression), operand size `size`: #GP(0) beyond the CS limit (protected mode). */
const jumpTo = (size: number, t: string): string =>
  `{ const t = ${size === 16 ? `(${t}) & 0xffff` : `(${t}) | 0`}; if ((t >>> 0) > (cpu.segLimit[1] >>> 0) && cpu.protectedMode) cpu.raiseGP(0); cpu.eip = t; }`;

/**
 * The source of a handler body for `i`, or null when there is no template for its form. `f` names
 * the fields; `ea(bytes, write)` is the expression of the memory operand's linear address (`write`:
 * a destination, so the segment must be writable); `mem` and `F`
 * say how memory and flags are accessed. The pieces are generated in execution order.
 */
export function template(i: Insn, f: Fields, ea: (bytes: number, write?: boolean) => string, eaOff: () => string, mem: MemOps = CALL_MEM, F: FlagOps = CPU_FLAGS): string | null {
  const rd = mem.read, wr = mem.write;
  const o = i.opcode, cs = i.decodedFor, os = i.opSize, reg3 = i.mod === 3;
  const h = i.def.handler;
  const nx = next(cs, f);
  const rdE = (size: number): string => (reg3 ? getR(size, f.rm) : rd(size, ea(size >> 3)));
  switch (h) {
    case 'alu': {
      if (o < 0x40) {
        const op = o >> 3, form = o & 7, size = form & 1 ? os : 8;
        const wb = op !== 7;
        if (form <= 1) {
          if (reg3) return `const s = ${getR(size, f.reg)}, d = ${getR(size, f.rm)}; ${aluCompute(op, size, F)} ${wb ? setR(size, f.rm, 'r') : ''} ${aluFlags(op, size, F)} ${nx}`;
          return `const s = ${getR(size, f.reg)}, a = ${ea(size >> 3, wb)}, d = ${rd(size, 'a')}; ${aluCompute(op, size, F)} ${wb ? wr(size, 'a', 'r') : ''} ${aluFlags(op, size, F)} ${nx}`;
        }
        if (form <= 3) return `const d = ${getR(size, f.reg)}, s = ${rdE(size)}; ${aluCompute(op, size, F)} ${wb ? setR(size, f.reg, 'r') : ''} ${aluFlags(op, size, F)} ${nx}`;
        if (form <= 5) return `const d = ${getR(size, '0')}, s = ${m(size, f.imm)}; ${aluCompute(op, size, F)} ${wb ? setR(size, '0', 'r') : ''} ${aluFlags(op, size, F)} ${nx}`;
        return null;
      }
      const size = o === 0x80 || o === 0x82 ? 8 : os;
      const op = i.reg, wb = op !== 7;
      if (reg3) return `const s = ${m(size, f.imm)}, d = ${getR(size, f.rm)}; ${aluCompute(op, size, F)} ${wb ? setR(size, f.rm, 'r') : ''} ${aluFlags(op, size, F)} ${nx}`;
      return `const s = ${m(size, f.imm)}, a = ${ea(size >> 3, wb)}, d = ${rd(size, 'a')}; ${aluCompute(op, size, F)} ${wb ? wr(size, 'a', 'r') : ''} ${aluFlags(op, size, F)} ${nx}`;
    }
    case 'test': {
      const size = o === 0x84 || o === 0xa8 || o === 0xf6 ? 8 : os;
      if (o === 0x84 || o === 0x85) return `const d = ${rdE(size)}, s = ${getR(size, f.reg)}; const r = ${m(size, 'd & s')}; ${F.set(LF_LOGIC, 'd', 's', 'r', size)} ${nx}`;
      if (o === 0xa8 || o === 0xa9) return `const d = ${getR(size, '0')}, s = ${m(size, f.imm)}; const r = ${m(size, 'd & s')}; ${F.set(LF_LOGIC, 'd', 's', 'r', size)} ${nx}`;
      return `const d = ${rdE(size)}, s = ${m(size, f.imm)}; const r = ${m(size, 'd & s')}; ${F.set(LF_LOGIC, 'd', 's', 'r', size)} ${nx}`;
    }
    case 'incReg': case 'decReg': case 'incE': case 'decE': {
      const dec = h === 'decReg' || h === 'decE';
      const size = o === 0xfe ? 8 : os;
      const calc = `const r = ${m(size, dec ? 'v - 1' : 'v + 1')};`;
      // INC/DEC keep CF: fold the pending operation's CF into EFLAGS (the other flags come from the result).
      const keepCf = (): string => `cpu.eflags = (cpu.eflags & -2) | ${F.cf()};`;
      const flags = (): string => F.set(dec ? LF_DEC : LF_INC, 'v', '1', 'r', size);
      if (h === 'incReg' || h === 'decReg') { const r = String(o & 7); return `const v = ${getR(size, r)}; ${calc} ${setR(size, r, 'r')} ${keepCf()} ${flags()} ${nx}`; }
      if (reg3) return `const v = ${getR(size, f.rm)}; ${calc} ${setR(size, f.rm, 'r')} ${keepCf()} ${flags()} ${nx}`;
      return `const a = ${ea(size >> 3, true)}, v = ${rd(size, 'a')}; ${calc} ${wr(size, 'a', 'r')} ${keepCf()} ${flags()} ${nx}`;
    }
    case 'mov': {
      const size = o === 0x88 || o === 0x8a || o === 0xc6 ? 8 : os;
      const src = o === 0x88 || o === 0x89 ? getR(size, f.reg) : o === 0x8a || o === 0x8b ? null : f.imm;
      if (src === null) return `const v = ${rdE(size)}; ${setR(size, f.reg, 'v')} ${nx}`;
      if (reg3) return `${setR(size, f.rm, src)} ${nx}`;
      return `const a = ${ea(size >> 3, true)}; ${wr(size, 'a', src)} ${nx}`;
    }
    case 'movRegImm':
      return `${setR(o < 0xb8 ? 8 : os, String(o & 7), f.imm)} ${nx}`;
    case 'movzx': case 'movsx': {
      const s = o === 0x0fb6 || o === 0x0fbe ? 8 : 16;
      const v = h === 'movzx' ? rdE(s) : s === 8 ? `((${rdE(s)}) << 24) >> 24` : `((${rdE(s)}) << 16) >> 16`;
      return `const v = ${v}; ${setR(os, f.reg, 'v')} ${nx}`;
    }
    case 'lea':
      return `${setR(os, f.reg, eaOff())} ${nx}`;
    case 'pushReg':
      return `cpu.push(${os}, ${getR(os, String(o & 7))}); ${nx}`;
    case 'popReg':
      return `const v = cpu.pop(${os}); ${setR(os, String(o & 7), 'v')} ${nx}`;
    case 'pushImm':
      return `cpu.push(${os}, ${f.imm}); ${nx}`;
    case 'setcc':
      if (reg3) return `const v = ${F.cond(o & 15)} ? 1 : 0; ${setR(8, f.rm, 'v')} ${nx}`;
      return `const a = ${ea(1, true)}, v = ${F.cond(o & 15)} ? 1 : 0; ${wr(8, 'a', 'v')} ${nx}`;
    case 'cmovcc':
      return `const v = ${rdE(os)}; if (${F.cond(o & 15)}) { ${setR(os, f.reg, 'v')} } ${nx}`;
    case 'shift': {
      const size = o === 0xc0 || o === 0xd0 || o === 0xd2 ? 8 : os;
      const count = o === 0xd0 || o === 0xd1 ? '1' : o === 0xd2 || o === 0xd3 ? '(R[1] & 31)' : `(${f.imm} & 31)`;
      if (i.reg >= 4) {
        // SHL/SAL, SHR, SAR: result inline, flags recorded lazily (LF_SHL/LF_SHR/LF_SAR; count 0 changes nothing).
        const op = i.reg === 5 ? LF_SHR : i.reg === 7 ? LF_SAR : LF_SHL;
        const sv = size === 32 ? 'v' : size === 16 ? '((v << 16) >> 16)' : '((v << 24) >> 24)';
        const res = m(size, op === LF_SHL ? 'v << n' : op === LF_SHR ? 'v >>> n' : `${sv} >> n`);
        const lit = count === '1' || /^\(-?\d+ & 31\)$/.test(count) ? Number(count === '1' ? 1 : count.slice(1, -5)) & 31 : -1;
        if (lit === 0) return reg3 ? nx : `const a = ${ea(size >> 3)}, v = ${rd(size, 'a')}; ${nx}`;
        if (lit > 0) {
          if (reg3) return `const n = ${lit}, v = ${getR(size, f.rm)}, r = ${res}; ${setR(size, f.rm, 'r')} ${F.set(op, 'v', 'n', 'r', size)} ${nx}`;
          return `const n = ${lit}, a = ${ea(size >> 3, true)}, v = ${rd(size, 'a')}, r = ${res}; ${wr(size, 'a', 'r')} ${F.set(op, 'v', 'n', 'r', size)} ${nx}`;
        }
        // A count known only at run time (CL, or i.imm in a handler): the Cpu's record, set when n !== 0.
        if (reg3) return `${F.direct()} const n = ${count}; if (n !== 0) { const v = ${getR(size, f.rm)}, r = ${res}; ${setR(size, f.rm, 'r')} ${lazy(op, 'v', 'n', 'r', size)} } ${nx}`;
        return `${F.direct()} const n = ${count}, a = ${ea(size >> 3, true)}, v = ${rd(size, 'a')}; if (n !== 0) { const r = ${res}; ${wr(size, 'a', 'r')} ${lazy(op, 'v', 'n', 'r', size)} } ${nx}`;
      }
      if (reg3) return `${F.direct()} const n = ${count}; if (n !== 0) { const v = ${getR(size, f.rm)}; ${setR(size, f.rm, `ENV.shiftOp(cpu, ${i.reg}, v, n, ${size})`)} } ${nx}`;
      // The operand is written back (unchanged) before the flags change, so a write fault leaves EFLAGS intact.
      return `${F.direct()} const n = ${count}, a = ${ea(size >> 3, true)}, v = ${rd(size, 'a')}; if (n !== 0) { ${wr(size, 'a', 'v')} const r = ENV.shiftOp(cpu, ${i.reg}, v, n, ${size}); ${wr(size, 'a', 'r')} } ${nx}`;
    }
    case 'jcc':
      return `if (${F.cond(o & 15)}) ${jumpTo(os, `cpu.eip + ${f.len} + ${f.imm}`)} else ${nx}`;
    case 'jmpRel':
      return jumpTo(os, `cpu.eip + ${f.len} + ${f.imm}`);
    case 'callRel':
      return `const ret = (cpu.eip + ${f.len}) | 0; const t = ${os === 16 ? `(ret + ${f.imm}) & 0xffff` : `(ret + ${f.imm}) | 0`}; if ((t >>> 0) > (cpu.segLimit[1] >>> 0) && cpu.protectedMode) cpu.raiseGP(0); cpu.push(${os}, ret); cpu.eip = t;`;
    case 'retNear': {
      if (o !== 0xc3) return null;
      return `const sp = R[4]; const t = ${os === 16 ? 'cpu.pop(16) & 0xffff' : 'cpu.pop(32)'}; if ((t >>> 0) > (cpu.segLimit[1] >>> 0) && cpu.protectedMode) { R[4] = sp; cpu.raiseGP(0); } cpu.eip = t;`;
    }
    case 'nop':
      return nx;
    default:
      return null;
  }
}

/** Handlers the CPU's fast loop may run (see Insn.fast): they change none of the state the loop hoists. */
const FAST = new Set([
  'alu', 'test', 'incReg', 'decReg', 'incE', 'decE', 'not', 'neg', 'mul', 'imul1', 'imul2', 'imul3', 'div', 'idiv', 'cwde', 'cdq',
  'mov', 'movRegImm', 'movMoffs', 'movzx', 'movsx', 'lea', 'xchg', 'xchgAcc', 'pushReg', 'popReg', 'pushImm', 'pushE', 'popE',
  'pusha', 'popa', 'bswap', 'lahf', 'sahf', 'setcc', 'cmovcc', 'xlat', 'cmpxchg', 'cmpxchg8b', 'xadd', 'bt', 'bsf', 'bsr', 'nop',
  'salc', 'clc', 'stc', 'cmc', 'cld', 'std', 'shift', 'shld', 'shrd', 'daa', 'das', 'aaa', 'aas', 'aam', 'aad',
  'movs', 'stos', 'lods', 'cmps', 'scas', 'jcc', 'jmpRel', 'callRel', 'retNear', 'jmpInd', 'callInd', 'loop', 'jcxz', 'enter', 'leave',
]);
export function isFastHandler(i: Insn): boolean {
  const d = i.def;
  return FAST.has(d.handler) && !d.privileged && !d.exit && !d.iopl;
}

const compiled = new Map<string, ExecFn>();
let serial = 0;

/** Compile a handler body (cached by its source: one function per form). */
export function compile(body: string, name: string): ExecFn {
  let fn = compiled.get(body);
  if (fn === undefined) {
    fn = new Function('ENV', `return function ${name}_${serial++}(cpu, i) { const R = cpu.reg; ${body} };`)(ENV) as ExecFn;
    compiled.set(body, fn);
  }
  return fn;
}

/** The handler for `i`: a compiled one for its form when a template exists, else `generic`. */
export function specializeInsn(i: Insn, generic: ExecFn): ExecFn {
  const body = template(i, FORM_FIELDS, (bytes, write) => `cpu.eaLinear(i, ${bytes}${write ? ', true' : ''})`, () => 'cpu.eaOffset(i)');
  return body === null ? generic : compile(body, i.def.handler);
}
