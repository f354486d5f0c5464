// A decoded instruction. The decoded-instruction cache (hw/cpu/decodeCache.ts) keeps these per
// physical page, so each instruction is decoded (and its handler specialized) once.
import type { OpcodeDef } from './opcodeTable';

export class Insn {
  /** Table entry that matched. */
  def!: OpcodeDef;
  /** Primary opcode (0x0f-prefixed opcodes are 0x0f00 | byte). */
  opcode = 0;
  /** Total length in bytes, prefixes included. */
  length = 0;
  /** Operand size: 16 or 32. */
  opSize = 32;
  /** Address size: 16 or 32. */
  adSize = 32;
  /** Segment override (ES..GS = 0..5) or -1. */
  seg = -1;
  /** 0, 0xf2 (REPNE) or 0xf3 (REP/REPE). */
  rep = 0;
  lock = false;
  hasModrm = false;
  mod = 0;
  reg = 0;
  rm = 0;
  /** Memory operand: base register or -1, index register or -1, scale (1,2,4,8), displacement. */
  base = -1;
  index = -1;
  scale = 1;
  disp = 0;
  /** Default segment for the memory operand (DS, or SS for EBP/ESP-based forms). */
  defaultSeg = 3;
  /** First immediate (or moffs / relative target displacement), second immediate (ENTER, far ptr selector). */
  imm = 0;
  imm2 = 0;
  /** Linear address of the first byte (for disassembly and faults). */
  address = 0;
  /** Default operand size (16/32) it was decoded for: a cached decode is valid only for the same CS.D. */
  decodedFor = 0;
  /**
   * The executor's handler for exactly this form (opcode, operand size, register or memory operand),
   * chosen once at decode time (hw/cpu/exec/registry.ts `specialize`), so the run loop calls
   * `i.exec(cpu, i)` with no dispatch switch. Typed loosely: isa/ does not depend on hw/.
   */
  exec: (cpu: any, i: Insn) => void = unspecialized;
  /**
   * True when the instruction can run in the CPU's fast loop: not privileged, no VM exit of its own,
   * and it changes nothing the loop hoists out (EFLAGS.TF/RF, interruptibility, CPL, CS, paging,
   * debug registers, activity). Set with `exec`.
   */
  fast = false;
  /**
   * The translated block starting here (hw/cpu/exec/block.ts) and its length in instructions, or
   * null; `hot` counts executions until it is translated (-1: not translatable).
   */
  block: ((cpu: any, limit: number) => void) | null = null;
  blockLength = 0;
  hot = 0;
}

function unspecialized(): void {
  throw new Error('instruction executed before the executor specialized it');
}
