// LAR, LSL, VERR, VERW (SDM Vol. 2): descriptor queries that report through ZF instead of faulting.
// They are Popek-Goldberg violators: the answer depends on the real CPL and the real descriptors.
// A selector that is null, beyond the table limit, of the wrong type or not accessible at the
// current CPL/RPL gives ZF = 0 and leaves the destination unchanged.
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { next, type ExecTable } from './execTypes';
import { AR_S, LDTR, AR_UNUSABLE, ZF } from '../regs';

/** The descriptor's two dwords, or undefined when the selector is null or beyond its table's limit. */
function descriptorOf(cpu: Cpu, sel: number): [number, number] | undefined {
  if ((sel & 0xfffc) === 0) return undefined;
  const ti = sel & 4;
  if (ti && (cpu.segAr[LDTR] & AR_UNUSABLE)) return undefined;
  const limit = ti ? cpu.segLimit[LDTR] : cpu.gdtrLimit;
  if ((sel & 0xfff8) + 7 > (limit >>> 0)) return undefined;
  return cpu.readDescriptor(sel);
}

/** Privilege check shared by all four: conforming code segments skip it (LAR/LSL/VERR). */
function visible(cpu: Cpu, sel: number, hi: number): boolean {
  const s = (hi >> 12) & 1, type = (hi >> 8) & 0xf, dpl = (hi >> 13) & 3;
  const conformingCode = s === 1 && (type & 0xc) === 0xc;
  return conformingCode || (dpl >= cpu.cpl && dpl >= (sel & 3));
}

function setZf(cpu: Cpu, on: boolean): void {
  const f = cpu.getEflags();
  cpu.setEflags(on ? f | ZF : f & ~ZF);
}

function selectorOperand(cpu: Cpu, i: Insn): number {
  if (!cpu.protectedMode) cpu.raiseUD();
  return cpu.readE(i, 16) & 0xffff;
}

// System-descriptor types LAR accepts: TSS (available/busy, 16/32), LDT, call gates, task gate.
const LAR_SYSTEM = new Set([1, 2, 3, 4, 5, 9, 0xb, 0xc]);
// LSL: only descriptors with a limit (TSS and LDT).
const LSL_SYSTEM = new Set([1, 2, 3, 9, 0xb]);

function lar(cpu: Cpu, i: Insn): void {
  const sel = selectorOperand(cpu, i);
  const d = descriptorOf(cpu, sel);
  const ok = d !== undefined && ((d[1] & 0x1000) !== 0 || LAR_SYSTEM.has((d[1] >> 8) & 0xf)) && visible(cpu, sel, d[1]);
  if (ok) cpu.setReg(i.reg, i.opSize, i.opSize === 32 ? d[1] & 0x00f0ff00 : d[1] & 0xff00);
  setZf(cpu, ok);
  next(cpu, i);
}

function lsl(cpu: Cpu, i: Insn): void {
  const sel = selectorOperand(cpu, i);
  const d = descriptorOf(cpu, sel);
  const ok = d !== undefined && ((d[1] & 0x1000) !== 0 || LSL_SYSTEM.has((d[1] >> 8) & 0xf)) && visible(cpu, sel, d[1]);
  if (ok) {
    const raw = (d[0] & 0xffff) | (d[1] & 0xf0000);
    const limit = d[1] & 0x800000 ? (raw << 12) | 0xfff : raw;
    cpu.setReg(i.reg, i.opSize, limit);
  }
  setZf(cpu, ok);
  next(cpu, i);
}

function verr(cpu: Cpu, i: Insn): void {
  const sel = selectorOperand(cpu, i);
  const d = descriptorOf(cpu, sel);
  const ar = d ? (d[1] >> 8) & 0xff : 0;
  // Readable: any data segment; code segments with R = 1 (type bit 1).
  const ok = d !== undefined && (ar & AR_S) !== 0 && (!(ar & 8) || (ar & 2) !== 0) && visible(cpu, sel, d[1]);
  setZf(cpu, ok);
  next(cpu, i);
}

function verw(cpu: Cpu, i: Insn): void {
  const sel = selectorOperand(cpu, i);
  const d = descriptorOf(cpu, sel);
  const ar = d ? (d[1] >> 8) & 0xff : 0;
  // Writable: data segments with W = 1 only; the privilege check always applies.
  const dpl = (ar >> 5) & 3;
  const ok = d !== undefined && (ar & AR_S) !== 0 && !(ar & 8) && (ar & 2) !== 0 && dpl >= cpu.cpl && dpl >= (sel & 3);
  setZf(cpu, ok);
  next(cpu, i);
}

export const descriptorCheckExec: ExecTable = { lar, lsl, verr, verw };
