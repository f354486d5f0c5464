// Lazy arithmetic flags (as Bochs and v86 do): an ALU instruction records its operands and result;
// CF/PF/AF/ZF/SF/OF are computed only when something reads them. Undefined flags follow what the
// hardware observed by the differential tests produces (issue 3 writes the masks down).
export const LF_NONE = 0, LF_ADD = 1, LF_ADC = 2, LF_SUB = 3, LF_SBB = 4, LF_LOGIC = 5, LF_INC = 6, LF_DEC = 7;
/**
 * SHL/SAL, SHR, SAR by a masked count of 1-31 (lfSrc): recorded lazily like the ALU operations (a
 * shift's flags are usually overwritten unread); the flags are those exec/shift.ts computes eagerly.
 */
export const LF_SHL = 8, LF_SHR = 9, LF_SAR = 10;

const parity = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  parity[i] = p ? 4 : 0; // PF set when the low byte has an even number of ones
}

export interface LazyFlagState {
  eflags: number;
  lfOp: number;
  lfDst: number;
  lfSrc: number;
  lfRes: number;
  /** Operand width in bits: 8, 16 or 32. */
  lfSize: number;
  /** Carry (ADC) or borrow (SBB) that went in. */
  lfCin: number;
}

/** Computes the six arithmetic flags of the recorded operation, merged into eflags. */
export function materialize(s: LazyFlagState): number {
  const op = s.lfOp;
  if (op === LF_NONE) return s.eflags;
  const size = s.lfSize;
  const mask = size === 32 ? -1 : (1 << size) - 1;
  const sign = size === 32 ? 0x80000000 | 0 : 1 << (size - 1);
  const dst = s.lfDst, src = s.lfSrc, res = s.lfRes & mask;
  let f = s.eflags & ~(1 | 4 | 16 | 64 | 128 | 2048);
  f |= parity[res & 0xff];
  if (res === 0) f |= 64;
  if (res & sign) f |= 128;
  const u = (x: number): number => (size === 32 ? x >>> 0 : x & mask);
  switch (op) {
    case LF_ADD:
    case LF_ADC: {
      const carryIn = op === LF_ADC ? s.lfCin : 0;
      // CF: unsigned overflow of dst + src (+ carry-in).
      if (u(res) < u(dst) || (carryIn && u(res) === u(dst))) f |= 1;
      if ((dst ^ res) & (src ^ res) & sign) f |= 2048;
      f |= (dst ^ src ^ res) & 16;
      break;
    }
    case LF_SUB:
    case LF_SBB: {
      const borrowIn = op === LF_SBB ? s.lfCin : 0;
      if (u(dst) < u(src) || (borrowIn && u(dst) === u(src))) f |= 1;
      if ((dst ^ src) & (dst ^ res) & sign) f |= 2048;
      f |= (dst ^ src ^ res) & 16;
      break;
    }
    case LF_LOGIC:
      break; // CF = OF = 0; AF undefined (0, as hardware gives)
    case LF_INC:
      f |= s.eflags & 1; // CF unchanged
      if ((res & mask) === (sign & mask)) f |= 2048;
      if ((res & 0xf) === 0) f |= 16;
      break;
    case LF_DEC:
      f |= s.eflags & 1;
      if ((res & mask) === ((sign - 1) & mask)) f |= 2048;
      if ((res & 0xf) === 0xf) f |= 16;
      break;
    // Shifts (SDM Vol. 2 SAL/SAR/SHL/SHR): CF is the last bit shifted out; OF as exec/shift.ts
    // defines it (count 1: SHL MSB(result) XOR CF, SHR MSB(operand), SAR 0); AF 0.
    case LF_SHL: {
      const cf = src <= size ? (u(dst) >>> (size - src)) & 1 : 0;
      f |= cf;
      if (((res & sign) !== 0 ? 1 : 0) ^ cf) f |= 2048;
      break;
    }
    case LF_SHR:
      f |= src > size ? 0 : (u(dst) >>> (src - 1)) & 1;
      if (src === 1 && (dst & sign) !== 0) f |= 2048;
      break;
    case LF_SAR: {
      const sv = size === 32 ? dst | 0 : size === 16 ? (dst << 16) >> 16 : (dst << 24) >> 24;
      f |= src >= size ? (sv < 0 ? 1 : 0) : (sv >> (src - 1)) & 1;
      break;
    }
  }
  return f;
}

export { parity as PARITY };

/**
 * Condition codes (Jcc/SETcc/CMOVcc order, SDM Vol. 1 Table B-1) evaluated from the recorded
 * operation where that is cheap, without materializing the other flags: ZF and SF come from the
 * result for every lazy op, CF/BE/L/LE from the operands of SUB/CMP, CF from those of ADD, and
 * everything is trivial after a logic op. Other cases materialize. One small function per cc keeps
 * each call site monomorphic.
 */
export type CondFn = (s: LazyFlagState) => boolean;

const zf = (s: LazyFlagState): boolean => (s.lfOp !== LF_NONE ? (s.lfRes << (32 - s.lfSize)) === 0 : (s.eflags & 0x40) !== 0);
const sf = (s: LazyFlagState): boolean => (s.lfOp !== LF_NONE ? (s.lfRes << (32 - s.lfSize)) < 0 : (s.eflags & 0x80) !== 0);
const flags = (s: LazyFlagState): number => (s.lfOp !== LF_NONE ? materialize(s) : s.eflags);
function cf(s: LazyFlagState): boolean {
  const op = s.lfOp, sh = 32 - s.lfSize;
  if (op === LF_SUB) return (s.lfDst << sh) >>> 0 < (s.lfSrc << sh) >>> 0;
  if (op === LF_LOGIC) return false;
  if (op === LF_ADD) return (s.lfRes << sh) >>> 0 < (s.lfDst << sh) >>> 0;
  return (flags(s) & 1) !== 0;
}
function be(s: LazyFlagState): boolean {
  const op = s.lfOp, sh = 32 - s.lfSize;
  if (op === LF_SUB) return (s.lfDst << sh) >>> 0 <= (s.lfSrc << sh) >>> 0;
  if (op === LF_LOGIC) return (s.lfRes << sh) === 0;
  return (flags(s) & 0x41) !== 0;
}
function lt(s: LazyFlagState): boolean {
  const op = s.lfOp, sh = 32 - s.lfSize;
  if (op === LF_SUB) return (s.lfDst << sh) < (s.lfSrc << sh);
  if (op === LF_LOGIC) return (s.lfRes << sh) < 0;
  const f = flags(s);
  return ((f >> 7) & 1) !== ((f >> 11) & 1);
}
function le(s: LazyFlagState): boolean {
  const op = s.lfOp, sh = 32 - s.lfSize;
  if (op === LF_SUB) return (s.lfDst << sh) <= (s.lfSrc << sh);
  if (op === LF_LOGIC) return (s.lfRes << sh) <= 0;
  const f = flags(s);
  return (f & 0x40) !== 0 || ((f >> 7) & 1) !== ((f >> 11) & 1);
}
const of = (s: LazyFlagState): boolean => (s.lfOp === LF_LOGIC ? false : (flags(s) & 0x800) !== 0);
const pf = (s: LazyFlagState): boolean => (s.lfOp !== LF_NONE ? parity[s.lfRes & 0xff] !== 0 : (s.eflags & 4) !== 0);

export const COND: readonly CondFn[] = [
  of, (s) => !of(s), cf, (s) => !cf(s), zf, (s) => !zf(s), be, (s) => !be(s),
  sf, (s) => !sf(s), pf, (s) => !pf(s), lt, (s) => !lt(s), le, (s) => !le(s),
];
