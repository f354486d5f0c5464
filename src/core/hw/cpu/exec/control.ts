// Control transfer (SDM Vol. 2: Jcc, JMP, CALL, RET, LOOP, JCXZ, ENTER, LEAVE, INT n, INT3, INTO,
// IRET, BOUND) and the protected-mode far transfers of Vol. 3A 5.8 (same-privilege code segments;
// call gates and task switches arrive with issue 3).
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { next, signExtend, type ExecTable } from './execTypes';
import { AR_P, AR_S, BR, CS, DS, ES, FS, GS, OFV, SS, VM } from '../regs';
import { atomically, descAr, farTransfer } from './gates';
import { iretTaskReturn } from '../taskSwitch';

/** Jump to an offset in CS (checks the CS limit: #GP(0), SDM JMP). */
function jumpTo(cpu: Cpu, target: number, size: number): void {
  const t = size === 16 ? target & 0xffff : target | 0;
  if (cpu.protectedMode && (t >>> 0) > (cpu.segLimit[CS] >>> 0)) cpu.raiseGP(0);
  cpu.eip = t;
}
const nextEip = (cpu: Cpu, i: Insn): number => (cpu.eip + i.length) | 0;

function jcc(cpu: Cpu, i: Insn): void {
  if (cpu.cond(i.opcode & 15)) jumpTo(cpu, nextEip(cpu, i) + i.imm, i.opSize);
  else next(cpu, i);
}
function jmpRel(cpu: Cpu, i: Insn): void { jumpTo(cpu, nextEip(cpu, i) + i.imm, i.opSize); }
function callRel(cpu: Cpu, i: Insn): void {
  const ret = nextEip(cpu, i);
  const target = ret + i.imm;
  if (cpu.protectedMode && ((i.opSize === 16 ? target & 0xffff : target) >>> 0) > (cpu.segLimit[CS] >>> 0)) cpu.raiseGP(0);
  cpu.push(i.opSize, ret);
  jumpTo(cpu, target, i.opSize);
}
function jmpInd(cpu: Cpu, i: Insn): void { jumpTo(cpu, cpu.readE(i, i.opSize), i.opSize); }
function callInd(cpu: Cpu, i: Insn): void {
  const target = cpu.readE(i, i.opSize);
  if (cpu.protectedMode && ((i.opSize === 16 ? target & 0xffff : target) >>> 0) > (cpu.segLimit[CS] >>> 0)) cpu.raiseGP(0);
  cpu.push(i.opSize, nextEip(cpu, i));
  jumpTo(cpu, target, i.opSize);
}
function retNear(cpu: Cpu, i: Insn): void {
  const target = cpu.peek(i.opSize, 0);
  if (cpu.protectedMode && ((i.opSize === 16 ? target & 0xffff : target) >>> 0) > (cpu.segLimit[CS] >>> 0)) cpu.raiseGP(0);
  cpu.pop(i.opSize);
  if (i.opcode === 0xc2) releaseStack(cpu, i.imm & 0xffff);
  jumpTo(cpu, target, i.opSize);
}
function releaseStack(cpu: Cpu, n: number): void {
  if (cpu.stackSize32) cpu.reg[4] = (cpu.reg[4] + n) | 0;
  else cpu.setReg16(4, cpu.reg[4] + n);
}
function loop(cpu: Cpu, i: Insn): void {
  let c: number;
  if (i.adSize === 32) { c = (cpu.reg[1] - 1) | 0; cpu.reg[1] = c; } else { c = (cpu.reg[1] - 1) & 0xffff; cpu.setReg16(1, c); }
  let take = c !== 0;
  if (i.opcode === 0xe0) take = take && !cpu.cond(4);
  else if (i.opcode === 0xe1) take = take && cpu.cond(4);
  if (take) jumpTo(cpu, nextEip(cpu, i) + i.imm, i.opSize); else next(cpu, i);
}
function jcxz(cpu: Cpu, i: Insn): void {
  const c = i.adSize === 32 ? cpu.reg[1] : cpu.reg[1] & 0xffff;
  if (c === 0) jumpTo(cpu, nextEip(cpu, i) + i.imm, i.opSize); else next(cpu, i);
}
function enter(cpu: Cpu, i: Insn): void {
  const size = i.opSize, alloc = i.imm & 0xffff, level = i.imm2 & 31;
  const s32 = cpu.stackSize32;
  cpu.push(size, cpu.reg[5]);
  const frame = s32 ? cpu.reg[4] : cpu.reg[4] & 0xffff;
  let bp = cpu.reg[5];
  for (let k = 1; k < level; k++) {
    bp = s32 ? bp - (size >> 3) : (bp - (size >> 3)) & 0xffff;
    cpu.push(size, cpu.readLin(cpu.linear(SS, bp, size >> 3), size));
  }
  if (level > 0) cpu.push(size, frame);
  if (size === 32) cpu.reg[5] = frame; else cpu.setReg16(5, frame);
  if (s32) cpu.reg[4] = (cpu.reg[4] - alloc) | 0; else cpu.setReg16(4, cpu.reg[4] - alloc);
  next(cpu, i);
}
function leave(cpu: Cpu, i: Insn): void {
  if (cpu.stackSize32) cpu.reg[4] = cpu.reg[5]; else cpu.setReg16(4, cpu.reg[5]);
  const v = cpu.pop(i.opSize);
  cpu.setReg(5, i.opSize, v);
  next(cpu, i);
}

const Cpu_descAr = descAr;

function farJump(cpu: Cpu, sel: number, off: number, size: number): void {
  if (!cpu.protectedMode) { cpu.loadSeg(CS, sel); cpu.eip = size === 16 ? off & 0xffff : off; return; }
  farTransfer(cpu, sel, off, size, -1);
}
function jmpFar(cpu: Cpu, i: Insn): void { farJump(cpu, i.imm2 & 0xffff, i.imm, i.opSize); }
function jmpFarInd(cpu: Cpu, i: Insn): void {
  const a = cpu.eaLinear(i, (i.opSize >> 3) + 2);
  const off = cpu.readLin(a, i.opSize), sel = cpu.readLin16(a + (i.opSize >> 3));
  farJump(cpu, sel, off, i.opSize);
}
function farCall(cpu: Cpu, i: Insn, sel: number, off: number): void {
  const size = i.opSize;
  const retCs = cpu.segSel[CS], retEip = nextEip(cpu, i);
  if (!cpu.protectedMode) {
    cpu.push(size, retCs); cpu.push(size, retEip);
    cpu.loadSeg(CS, sel); cpu.eip = size === 16 ? off & 0xffff : off;
    return;
  }
  farTransfer(cpu, sel, off, size, retEip);
}
function callFar(cpu: Cpu, i: Insn): void { farCall(cpu, i, i.imm2 & 0xffff, i.imm); }
function callFarInd(cpu: Cpu, i: Insn): void {
  const a = cpu.eaLinear(i, (i.opSize >> 3) + 2);
  farCall(cpu, i, cpu.readLin16(a + (i.opSize >> 3)), cpu.readLin(a, i.opSize));
}

/** After a return to an outer privilege level, data segments the new CPL may not use become null (SDM RET). */
function invalidateSegsForCpl(cpu: Cpu): void {
  for (const s of [ES, DS, FS, GS]) {
    const ar = cpu.segAr[s];
    const dpl = (ar >> 5) & 3;
    const confCode = (ar & 0xc) === 0xc;
    if (!(ar & 0x10000) && dpl < cpu.cpl && !confCode) cpu.setSegCache(s, 0, 0, 0, 0x10000);
  }
}

function retFar(cpu: Cpu, i: Insn): void {
  const size = i.opSize, n = size >> 3;
  const off = cpu.peek(size, 0), sel = cpu.peek(size, n) & 0xffff;
  const release = i.opcode === 0xca ? i.imm & 0xffff : 0;
  if (!cpu.protectedMode) {
    cpu.pop(size); cpu.pop(size); releaseStack(cpu, release);
    cpu.loadSeg(CS, sel); cpu.eip = size === 16 ? off & 0xffff : off;
    return;
  }
  const rpl = sel & 3;
  if (rpl < cpu.cpl || (sel & 0xfffc) === 0) cpu.raiseGP(sel & 0xfffc);
  const [lo, hi] = cpu.readDescriptor(sel);
  const ar = Cpu_descAr(hi);
  if (!(ar & AR_S) || !(ar & 8)) cpu.raiseGP(sel & 0xfffc);
  const dpl = (ar >> 5) & 3;
  if ((ar & 4) ? dpl > rpl : dpl !== rpl) cpu.raiseGP(sel & 0xfffc);
  if (!(ar & AR_P)) cpu.raise(11, sel & 0xfffc);
  if (rpl === cpu.cpl) {
    cpu.pop(size); cpu.pop(size); releaseStack(cpu, release);
    cpu.loadCs(sel, lo, hi, rpl);
    cpu.eip = size === 16 ? off & 0xffff : off;
    return;
  }
  // Return to an outer privilege level: SS:ESP follow the return address (and the released bytes).
  const newEsp = cpu.peek(size, 2 * n + release), newSs = cpu.peek(size, 3 * n + release) & 0xffff;
  atomically(cpu, () => {
    cpu.loadCs(sel, lo, hi, rpl);
    cpu.loadSeg(SS, newSs);
    cpu.interruptibility &= ~2; // not a MOV SS: no interrupt shadow
  });
  cpu.reg[4] = size === 16 ? (cpu.reg[4] & ~0xffff) | (newEsp & 0xffff) : newEsp;
  releaseStack(cpu, release);
  cpu.eip = size === 16 ? off & 0xffff : off;
  invalidateSegsForCpl(cpu);
}

function iret(cpu: Cpu, i: Insn): void {
  const size = i.opSize, n = size >> 3;
  cpu.nmiBlocked = false; // IRET ends blocking by NMI, in every mode and form (SDM Vol. 3A 6.7.1)
  if (!cpu.protectedMode) {
    const ip = cpu.peek(size, 0), cs = cpu.peek(size, n), fl = cpu.peek(size, 2 * n);
    cpu.pop(size); cpu.pop(size); cpu.pop(size);
    cpu.loadSeg(CS, cs & 0xffff);
    cpu.eip = size === 16 ? ip & 0xffff : ip;
    const keep = size === 16 ? 0xffff0000 | 0 : 0x1a0000; // VM, VIF, VIP unchanged
    cpu.setEflags((cpu.getEflags() & keep) | (fl & ~keep));
    return;
  }
  if (cpu.getEflags() & 0x4000) { iretTaskReturn(cpu, nextEip(cpu, i)); return; } // NT: task return (SDM 7.4.1)
  const off = cpu.peek(size, 0), sel = cpu.peek(size, n) & 0xffff, fl = cpu.peek(size, 2 * n);
  if ((fl & VM) && cpu.cpl === 0 && size === 32) cpu.raiseGP(0); // return to virtual-8086 mode: issue 3
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0 || rpl < cpu.cpl) cpu.raiseGP(sel & 0xfffc);
  const [lo, hi] = cpu.readDescriptor(sel);
  const ar = Cpu_descAr(hi);
  if (!(ar & AR_S) || !(ar & 8)) cpu.raiseGP(sel & 0xfffc);
  const dpl = (ar >> 5) & 3;
  if ((ar & 4) ? dpl > rpl : dpl !== rpl) cpu.raiseGP(sel & 0xfffc);
  if (!(ar & AR_P)) cpu.raise(11, sel & 0xfffc);
  const oldCpl = cpu.cpl;
  // Which EFLAGS bits IRET may change (SDM IRET operation): IOPL only at CPL 0, IF only if CPL <= IOPL.
  let changeable = 0x257fd5 & ~0x3000 & ~0x200 & ~0x1a0000;
  if (size === 32) changeable |= 0x40000 | 0x200000 | 0x10000; // AC, ID, RF
  if (oldCpl === 0) changeable |= 0x3000 | 0x180000;
  if (oldCpl <= cpu.iopl) changeable |= 0x200;
  if (size === 16) changeable &= 0xffff;
  const newFlags = (cpu.getEflags() & ~changeable) | (fl & changeable);
  if (rpl === oldCpl) {
    cpu.pop(size); cpu.pop(size); cpu.pop(size);
    cpu.loadCs(sel, lo, hi, rpl);
  } else {
    const newEsp = cpu.peek(size, 3 * n), newSs = cpu.peek(size, 4 * n) & 0xffff;
    atomically(cpu, () => { cpu.loadCs(sel, lo, hi, rpl); cpu.loadSeg(SS, newSs); });
    cpu.interruptibility &= ~2;
    cpu.reg[4] = size === 16 ? (cpu.reg[4] & ~0xffff) | (newEsp & 0xffff) : newEsp;
    invalidateSegsForCpl(cpu);
  }
  cpu.eip = size === 16 ? off & 0xffff : off;
  cpu.setEflags(newFlags);
  // IRET ends blocking by NMI (SDM 6.7.1); interruptibility bit 3 in the VMCS encoding.
  cpu.interruptibility &= ~8;
}

function softInt(cpu: Cpu, i: Insn, vector: number): void {
  cpu.eip = nextEip(cpu, i);
  cpu.deliverException(vector, -1, i.length, true);
  cpu.softIntAt = cpu.icount;
}
function intN(cpu: Cpu, i: Insn): void { softInt(cpu, i, i.imm & 0xff); }
function int3(cpu: Cpu, i: Insn): void { softInt(cpu, i, 3); }
function int1(cpu: Cpu, i: Insn): void { softInt(cpu, i, 1); }
function into(cpu: Cpu, i: Insn): void { if (cpu.cond(0)) softInt(cpu, i, OFV); else next(cpu, i); }
function bound(cpu: Cpu, i: Insn): void {
  const s = i.opSize;
  const a = cpu.eaLinear(i, (s >> 3) * 2);
  const idx = signExtend(cpu.getReg(i.reg, s), s);
  const lo = signExtend(cpu.readLin(a, s), s), hi = signExtend(cpu.readLin(a + (s >> 3), s), s);
  if (idx < lo || idx > hi) cpu.raise(BR);
  next(cpu, i);
}

export const controlExec: ExecTable = {
  jcc, jmpRel, callRel, jmpInd, callInd, retNear, loop, jcxz, enter, leave,
  jmpFar, jmpFarInd, callFar, callFarInd, retFar, iret, intN, int3, int1, into, bound,
};
