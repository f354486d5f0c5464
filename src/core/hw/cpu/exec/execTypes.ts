import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';

/** An instruction's execution: runs with EIP still at the instruction; sets cpu.eip itself. */
export type ExecFn = (cpu: Cpu, i: Insn) => void;
export type ExecTable = Record<string, ExecFn>;

/** Mask a value to an operand size (8/16/32); 32-bit results stay signed int32. */
export const mask = (v: number, size: number): number => (size === 32 ? v | 0 : size === 16 ? v & 0xffff : v & 0xff);
/** Advance EIP past the instruction (wrapping at 64 KiB for 16-bit code). */
export const next = (cpu: Cpu, i: Insn): void => {
  cpu.eip = cpu.codeSize === 32 ? (cpu.eip + i.length) | 0 : (cpu.eip + i.length) & 0xffff;
};
export const signExtend = (v: number, size: number): number => (size === 32 ? v | 0 : size === 16 ? (v << 16) >> 16 : (v << 24) >> 24);
