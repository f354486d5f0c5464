// String instructions (SDM Vol. 2: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS) with REP/REPE/REPNE.
// A REP instruction executes one iteration per step and stays at the same EIP until eCX reaches 0,
// so it can be interrupted, faulted, single-stepped and VM-exited between iterations exactly as
// hardware allows (SDM Vol. 1 7.3.9.1, Vol. 3A 6.8).
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { aluOp } from './alu';
import { next, type ExecTable } from './execTypes';
import { DS, ES } from '../regs';
import { checkIoBreakpoints } from '../debugExceptions';

const elemSize = (i: Insn): number => ((i.opcode & 1) === 0 ? 8 : i.opSize);

function countReg(cpu: Cpu, i: Insn): number { return i.adSize === 32 ? cpu.reg[1] : cpu.reg[1] & 0xffff; }
function decCount(cpu: Cpu, i: Insn): number {
  if (i.adSize === 32) return (cpu.reg[1] = (cpu.reg[1] - 1) | 0);
  cpu.setReg16(1, cpu.reg[1] - 1);
  return cpu.reg[1] & 0xffff;
}
function step(cpu: Cpu, i: Insn, r: number, bytes: number): void {
  const d = cpu.getEflags() & 0x400 ? -bytes : bytes;
  if (i.adSize === 32) cpu.reg[r] = (cpu.reg[r] + d) | 0; else cpu.setReg16(r, cpu.reg[r] + d);
}
const idx = (cpu: Cpu, i: Insn, r: number): number => (i.adSize === 32 ? cpu.reg[r] : cpu.reg[r] & 0xffff);
const srcSeg = (i: Insn): number => (i.seg >= 0 ? i.seg : DS);

/** Run one iteration of a string op under its REP prefix; `body` returns the ZF test for REPE/REPNE (or true). */
function repeat(cpu: Cpu, i: Insn, body: () => void, compares: boolean): void {
  if (!i.rep) { body(); next(cpu, i); return; }
  if (countReg(cpu, i) === 0) { next(cpu, i); return; }
  body();
  const c = decCount(cpu, i);
  let done = c === 0;
  if (compares && !done) {
    const zf = cpu.cond(4);
    done = i.rep === 0xf3 ? !zf : zf;
  }
  if (done) next(cpu, i);
}

function movs(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3;
  repeat(cpu, i, () => {
    const v = cpu.readLin(cpu.linear(srcSeg(i), idx(cpu, i, 6), b), s);
    cpu.writeLin(cpu.linear(ES, idx(cpu, i, 7), b), s, v);
    step(cpu, i, 6, b); step(cpu, i, 7, b);
  }, false);
}
function stos(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3;
  repeat(cpu, i, () => {
    cpu.writeLin(cpu.linear(ES, idx(cpu, i, 7), b), s, cpu.getReg(0, s));
    step(cpu, i, 7, b);
  }, false);
}
function lods(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3;
  repeat(cpu, i, () => {
    cpu.setReg(0, s, cpu.readLin(cpu.linear(srcSeg(i), idx(cpu, i, 6), b), s));
    step(cpu, i, 6, b);
  }, false);
}
function cmps(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3;
  repeat(cpu, i, () => {
    const x = cpu.readLin(cpu.linear(srcSeg(i), idx(cpu, i, 6), b), s);
    const y = cpu.readLin(cpu.linear(ES, idx(cpu, i, 7), b), s);
    aluOp(cpu, 7, x, y, s);
    step(cpu, i, 6, b); step(cpu, i, 7, b);
  }, true);
}
function scas(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3;
  repeat(cpu, i, () => {
    const y = cpu.readLin(cpu.linear(ES, idx(cpu, i, 7), b), s);
    aluOp(cpu, 7, cpu.getReg(0, s), y, s);
    step(cpu, i, 7, b);
  }, true);
}

/** I/O permission check for IN/OUT/INS/OUTS at CPL > IOPL (TSS I/O bitmap, SDM Vol. 1 18.5.2). */
export function checkIoPermission(cpu: Cpu, port: number, bytes: number): void {
  if (cpu.dbgIoBps) checkIoBreakpoints(cpu, port, bytes); // DR7 I/O breakpoints (SDM 17.2.4): a trap after the instruction
  if (!cpu.protectedMode || cpu.cpl <= cpu.iopl) return;
  const trAr = cpu.segAr[7];
  if ((trAr & 0xf) !== 0xb && (trAr & 0xf) !== 0x9) cpu.raiseGP(0);
  const limit = cpu.segLimit[7] >>> 0;
  if (limit < 0x67) cpu.raiseGP(0);
  const base = cpu.segBase[7];
  const mapBase = cpu.readLinSystem32(base + 0x64) >>> 16;
  const at = mapBase + (port >> 3);
  if (at + 1 > limit) cpu.raiseGP(0);
  const bits = cpu.readLinSystem32(base + at) & 0xffff;
  if ((bits >> (port & 7)) & ((1 << bytes) - 1)) cpu.raiseGP(0);
}

function ins(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3, port = cpu.reg[2] & 0xffff;
  checkIoPermission(cpu, port, b);
  if (cpu.nonRoot) cpu.vmx!.io(cpu, i, port, b, true, true);
  repeat(cpu, i, () => {
    const a = cpu.linear(ES, idx(cpu, i, 7), b);
    cpu.readLin(a, s); // the destination is checked before the port is read
    cpu.writeLin(a, s, cpu.ports ? cpu.ports.portIn(port, b) : -1);
    step(cpu, i, 7, b);
  }, false);
}
function outs(cpu: Cpu, i: Insn): void {
  const s = elemSize(i), b = s >> 3, port = cpu.reg[2] & 0xffff;
  checkIoPermission(cpu, port, b);
  if (cpu.nonRoot) cpu.vmx!.io(cpu, i, port, b, false, true);
  repeat(cpu, i, () => {
    const v = cpu.readLin(cpu.linear(srcSeg(i), idx(cpu, i, 6), b), s);
    cpu.ports?.portOut(port, b, v);
    step(cpu, i, 6, b);
  }, false);
}

export const stringExec: ExecTable = { movs, stos, lods, cmps, scas, ins, outs };
