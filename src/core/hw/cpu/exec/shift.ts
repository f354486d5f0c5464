// Shifts and rotates (SDM Vol. 2: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR, SHLD, SHRD). Flags are
// computed eagerly. The count is masked to 5 bits; a masked count of 0 changes nothing, flags
// included. OF is architecturally defined only for 1-bit shifts; for larger counts this follows
// what Intel P6-family hardware produces (the differential tests of issue 3 pin these down).
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { PARITY } from '../lazyFlags';
import { mask, next, type ExecTable } from './execTypes';

function arith(cpu: Cpu, res: number, size: number, cf: number, of: number, keepAf = false): void {
  const sign = size === 32 ? 0x80000000 | 0 : 1 << (size - 1);
  let f = cpu.getEflags() & ~(1 | 4 | 0x40 | 0x80 | 0x800 | (keepAf ? 0 : 0x10));
  f |= cf ? 1 : 0;
  f |= of ? 0x800 : 0;
  f |= PARITY[res & 0xff];
  if (mask(res, size) === 0) f |= 0x40;
  if (res & sign) f |= 0x80;
  cpu.setEflags(f);
}

export function shiftOp(cpu: Cpu, op: number, v: number, count: number, size: number): number {
  const sign = size === 32 ? 0x80000000 | 0 : 1 << (size - 1);
  v = mask(v, size);
  const u = size === 32 ? v >>> 0 : v;
  let r: number, cf: number;
  switch (op) {
    case 0: { // ROL
      const c = count % size;
      r = c === 0 ? v : mask((u << c) | (u >>> (size - c)), size);
      cf = r & 1;
      const f = cpu.getEflags() & ~(1 | 0x800);
      cpu.setEflags(f | cf | (((r & sign ? 1 : 0) ^ cf) ? 0x800 : 0));
      return r;
    }
    case 1: { // ROR
      const c = count % size;
      r = c === 0 ? v : mask((u >>> c) | (u << (size - c)), size);
      const msb = r & sign ? 1 : 0, msb2 = r & (sign >>> 1) ? 1 : 0;
      const f = cpu.getEflags() & ~(1 | 0x800);
      cpu.setEflags(f | msb | ((msb ^ msb2) ? 0x800 : 0));
      return r;
    }
    case 2: case 3: { // RCL, RCR: rotate through CF (size+1 bits)
      const c = count % (size + 1);
      let x = BigInt(u) | (BigInt(cpu.getCF()) << BigInt(size));
      const w = BigInt(size + 1), m = (1n << w) - 1n;
      if (c) x = op === 2 ? ((x << BigInt(c)) | (x >> (w - BigInt(c)))) & m : ((x >> BigInt(c)) | (x << (w - BigInt(c)))) & m;
      r = mask(Number(x & ((1n << BigInt(size)) - 1n)), size);
      cf = Number(x >> BigInt(size)) & 1;
      const msb = r & sign ? 1 : 0, msb2 = r & (sign >>> 1) ? 1 : 0;
      const of = op === 2 ? msb ^ cf : msb ^ msb2;
      const f = cpu.getEflags() & ~(1 | 0x800);
      cpu.setEflags(f | cf | (of ? 0x800 : 0));
      return r;
    }
    case 4: case 6: { // SHL/SAL
      cf = count <= size ? (count === 0 ? 0 : (u >>> (size - count)) & 1) : 0;
      if (count === 32 && size === 32) cf = u & 1;
      r = count >= 32 ? 0 : mask(u << count, size);
      arith(cpu, r, size, cf, ((r & sign ? 1 : 0) ^ cf));
      return r;
    }
    case 5: { // SHR
      cf = count > size ? 0 : (count === 32 ? u >>> 31 : (u >>> (count - 1)) & 1);
      r = count >= size ? 0 : mask(u >>> count, size);
      arith(cpu, r, size, cf, count === 1 ? (v & sign ? 1 : 0) : 0);
      return r;
    }
    default: { // SAR
      const sv = size === 32 ? v | 0 : size === 16 ? (v << 16) >> 16 : (v << 24) >> 24;
      const c = Math.min(count, size === 32 ? 31 : size);
      cf = count >= size ? (sv < 0 ? 1 : 0) : (sv >> (c - 1)) & 1;
      r = mask(count >= size ? (sv < 0 ? -1 : 0) : sv >> c, size);
      arith(cpu, r, size, cf, 0);
      return r;
    }
  }
}

function shift(cpu: Cpu, i: Insn): void {
  const o = i.opcode;
  const size = o === 0xc0 || o === 0xd0 || o === 0xd2 ? 8 : i.opSize;
  const count = (o === 0xd0 || o === 0xd1 ? 1 : o === 0xd2 || o === 0xd3 ? cpu.reg[1] : i.imm) & 31;
  if (count !== 0) {
    if (i.mod === 3) cpu.setReg(i.rm, size, shiftOp(cpu, i.reg, cpu.getReg(i.rm, size), count, size));
    else {
      const a = cpu.eaLinear(i, size >> 3, true);
      cpu.writeLin(a, size, shiftOp(cpu, i.reg, cpu.readLin(a, size), count, size));
    }
  } else if (i.mod !== 3) {
    cpu.readLin(cpu.eaLinear(i, size >> 3), size); // the operand is still accessed
  }
  next(cpu, i);
}

function shxd(left: boolean) {
  return (cpu: Cpu, i: Insn): void => {
    const size = i.opSize;
    const count = ((i.opcode & 1) ? cpu.reg[1] : i.imm) & 31;
    if (count === 0) { next(cpu, i); return; }
    const src = cpu.getReg(i.reg, size);
    const a = i.mod === 3 ? 0 : cpu.eaLinear(i, size >> 3, true);
    const dst = i.mod === 3 ? cpu.getReg(i.rm, size) : cpu.readLin(a, size);
    const w = BigInt(size);
    const m = (1n << w) - 1n;
    const D = BigInt(size === 32 ? dst >>> 0 : dst), S = BigInt(size === 32 ? src >>> 0 : src);
    let r: number, cf: number;
    if (left) {
      const x = (D << w) | S;
      const y = x << BigInt(count);
      r = mask(Number((y >> w) & m), size);
      cf = Number((x >> (2n * w - BigInt(count))) & 1n);
    } else {
      const x = (S << w) | D;
      r = mask(Number((x >> BigInt(count)) & m), size);
      cf = Number((x >> BigInt(count - 1)) & 1n);
    }
    const sign = size === 32 ? 0x80000000 | 0 : 1 << (size - 1);
    arith(cpu, r, size, cf, ((r ^ dst) & sign) ? 1 : 0);
    if (i.mod === 3) cpu.setReg(i.rm, size, r); else cpu.writeLin(a, size, r);
    next(cpu, i);
  };
}

export const shiftExec: ExecTable = { shift, shld: shxd(true), shrd: shxd(false) };
