// Block translation (issue 3 "Speed", as v86 and QEMU translate blocks): a straight-line run of
// decoded, fast-loop-safe instructions in one physical page, ending at the first branch, becomes one
// generated JavaScript function once its first instruction has run HOT times. Each instruction is
// the template of its form (exec/specialize.ts) with its fields as literals; an instruction without
// a template calls its own handler. Exactness is kept per instruction: insnEip and cpu.insn are set
// before each one (faults restart it, VM exits see it), icount counts only retired instructions, and
// a write that drops cached code (self-modifying code) ends the block after that instruction. The
// caller (Cpu.runFast) runs a block only when its whole length fits before the budget or the next
// VMX boundary event; everything step() checks per instruction is already known to be quiet there.
import type { Insn } from '../../../isa/insn';
import type { DecodeCache } from '../decodeCache';
import { ENV, INLINE_MEM, template, type Fields } from './specialize';

/** Executions of a block's first instruction before the block is translated. */
export const HOT = 32;
const MAX_BLOCK = 48;

/** A translated block: runs its instructions; `cpu` is the Cpu (typed loosely: generated code). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BlockFn = (cpu: any) => void;

const BRANCHES = new Set(['jcc', 'jmpRel', 'callRel', 'retNear', 'jmpInd', 'callInd', 'loop', 'jcxz', 'movs', 'stos', 'lods', 'cmps', 'scas']);

/** Offset expression of i's memory operand with its fields as literals (Cpu.eaOffset). */
function eaOffset(i: Insn): string {
  const parts: string[] = [];
  if (i.base >= 0) parts.push(`R[${i.base}]`);
  if (i.index >= 0) parts.push(i.scale === 1 ? `R[${i.index}]` : `R[${i.index}] * ${i.scale}`);
  if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp));
  const sum = parts.join(' + ');
  return i.adSize === 32 ? `((${sum}) | 0)` : `((${sum}) & 0xffff)`;
}

/**
 * Translate the block starting with `first` (at host-physical `hpa`, already in `icache`). Returns
 * null when the block would be a single instruction (nothing to gain).
 */
export function translateBlock(icache: DecodeCache, first: Insn, hpa: number): { fn: BlockFn; length: number } | null {
  const insns: Insn[] = [first];
  let h = hpa + first.length, cur = first;
  while (!BRANCHES.has(cur.def.handler) && insns.length < MAX_BLOCK && (h >>> 12) === (hpa >>> 12)) {
    const n = icache.lookup(h, first.decodedFor);
    if (n === undefined || !n.fast) break;
    insns.push(n);
    h += n.length;
    cur = n;
  }
  if (insns.length < 2) return null;
  // The CPL (so the permission bits) cannot change inside a block: fast instructions do not change it.
  let src = 'const R = cpu.reg, ep = C.epoch, TLB = cpu.mmu.tlb, M = cpu.mem, U8 = M.u8, I32 = M.i32, CP = M.codePages;\n'
    + 'const RM = 1 << (cpu.cpl & 2), WM = RM << 1; let k = 0, e = 0, t = 0;\ntry {\n';
  insns.forEach((i, k) => {
    const f: Fields = { rm: String(i.rm), reg: String(i.reg), imm: String(i.imm), len: String(i.length) };
    const seg = i.seg >= 0 ? i.seg : i.defaultSeg;
    const body = template(i, f, (bytes) => `cpu.linear(${seg}, ${eaOffset(i)}, ${bytes})`, () => eaOffset(i), INLINE_MEM)
      ?? `I[${k}].exec(cpu, I[${k}]);`;
    src += `cpu.insnEip = cpu.eip; cpu.insn = I[${k}];\n{ ${body} }\nk = ${k + 1};\n`;
    if (k === 0) src += 'cpu.faultDepth = 0;\n';
    if (k < insns.length - 1 && /writeLin|U8\[[^\]]*\] =|I32\[[^\]]*\] =|push|\.exec\(/.test(body)) src += `if (C.epoch !== ep) { cpu.icount += ${k + 1}; return; }\n`;
  });
  src += `} catch (e) { cpu.icount += k; throw e; }\ncpu.icount += ${insns.length};\n`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, no-new-func
  const fn = new Function('ENV', 'I', 'C', `return function block(cpu) {\n${src}};`)(ENV, insns, icache) as BlockFn;
  return { fn, length: insns.length };
}
