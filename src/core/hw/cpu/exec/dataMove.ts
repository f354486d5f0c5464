// Data movement, stack, bit and flag-register instructions (SDM Vol. 2: MOV, MOVZX, MOVSX, LEA, XCHG,
// PUSH, POP, PUSHA, POPA, Lxx far pointers, BSWAP, LAHF, SAHF, SETcc, CMOVcc, XLAT, CMPXCHG, XADD,
// BT/BTS/BTR/BTC, BSF, BSR, CLC/STC/CMC/CLD/STD, NOP).
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { LF_LOGIC, LF_NONE } from '../lazyFlags';
import { aluOp } from './alu';
import { mask, next, signExtend, type ExecTable } from './execTypes';
import { CS, DS, ES, FS, GS, SS } from '../regs';

const byteOp = (i: Insn): boolean => (i.opcode & 1) === 0;

function mov(cpu: Cpu, i: Insn): void {
  const o = i.opcode;
  const size = o === 0x88 || o === 0x8a || o === 0xc6 ? 8 : i.opSize;
  if (o === 0x88 || o === 0x89) cpu.writeE(i, size, cpu.getReg(i.reg, size));
  else if (o === 0x8a || o === 0x8b) cpu.setReg(i.reg, size, cpu.readE(i, size));
  else cpu.writeE(i, size, i.imm);
  next(cpu, i);
}
function movRegImm(cpu: Cpu, i: Insn): void {
  if (i.opcode < 0xb8) cpu.setReg8(i.opcode & 7, i.imm);
  else cpu.setReg(i.opcode & 7, i.opSize, i.imm);
  next(cpu, i);
}
function movMoffs(cpu: Cpu, i: Insn): void {
  const size = byteOp(i) ? 8 : i.opSize;
  const seg = i.seg >= 0 ? i.seg : DS;
  const a = cpu.linear(seg, i.disp >>> 0, size >> 3, i.opcode > 0xa1);
  if (i.opcode <= 0xa1) cpu.setReg(0, size, cpu.readLin(a, size));
  else cpu.writeLin(a, size, cpu.getReg(0, size));
  next(cpu, i);
}
function movzx(cpu: Cpu, i: Insn): void {
  cpu.setReg(i.reg, i.opSize, cpu.readE(i, i.opcode === 0x0fb6 ? 8 : 16));
  next(cpu, i);
}
function movsx(cpu: Cpu, i: Insn): void {
  const s = i.opcode === 0x0fbe ? 8 : 16;
  cpu.setReg(i.reg, i.opSize, signExtend(cpu.readE(i, s), s));
  next(cpu, i);
}
function lea(cpu: Cpu, i: Insn): void {
  cpu.setReg(i.reg, i.opSize, cpu.eaOffset(i));
  next(cpu, i);
}
function xchg(cpu: Cpu, i: Insn): void {
  const size = i.opcode === 0x86 ? 8 : i.opSize;
  const r = cpu.getReg(i.reg, size);
  if (i.mod === 3) { cpu.setReg(i.reg, size, cpu.getReg(i.rm, size)); cpu.setReg(i.rm, size, r); }
  else {
    const a = cpu.eaLinear(i, size >> 3, true);
    const m = cpu.readLin(a, size);
    cpu.writeLin(a, size, r);
    cpu.setReg(i.reg, size, m);
  }
  next(cpu, i);
}
function xchgAcc(cpu: Cpu, i: Insn): void {
  const r = i.opcode & 7, s = i.opSize;
  const t = cpu.getReg(0, s);
  cpu.setReg(0, s, cpu.getReg(r, s));
  cpu.setReg(r, s, t);
  next(cpu, i);
}
function pushReg(cpu: Cpu, i: Insn): void {
  cpu.push(i.opSize, cpu.getReg(i.opcode & 7, i.opSize));
  next(cpu, i);
}
function popReg(cpu: Cpu, i: Insn): void {
  const v = cpu.pop(i.opSize);
  cpu.setReg(i.opcode & 7, i.opSize, v);
  next(cpu, i);
}
function pushImm(cpu: Cpu, i: Insn): void { cpu.push(i.opSize, i.imm); next(cpu, i); }
function pushE(cpu: Cpu, i: Insn): void { cpu.push(i.opSize, cpu.readE(i, i.opSize)); next(cpu, i); }
function popE(cpu: Cpu, i: Insn): void {
  // POP r/m computes the address with ESP already incremented (SDM Vol. 2 POP).
  const oldEsp = cpu.reg[4];
  const v = cpu.pop(i.opSize);
  try { cpu.writeE(i, i.opSize, v); } catch (e) { cpu.reg[4] = oldEsp; throw e; }
  next(cpu, i);
}
function pusha(cpu: Cpu, i: Insn): void {
  const s = i.opSize, sp = cpu.reg[4];
  for (let r = 0; r < 8; r++) cpu.push(s, r === 4 ? sp : cpu.reg[r]);
  next(cpu, i);
}
function popa(cpu: Cpu, i: Insn): void {
  const s = i.opSize;
  for (let r = 7; r >= 0; r--) { const v = cpu.pop(s); if (r !== 4) cpu.setReg(r, s, v); }
  next(cpu, i);
}
const segOfPushPop = (o: number): number =>
  o === 0x06 || o === 0x07 ? ES : o === 0x0e ? CS : o === 0x16 || o === 0x17 ? SS : o === 0x1e || o === 0x1f ? DS : o === 0x0fa0 || o === 0x0fa1 ? FS : GS;
function pushSeg(cpu: Cpu, i: Insn): void { cpu.push(i.opSize, cpu.segSel[segOfPushPop(i.opcode)]); next(cpu, i); }
function popSeg(cpu: Cpu, i: Insn): void {
  const s = segOfPushPop(i.opcode);
  const v = cpu.peek(i.opSize, 0);
  cpu.loadSeg(s, v & 0xffff);
  cpu.pop(i.opSize);
  next(cpu, i);
}
function movFromSeg(cpu: Cpu, i: Insn): void {
  if (i.reg > 5) cpu.raiseUD();
  const v = cpu.segSel[i.reg];
  if (i.mod === 3) cpu.setReg(i.rm, i.opSize, v); else cpu.writeE(i, 16, v);
  next(cpu, i);
}
function movToSeg(cpu: Cpu, i: Insn): void {
  if (i.reg === CS || i.reg > 5) cpu.raiseUD();
  cpu.loadSeg(i.reg, cpu.readE(i, 16));
  next(cpu, i);
}
function loadFarPtr(cpu: Cpu, i: Insn): void {
  const seg = i.opcode === 0xc4 ? ES : i.opcode === 0xc5 ? DS : i.opcode === 0x0fb2 ? SS : i.opcode === 0x0fb4 ? FS : GS;
  const a = cpu.eaLinear(i, (i.opSize >> 3) + 2);
  const off = cpu.readLin(a, i.opSize);
  const sel = cpu.readLin16(a + (i.opSize >> 3));
  cpu.loadSeg(seg, sel);
  cpu.setReg(i.reg, i.opSize, off);
  next(cpu, i);
}
function bswap(cpu: Cpu, i: Insn): void {
  const r = i.opcode & 7, v = cpu.reg[r];
  cpu.reg[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  next(cpu, i);
}
function lahf(cpu: Cpu, i: Insn): void { cpu.setReg8(4, cpu.getEflags() & 0xd7 | 2); next(cpu, i); }
function sahf(cpu: Cpu, i: Insn): void {
  const f = cpu.getEflags();
  cpu.setEflags((f & ~0xd5) | (cpu.getReg8(4) & 0xd5));
  next(cpu, i);
}
function setcc(cpu: Cpu, i: Insn): void { cpu.writeE(i, 8, cpu.cond(i.opcode & 15) ? 1 : 0); next(cpu, i); }
function cmovcc(cpu: Cpu, i: Insn): void {
  const v = cpu.readE(i, i.opSize); // the source is read (and may fault) whatever the condition
  if (cpu.cond(i.opcode & 15)) cpu.setReg(i.reg, i.opSize, v);
  next(cpu, i);
}
function xlat(cpu: Cpu, i: Insn): void {
  const off = i.adSize === 32 ? (cpu.reg[3] + (cpu.reg[0] & 0xff)) | 0 : ((cpu.reg[3] + (cpu.reg[0] & 0xff)) & 0xffff);
  cpu.setReg8(0, cpu.readLin8(cpu.linear(i.seg >= 0 ? i.seg : DS, off, 1)));
  next(cpu, i);
}
function cmpxchg(cpu: Cpu, i: Insn): void {
  const size = byteOp(i) ? 8 : i.opSize;
  const acc = cpu.getReg(0, size);
  if (i.mod === 3) {
    const dst = cpu.getReg(i.rm, size);
    aluOp(cpu, 7, acc, dst, size);
    if (acc === dst) cpu.setReg(i.rm, size, cpu.getReg(i.reg, size)); else cpu.setReg(0, size, dst);
  } else {
    const a = cpu.eaLinear(i, size >> 3, true);
    const dst = cpu.readLin(a, size);
    aluOp(cpu, 7, acc, dst, size);
    // The destination is always written (with itself on failure), as the processor's locked cycle does.
    if (acc === dst) cpu.writeLin(a, size, cpu.getReg(i.reg, size));
    else { cpu.writeLin(a, size, dst); cpu.setReg(0, size, dst); }
  }
  next(cpu, i);
}
function cmpxchg8b(cpu: Cpu, i: Insn): void {
  const a = cpu.eaLinear(i, 8, true);
  const lo = cpu.readLin32(a), hi = cpu.readLin32(a + 4);
  const f = cpu.getEflags();
  if (lo === cpu.reg[0] && hi === cpu.reg[2]) {
    cpu.writeLin32(a, cpu.reg[3]); cpu.writeLin32(a + 4, cpu.reg[1]);
    cpu.setEflags(f | 0x40);
  } else {
    cpu.writeLin32(a, lo); cpu.writeLin32(a + 4, hi);
    cpu.reg[0] = lo; cpu.reg[2] = hi;
    cpu.setEflags(f & ~0x40);
  }
  next(cpu, i);
}
function xadd(cpu: Cpu, i: Insn): void {
  const size = byteOp(i) ? 8 : i.opSize;
  const src = cpu.getReg(i.reg, size);
  if (i.mod === 3) {
    const dst = cpu.getReg(i.rm, size);
    const r = aluOp(cpu, 0, dst, src, size);
    cpu.setReg(i.reg, size, dst); cpu.setReg(i.rm, size, r);
  } else {
    const a = cpu.eaLinear(i, size >> 3, true);
    const dst = cpu.readLin(a, size);
    const r = aluOp(cpu, 0, dst, src, size);
    cpu.writeLin(a, size, r);
    cpu.setReg(i.reg, size, dst);
  }
  next(cpu, i);
}

/** BT/BTS/BTR/BTC: with a register offset and a memory operand the offset addresses a bit string (SDM Vol. 2 BT). */
function bt(cpu: Cpu, i: Insn): void {
  const size = i.opSize;
  const op = i.opcode === 0x0fba ? i.reg - 4 : i.opcode === 0x0fa3 ? 0 : i.opcode === 0x0fab ? 1 : i.opcode === 0x0fb3 ? 2 : 3;
  const immForm = i.opcode === 0x0fba;
  let off = immForm ? i.imm & (size - 1) : cpu.getReg(i.reg, size);
  let bit: number, v: number, a = 0;
  if (i.mod === 3) {
    bit = off & (size - 1);
    v = cpu.getReg(i.rm, size);
  } else {
    let disp = 0;
    if (!immForm) {
      off = signExtend(off, size);
      disp = Math.floor(off / size) * (size >> 3);
      bit = ((off % size) + size) % size;
    } else bit = off;
    a = (cpu.eaLinear(i, size >> 3, op !== 0) + disp) | 0;
    v = cpu.readLin(a, size);
  }
  const m = size === 32 && bit === 31 ? 0x80000000 | 0 : 1 << bit;
  const f = cpu.getEflags();
  cpu.setEflags((f & ~1) | ((v & m) ? 1 : 0));
  if (op !== 0) {
    const r = op === 1 ? v | m : op === 2 ? v & ~m : v ^ m;
    if (i.mod === 3) cpu.setReg(i.rm, size, r); else cpu.writeLin(a, size, r);
  }
  next(cpu, i);
}
function bsf(cpu: Cpu, i: Insn): void {
  const v = cpu.readE(i, i.opSize);
  const f = cpu.getEflags();
  if (v === 0) cpu.setEflags(f | 0x40); // destination unchanged (as Intel processors leave it)
  else {
    cpu.setReg(i.reg, i.opSize, 31 - Math.clz32(v & -v));
    cpu.setEflags(f & ~0x40);
  }
  next(cpu, i);
}
function bsr(cpu: Cpu, i: Insn): void {
  const v = cpu.readE(i, i.opSize);
  const f = cpu.getEflags();
  if (v === 0) cpu.setEflags(f | 0x40);
  else {
    cpu.setReg(i.reg, i.opSize, 31 - Math.clz32(v));
    cpu.setEflags(f & ~0x40);
  }
  next(cpu, i);
}
const flagOp = (f: (fl: number) => number) => (cpu: Cpu, i: Insn): void => {
  cpu.setEflags(f(cpu.getEflags()));
  next(cpu, i);
};
function salc(cpu: Cpu, i: Insn): void { cpu.setReg8(0, cpu.getCF() ? 0xff : 0); next(cpu, i); }
function nop(cpu: Cpu, i: Insn): void { next(cpu, i); }

export const dataExec: ExecTable = {
  mov, movRegImm, movMoffs, movzx, movsx, lea, xchg, xchgAcc, pushReg, popReg, pushImm, pushE, popE, pusha, popa,
  pushSeg, popSeg, movFromSeg, movToSeg, loadFarPtr, bswap, lahf, sahf, setcc, cmovcc, xlat, cmpxchg, cmpxchg8b, xadd,
  bt, bsf, bsr, nop, salc,
  clc: flagOp((f) => f & ~1), stc: flagOp((f) => f | 1), cmc: flagOp((f) => f ^ 1),
  cld: flagOp((f) => f & ~0x400), std: flagOp((f) => f | 0x400),
};
export { LF_LOGIC, LF_NONE, mask };
