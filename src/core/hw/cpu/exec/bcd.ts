// Decimal and ASCII adjust (SDM Vol. 2: DAA, DAS, AAA, AAS, AAM, AAD), following the SDM's
// Operation pseudocode. Flags are written eagerly. The SDM leaves some flags undefined (the opcode
// table's `undefinedFlags`); what this CPU writes for them is in docs/cpu/undefinedFlags.md.
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { LF_ADD, LF_LOGIC, PARITY } from '../lazyFlags';
import { next, type ExecTable } from './execTypes';
import { DE } from '../regs';

const CF = 1, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;

/** Write CF/AF as given, SF/ZF/PF from the byte result, OF cleared. */
function setFlags(cpu: Cpu, al: number, cf: boolean, af: boolean): void {
  let f = cpu.getEflags() & ~(CF | 4 | AF | ZF | SF | OF);
  f |= PARITY[al & 0xff];
  if ((al & 0xff) === 0) f |= ZF;
  if (al & 0x80) f |= SF;
  if (cf) f |= CF;
  if (af) f |= AF;
  cpu.setEflags(f);
}

/** DAA (SDM Vol. 2 "DAA—Decimal Adjust AL after Addition"). */
function daa(cpu: Cpu, i: Insn): void {
  const f = cpu.getEflags();
  const oldAl = cpu.reg[0] & 0xff, oldCf = (f & CF) !== 0;
  let al = oldAl, af = false, cf = false;
  if ((al & 0x0f) > 9 || (f & AF)) { al = (al + 6) & 0xff; af = true; }
  if (oldAl > 0x99 || oldCf) { al = (al + 0x60) & 0xff; cf = true; }
  cpu.setReg8(0, al);
  setFlags(cpu, al, cf, af);
  next(cpu, i);
}

/** DAS: unlike DAA, the borrow of the low-nibble step is kept in CF (SDM pseudocode). */
function das(cpu: Cpu, i: Insn): void {
  const f = cpu.getEflags();
  const oldAl = cpu.reg[0] & 0xff, oldCf = (f & CF) !== 0;
  let al = oldAl, af = false, cf = false;
  if ((al & 0x0f) > 9 || (f & AF)) { cf = oldCf || al < 6; al = (al - 6) & 0xff; af = true; }
  if (oldAl > 0x99 || oldCf) { al = (al - 0x60) & 0xff; cf = true; }
  cpu.setReg8(0, al);
  setFlags(cpu, al, cf, af);
  next(cpu, i);
}

/** AAA: AX ← AX + 106H (the carry out of AL reaches AH, as on P6 and later), AL ← AL AND 0FH. */
function aaa(cpu: Cpu, i: Insn): void {
  const f = cpu.getEflags();
  let ax = cpu.reg[0] & 0xffff;
  const adjust = (ax & 0x0f) > 9 || (f & AF) !== 0;
  if (adjust) ax = (ax + 0x106) & 0xffff;
  ax &= 0xff0f;
  cpu.setReg16(0, ax);
  setFlags(cpu, ax, adjust, adjust);
  next(cpu, i);
}

/** AAS: AX ← AX − 6 (the borrow reaches AH), AH ← AH − 1, AL ← AL AND 0FH. */
function aas(cpu: Cpu, i: Insn): void {
  const f = cpu.getEflags();
  let ax = cpu.reg[0] & 0xffff;
  const adjust = (ax & 0x0f) > 9 || (f & AF) !== 0;
  if (adjust) ax = (ax - 6 - 0x100) & 0xffff;
  ax &= 0xff0f;
  cpu.setReg16(0, ax);
  setFlags(cpu, ax, adjust, adjust);
  next(cpu, i);
}

/** AAM imm8: AH ← AL / imm8, AL ← AL MOD imm8; #DE when imm8 = 0. CF/OF/AF (undefined) come out 0. */
function aam(cpu: Cpu, i: Insn): void {
  const base = i.imm & 0xff;
  if (base === 0) cpu.raise(DE);
  const al = cpu.reg[0] & 0xff;
  const r = al % base;
  cpu.setReg16(0, (Math.floor(al / base) << 8) | r);
  cpu.lfOp = LF_LOGIC; cpu.lfDst = r; cpu.lfSrc = 0; cpu.lfRes = r; cpu.lfSize = 8;
  next(cpu, i);
}

/**
 * AAD imm8: AL ← (AL + AH × imm8) AND FFH, AH ← 0. The undefined CF/OF/AF are those of the 8-bit
 * addition AL + (AH × imm8), which is how the adjustment is computed.
 */
function aad(cpu: Cpu, i: Insn): void {
  const al = cpu.reg[0] & 0xff, ah = (cpu.reg[0] >> 8) & 0xff;
  const prod = (ah * (i.imm & 0xff)) & 0xff;
  const r = (al + prod) & 0xff;
  cpu.setReg16(0, r);
  cpu.lfOp = LF_ADD; cpu.lfDst = al; cpu.lfSrc = prod; cpu.lfRes = r; cpu.lfSize = 8;
  next(cpu, i);
}

export const bcdExec: ExecTable = { daa, das, aaa, aas, aam, aad };
