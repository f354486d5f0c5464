// Integer arithmetic and logic (SDM Vol. 2: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC,
// NOT, NEG, MUL, IMUL, DIV, IDIV, CWDE, CDQ). Flags are recorded lazily (lazyFlags.ts).
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { COND, LF_ADC, LF_ADD, LF_DEC, LF_INC, LF_LOGIC, LF_SBB, LF_SUB, LF_NONE } from '../lazyFlags';
import { mask, next, signExtend, type ExecTable } from './execTypes';
import { DE } from '../regs';

function lazy(cpu: Cpu, op: number, dst: number, src: number, res: number, size: number): void {
  cpu.lfOp = op; cpu.lfDst = dst; cpu.lfSrc = src; cpu.lfRes = res; cpu.lfSize = size;
}

/** The eight ALU operations (ModRM.reg order of group 1). Returns the masked result; CMP returns dst. */
export function aluOp(cpu: Cpu, op: number, dst: number, src: number, size: number): number {
  let r: number;
  switch (op) {
    case 0: r = mask(dst + src, size); lazy(cpu, LF_ADD, dst, src, r, size); return r;
    case 1: r = mask(dst | src, size); lazy(cpu, LF_LOGIC, dst, src, r, size); return r;
    case 2: { const c = cpu.getCF(); r = mask(dst + src + c, size); cpu.lfCin = c; lazy(cpu, LF_ADC, dst, src, r, size); return r; }
    case 3: { const c = cpu.getCF(); r = mask(dst - src - c, size); cpu.lfCin = c; lazy(cpu, LF_SBB, dst, src, r, size); return r; }
    case 4: r = mask(dst & src, size); lazy(cpu, LF_LOGIC, dst, src, r, size); return r;
    case 5: r = mask(dst - src, size); lazy(cpu, LF_SUB, dst, src, r, size); return r;
    case 6: r = mask(dst ^ src, size); lazy(cpu, LF_LOGIC, dst, src, r, size); return r;
    default: r = mask(dst - src, size); lazy(cpu, LF_SUB, dst, src, r, size); return dst;
  }
}

function alu(cpu: Cpu, i: Insn): void {
  const opc = i.opcode;
  if (opc < 0x40) {
    const op = opc >> 3, form = opc & 7;
    const size = form & 1 ? i.opSize : 8;
    switch (form) {
      case 0: case 1: {
        const src = cpu.getReg(i.reg, size);
        if (i.mod === 3) {
          const r = aluOp(cpu, op, cpu.getReg(i.rm, size), src, size);
          if (op !== 7) cpu.setReg(i.rm, size, r);
        } else {
          const a = cpu.eaLinear(i, size >> 3, op !== 7);
          const r = aluOp(cpu, op, cpu.readLin(a, size), src, size);
          if (op !== 7) cpu.writeLin(a, size, r);
        }
        break;
      }
      case 2: case 3: {
        const r = aluOp(cpu, op, cpu.getReg(i.reg, size), cpu.readE(i, size), size);
        if (op !== 7) cpu.setReg(i.reg, size, r);
        break;
      }
      default: {
        const r = aluOp(cpu, op, cpu.getReg(0, size), mask(i.imm, size), size);
        if (op !== 7) cpu.setReg(0, size, r);
      }
    }
  } else {
    const size = opc === 0x80 || opc === 0x82 ? 8 : i.opSize;
    const op = i.reg;
    const src = mask(i.imm, size);
    if (i.mod === 3) {
      const r = aluOp(cpu, op, cpu.getReg(i.rm, size), src, size);
      if (op !== 7) cpu.setReg(i.rm, size, r);
    } else {
      const a = cpu.eaLinear(i, size >> 3, op !== 7);
      const r = aluOp(cpu, op, cpu.readLin(a, size), src, size);
      if (op !== 7) cpu.writeLin(a, size, r);
    }
  }
  next(cpu, i);
}

function test(cpu: Cpu, i: Insn): void {
  const opc = i.opcode;
  const size = opc === 0x84 || opc === 0xa8 || opc === 0xf6 ? 8 : i.opSize;
  let a: number, b: number;
  if (opc === 0x84 || opc === 0x85) { a = cpu.readE(i, size); b = cpu.getReg(i.reg, size); }
  else if (opc === 0xa8 || opc === 0xa9) { a = cpu.getReg(0, size); b = mask(i.imm, size); }
  else { a = cpu.readE(i, size); b = mask(i.imm, size); }
  const r = mask(a & b, size);
  lazy(cpu, LF_LOGIC, a, b, r, size);
  next(cpu, i);
}

function incDec(cpu: Cpu, size: number, v: number, dec: boolean): number {
  // INC/DEC keep CF: fold the pending operation's CF into EFLAGS (the other flags come from the result).
  if (cpu.lfOp !== LF_NONE) cpu.eflags = (cpu.eflags & ~1) | (COND[2](cpu) ? 1 : 0);
  const r = mask(dec ? v - 1 : v + 1, size);
  lazy(cpu, dec ? LF_DEC : LF_INC, v, 1, r, size);
  return r;
}
function incDecReg(dec: boolean) {
  return (cpu: Cpu, i: Insn): void => {
    const r = i.opcode & 7;
    cpu.setReg(r, i.opSize, incDec(cpu, i.opSize, cpu.getReg(r, i.opSize), dec));
    next(cpu, i);
  };
}
function incDecE(dec: boolean) {
  return (cpu: Cpu, i: Insn): void => {
    const size = i.opcode === 0xfe ? 8 : i.opSize;
    if (i.mod === 3) cpu.setReg(i.rm, size, incDec(cpu, size, cpu.getReg(i.rm, size), dec));
    else {
      const a = cpu.eaLinear(i, size >> 3, true);
      cpu.writeLin(a, size, incDec(cpu, size, cpu.readLin(a, size), dec));
    }
    next(cpu, i);
  };
}

function rmw(cpu: Cpu, i: Insn, size: number, f: (v: number) => number): void {
  if (i.mod === 3) cpu.setReg(i.rm, size, f(cpu.getReg(i.rm, size)));
  else { const a = cpu.eaLinear(i, size >> 3, true); cpu.writeLin(a, size, f(cpu.readLin(a, size))); }
}

const sizeF67 = (i: Insn): number => (i.opcode === 0xf6 ? 8 : i.opSize);

function not(cpu: Cpu, i: Insn): void {
  const size = sizeF67(i);
  rmw(cpu, i, size, (v) => mask(~v, size));
  next(cpu, i);
}
function neg(cpu: Cpu, i: Insn): void {
  const size = sizeF67(i);
  rmw(cpu, i, size, (v) => {
    const r = mask(-v, size);
    lazy(cpu, LF_SUB, 0, v, r, size);
    return r;
  });
  next(cpu, i);
}

/** Set CF and OF together (MUL/IMUL), the rest as Intel hardware leaves them (SF/ZF/PF from the low half). */
function setMulFlags(cpu: Cpu, overflow: boolean, low: number, size: number): void {
  lazy(cpu, LF_LOGIC, 0, 0, low, size);
  const f = cpu.getEflags() & ~(1 | 0x800);
  cpu.eflags = f | (overflow ? 0x801 : 0);
  cpu.lfOp = LF_NONE;
}
export { setMulFlags };

function mul(cpu: Cpu, i: Insn): void {
  const size = sizeF67(i);
  const src = cpu.readE(i, size);
  if (size === 8) {
    const r = (cpu.reg[0] & 0xff) * src;
    cpu.setReg16(0, r);
    setMulFlags(cpu, (r & 0xff00) !== 0, r & 0xff, 8);
  } else if (size === 16) {
    const r = (cpu.reg[0] & 0xffff) * src;
    cpu.setReg16(0, r); cpu.setReg16(2, r >>> 16);
    setMulFlags(cpu, (r >>> 16) !== 0, r & 0xffff, 16);
  } else {
    const a = cpu.reg[0];
    const lo = Math.imul(a, src), hi = mulHigh32u(a, src);
    cpu.reg[0] = lo; cpu.reg[2] = hi;
    setMulFlags(cpu, hi !== 0, lo, 32);
  }
  next(cpu, i);
}

/** High 32 bits of the unsigned 64-bit product a * b (16-bit limbs: exact in doubles, no BigInt). */
export function mulHigh32u(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) | 0;
}

// Results of imulFull (module state instead of a returned array: nothing allocated per instruction).
let mulLo = 0, mulHi = 0, mulOv = false;
function imulFull(a: number, b: number, size: number): void {
  if (size === 32) {
    a |= 0; b |= 0;
    mulLo = Math.imul(a, b);
    // Signed high half: the unsigned one minus the operands' sign corrections (mod 2^32).
    mulHi = (mulHigh32u(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
    // The double product is exact when it fits in 32 bits, and at least 2^31 in magnitude otherwise.
    mulOv = a * b !== mulLo;
    return;
  }
  const r = signExtend(a, size) * signExtend(b, size);
  mulLo = mask(r, size);
  mulHi = mask(r >> size, size);
  mulOv = signExtend(mulLo, size) !== r;
}
function imul1(cpu: Cpu, i: Insn): void {
  const size = sizeF67(i);
  imulFull(cpu.getReg(0, size), cpu.readE(i, size), size);
  const lo = mulLo, hi = mulHi;
  if (size === 8) cpu.setReg16(0, (lo & 0xff) | ((hi & 0xff) << 8));
  else { cpu.setReg(0, size, lo); cpu.setReg(2, size, hi); }
  setMulFlags(cpu, mulOv, lo, size);
  next(cpu, i);
}
function imul2(cpu: Cpu, i: Insn): void {
  const size = i.opSize;
  imulFull(cpu.getReg(i.reg, size), cpu.readE(i, size), size);
  cpu.setReg(i.reg, size, mulLo);
  setMulFlags(cpu, mulOv, mulLo, size);
  next(cpu, i);
}
function imul3(cpu: Cpu, i: Insn): void {
  const size = i.opSize;
  imulFull(cpu.readE(i, size), mask(i.imm, size), size);
  cpu.setReg(i.reg, size, mulLo);
  setMulFlags(cpu, mulOv, mulLo, size);
  next(cpu, i);
}

function div(cpu: Cpu, i: Insn): void {
  const size = sizeF67(i);
  const d = cpu.readE(i, size) >>> 0;
  if (d === 0) cpu.raise(DE);
  if (size === 8) {
    const n = cpu.reg[0] & 0xffff;
    const q = Math.floor(n / d);
    if (q > 0xff) cpu.raise(DE);
    cpu.setReg16(0, q | ((n % d) << 8));
  } else if (size === 16) {
    const n = ((cpu.reg[2] & 0xffff) * 65536) + (cpu.reg[0] & 0xffff);
    const q = Math.floor(n / d);
    if (q > 0xffff) cpu.raise(DE);
    cpu.setReg16(0, q); cpu.setReg16(2, n % d);
  } else if ((cpu.reg[2] >>> 0) < 0x100000) {
    // EDX:EAX below 2^52: exact in a double, and so is q * d. The rounded division can overshoot by one.
    const n = (cpu.reg[2] >>> 0) * 4294967296 + (cpu.reg[0] >>> 0);
    let q = Math.floor(n / d), r = n - q * d;
    if (r < 0) { q--; r += d; }
    if (q > 0xffffffff) cpu.raise(DE);
    cpu.reg[0] = q | 0; cpu.reg[2] = r | 0;
  } else {
    const n = (BigInt(cpu.reg[2] >>> 0) << 32n) | BigInt(cpu.reg[0] >>> 0);
    const q = n / BigInt(d);
    if (q > 0xffffffffn) cpu.raise(DE);
    cpu.reg[0] = Number(q) | 0; cpu.reg[2] = Number(n % BigInt(d)) | 0;
  }
  next(cpu, i);
}
function idiv(cpu: Cpu, i: Insn): void {
  const size = sizeF67(i);
  const d = signExtend(cpu.readE(i, size), size);
  if (d === 0) cpu.raise(DE);
  if (size === 32) {
    const n = (BigInt(cpu.reg[2]) << 32n) | BigInt(cpu.reg[0] >>> 0);
    const q = n / BigInt(d); // BigInt division truncates toward zero, as IDIV does
    if (q > 0x7fffffffn || q < -0x80000000n) cpu.raise(DE);
    cpu.reg[0] = Number(q) | 0; cpu.reg[2] = Number(n - q * BigInt(d)) | 0;
  } else {
    const n = size === 8 ? (cpu.reg[0] << 16) >> 16 : ((cpu.reg[2] & 0xffff) << 16) | (cpu.reg[0] & 0xffff);
    const q = Math.trunc(n / d);
    const lim = size === 8 ? 0x80 : 0x8000;
    if (q >= lim || q < -lim) cpu.raise(DE);
    const r = n - q * d;
    if (size === 8) cpu.setReg16(0, (q & 0xff) | ((r & 0xff) << 8));
    else { cpu.setReg16(0, q); cpu.setReg16(2, r); }
  }
  next(cpu, i);
}

function cwde(cpu: Cpu, i: Insn): void {
  if (i.opSize === 32) cpu.reg[0] = (cpu.reg[0] << 16) >> 16;
  else cpu.setReg16(0, (cpu.reg[0] << 24) >> 24);
  next(cpu, i);
}
function cdq(cpu: Cpu, i: Insn): void {
  if (i.opSize === 32) cpu.reg[2] = cpu.reg[0] >> 31;
  else cpu.setReg16(2, (cpu.reg[0] << 16) >> 31);
  next(cpu, i);
}

export const aluExec: ExecTable = {
  alu, test, incReg: incDecReg(false), decReg: incDecReg(true), incE: incDecE(false), decE: incDecE(true),
  not, neg, mul, imul1, imul2, imul3, div, idiv, cwde, cdq,
};
