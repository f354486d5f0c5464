// Which EFLAGS bits a differential case compares: the six arithmetic flags and DF, minus the flags
// the SDM leaves undefined for this instruction (the opcode table's `undefinedFlags`, refined by the
// count rules of shifts and rotates, docs/cpu/undefinedFlags.md).
import type { OpcodeDef } from '../../src/core/isa/opcodeTable';

const BITS: Record<string, number> = { CF: 1, PF: 4, AF: 0x10, ZF: 0x40, SF: 0x80, OF: 0x800 };
export const COMPARED = 0x8d5 | 0x400;

export function flagBits(names: string): number {
  let m = 0;
  for (const n of names.split(/\s+/)) if (n) {
    if (!(n in BITS)) throw new Error(`unknown flag name ${n}`);
    m |= BITS[n];
  }
  return m;
}

/** Undefined-flag mask for one execution: `size` is the operand size, `count` the shift count as encoded (or -1). */
export function undefinedMask(def: OpcodeDef, size: number, count: number): number {
  let m = flagBits(def.undefinedFlags ?? '');
  if (def.handler === 'shift' || def.handler === 'shld' || def.handler === 'shrd') {
    const c = count & 31;
    if (c === 0) return 0; // a zero count changes no flag (SDM Vol. 2 SAL/SAR/SHL/SHR, ROL/ROR, SHLD)
    if (c === 1) m &= ~BITS.OF; // OF is defined for 1-bit shifts and rotates
    if ((def.mnemonic === 'shl' || def.mnemonic === 'sal' || def.mnemonic === 'shr') && c >= size) m |= BITS.CF;
  }
  return m;
}
