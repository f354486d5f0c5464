// Block translation (issue 3 "Speed", as v86 and QEMU translate blocks): a straight-line run of
// decoded, fast-loop-safe instructions in one physical page, ending at the first branch, becomes one
// generated JavaScript function once its first instruction has run HOT times. Each instruction is
// the template of its form (exec/specialize.ts) with its fields as literals; an instruction without
// a template calls its own handler.
//
// Inside a block (ADR 0003, 0008):
// - memory operands take the inlined TLB hit, and the segment step is one test of a flag computed at
//   block entry ("this segment is flat: base 0, limit 4 GiB, usable, read/write data"); anything else
//   calls Cpu.linear / Cpu.readLin* (limit and permission checks, page walks, code-page writes);
// - lazy flags live in locals and are stored only where observable (exec/blockFlags.ts);
// - a block whose last branch jumps back to its own first instruction loops inside the function
//   (the chaining that matters most: every hot loop of cpuloop is one block) as long as the whole
//   next iteration fits before `limit` (the caller's budget or the next VMX boundary event) and no
//   write dropped cached code, so icount limits, interrupts and pause requests are seen exactly where
//   the plain interpreter sees them.
// Exactness per instruction: icount counts retired instructions only; a fault or VM exit unwinds
// with EIP, insnEip and the flag record of the instruction that raised it (slow memory paths store
// insnEip and the flags before they may walk the page tables, since a VM exit saves them at once);
// a write that drops cached code (self-modifying code, including a block modifying itself) ends the
// block after that instruction. EIP and icount live in locals and are stored where observable.
import type { Insn } from '../../../isa/insn';
import type { DecodeCache } from '../decodeCache';
import { BlockFlags } from './blockFlags';
import { ENV, template, type Fields, type MemOps } from './specialize';

/** Executions of a block's first instruction before the block is translated. */
export const HOT = 32;
const MAX_BLOCK = 48;

/** A translated block: runs its instructions up to icount `limit`; `cpu` is the Cpu (typed loosely: generated code). */
export type BlockFn = (cpu: any, limit: number) => void;

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
 * Linear address of a memory operand: the offset itself when the segment is flat (OKs, computed at
 * block entry) and the access cannot run past 4 GiB, else Cpu.linear with its checks (SDM 5.3).
 */
function eaLinear(seg: number, off: string, bytes: number, write: boolean): string {
  const w = write ? ', true' : '';
  if (bytes === 1) return `(OK${seg} ? ${off} : cpu.linear(${seg}, ${off}, 1${w}))`;
  return `(OK${seg} && ((xa = ${off}) >>> 0) <= ${0x100000000 - bytes} ? xa : cpu.linear(${seg}, ${off}, ${bytes}${w}))`;
}

/** Inlined TLB hits; misses, page crossings and writes to code pages take the Cpu's paths. */
function inlineMem(F: BlockFlags, at: { k: number }): MemOps {
  // Before a slow path: it may walk the page tables and VM-exit (EPT violation), which saves EIP,
  // RFLAGS and the icount-derived VMX-preemption timer at once. `ip` and `ic` are the block's EIP and
  // icount (at the start of the iteration) kept in locals.
  const slowE = (): string => `cpu.insnEip = ip, cpu.icount = ic + ${at.k}, ${F.syncExpr()}`;
  const slowS = (): string => `cpu.insnEip = ip; cpu.icount = ic + ${at.k}; ${F.sync()}`;
  // A slow write may have dropped cached code (the fast path never writes a code page): note it in xw.
  const dropped = 'if (C.epoch !== ep) xw = 1;';
  return {
    read: (size, a) => size === 8
      ? `(((xe = TLB[(xt = ${a}) >>> 12]) & RM) !== 0 ? U8[(xe & -4096) | (xt & 0xfff)] : (${slowE()}cpu.readLin8(xt)))`
      : size === 16
        ? `(((xe = TLB[(xt = ${a}) >>> 12]) & RM) !== 0 && (xt & 0xfff) !== 0xfff ? (U8[(xe = (xe & -4096) | (xt & 0xfff))] | (U8[xe + 1] << 8)) : (${slowE()}cpu.readLin16(xt)))`
        : `(((xe = TLB[(xt = ${a}) >>> 12]) & RM) !== 0 && (xt & 0xfff) <= 0xffc && (xt & 3) === 0 ? I32[((xe & -4096) | (xt & 0xfff)) >> 2] : (${slowE()}cpu.readLin32(xt)))`,
    write: (size, a, v) => size === 8
      ? `{ const ta = ${a}, tv = ${v}, te = TLB[ta >>> 12]; if ((te & WM) !== 0 && CP[te >>> 12] === 0) { DT[te >>> 12] = 1; U8[(te & -4096) | (ta & 0xfff)] = tv; } else { ${slowS()} cpu.writeLin8(ta, tv); ${dropped} } }`
      : size === 16
        ? `{ const ta = ${a}, tv = ${v}, te = TLB[ta >>> 12]; if ((te & WM) !== 0 && (ta & 0xfff) !== 0xfff && CP[te >>> 12] === 0) { const th = (te & -4096) | (ta & 0xfff); DT[te >>> 12] = 1; U8[th] = tv; U8[th + 1] = tv >> 8; } else { ${slowS()} cpu.writeLin16(ta, tv); ${dropped} } }`
        : `{ const ta = ${a}, tv = ${v}, te = TLB[ta >>> 12]; if ((te & WM) !== 0 && (ta & 0xfff) <= 0xffc && (ta & 3) === 0 && CP[te >>> 12] === 0) { DT[te >>> 12] = 1; I32[((te & -4096) | (ta & 0xfff)) >> 2] = tv; } else { ${slowS()} cpu.writeLin32(ta, tv); ${dropped} } }`,
  };
}

/** Cpu methods that may reach the MMU (page walk, VM exit) other than through the inlined slow paths. */
const MMU_CALL = /cpu\.(push|pop|readLin|writeLin)\w*\(|\.exec\(/;
/** Generated code that writes memory other than through the inlined paths (which note dropped code in xw themselves). */
const OTHER_WRITES = /cpu\.(push|writeLin)\w*\(|\.exec\(/;
/** Generated code that writes memory at all. */
const WRITES = /writeLin|U8\[[^\]]*\] =|I32\[[^\]]*\] =|push|\.exec\(/;

interface Pass { code: string; end: string; generic: boolean[] }

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
  const n = insns.length;
  const cs32 = first.decodedFor === 32;
  const offs: number[] = [];
  let off = 0;
  for (const i of insns) { offs.push(off); off += i.length; }
  const eipAt = (k: number): string => (offs[k] === 0 ? 'eip0' : cs32 ? `((eip0 + ${offs[k]}) | 0)` : `((eip0 + ${offs[k]}) & 0xffff)`);
  // The last instruction jumps back to the first (relative target = -(block bytes)): loop in place.
  const last = insns[n - 1];
  const wrap = cs32 ? 0x100000000 : 0x10000;
  const loops = (last.def.handler === 'jcc' || last.def.handler === 'jmpRel') && (((off + last.imm) % wrap) + wrap) % wrap === 0;
  const segs = new Set<number>();
  for (const i of insns) if (i.hasModrm && i.mod !== 3 && i.def.handler !== 'lea') segs.add(i.seg >= 0 ? i.seg : i.defaultSeg);

  const pass = (top: string): Pass => {
    const F = new BlockFlags(top);
    const at = { k: 0 };
    const mem = inlineMem(F, at);
    const generic: boolean[] = [];
    let code = '';
    insns.forEach((i, k) => {
      const f: Fields = { rm: String(i.rm), reg: String(i.reg), imm: String(i.imm), len: String(i.length) };
      const seg = i.seg >= 0 ? i.seg : i.defaultSeg;
      at.k = k;
      const pre = `cpu.insnEip = ip; cpu.icount = ic + ${k}; ${F.sync()}`; // computed before the template moves the state
      let body = template(i, f, (bytes, write) => eaLinear(seg, eaOffset(i), bytes, write === true), () => eaOffset(i), mem, F);
      if (body === null) {
        body = `${F.flush()} cpu.eip = ip; cpu.insnEip = ip; cpu.icount = ic + ${k}; cpu.insn = I[${k}]; I[${k}].exec(cpu, I[${k}]); ip = cpu.eip;`;
        generic.push(true);
      } else {
        // Templates keep EIP in cpu.eip; here it is the local `ip`.
        body = body.replace(/cpu\.eip\b/g, 'ip');
        if (MMU_CALL.test(body.replace(/cpu\.insnEip = ip[,;][^]*?cpu\.(readLin|writeLin)\d+\(/g, ''))) body = pre + ' ' + body;
        generic.push(false);
      }
      // CS limit of near branches (templates read it from the Cpu): hoisted to the block entry.
      body = body.replace(/\(cpu\.segLimit\[1\] >>> 0\) && cpu\.protectedMode/g, 'CSL');
      if (OTHER_WRITES.test(body.replace(/cpu\.insnEip = ip;[^}]*?cpu\.writeLin\d+\(/g, ''))) body += ' if (C.epoch !== ep) xw = 1;';
      code += `{ ${body} }\nk = ${k + 1};\n`;
      if (k < n - 1 && WRITES.test(body)) {
        code += `if (xw !== 0) { ${F.sync()} cpu.eip = ip; cpu.icount = ic + ${k + 1}; cpu.insnEip = ${eipAt(k)}; cpu.faultDepth = 0; return; }\n`;
      }
    });
    code += `ic += ${n};\n`;
    return { code, end: F.state, generic };
  };

  const once = pass('cpu');
  let src = `const R = cpu.reg, ep = C.epoch, TLB = cpu.mmu.tlb, M = cpu.mem, U8 = M.u8, I32 = M.i32, CP = M.codePages, DT = M.dirty;
const RM = 1 << (cpu.cpl & 2), WM = RM << 1, eip0 = cpu.eip, ic0 = cpu.icount;
let ip = eip0, ic = ic0;
let k = 0, xa = 0, xe = 0, xt = 0, xw = 0, fo = 0, fd = 0, fs = 0, fr = 0, fz = 32;
const CSL = cpu.protectedMode ? cpu.segLimit[1] >>> 0 : 4294967295, lim = limit - ${n};\n`;
  if (segs.size) {
    // Flat: protected mode, base 0, limit 4 GiB, usable, read/write data that is not expand-down
    // (access rights in the VMCS format: bit 16 unusable, 4 S, 3 code, 2 expand-down, 1 writable).
    src += 'const SB = cpu.segBase, SL = cpu.segLimit, SA = cpu.segAr, PM = (cpu.cr0 & 1) !== 0 && (cpu.eflags & 0x20000) === 0;\n';
    for (const s of segs) src += `const OK${s} = PM && SB[${s}] === 0 && SL[${s}] === -1 && (SA[${s}] & 0x1001e) === 0x12;\n`;
  }
  src += 'try {\n' + once.code;
  let end = once.end;
  let generic = once.generic;
  if (loops) {
    let body = pass(once.end);
    if (body.end !== once.end) body = pass('any');
    end = body.end === once.end ? once.end : 'any';
    generic = generic.map((g, k) => g || body.generic[k]);
    src += `while (ip === eip0 && ic <= lim && xw === 0) {\nk = 0;\n${body.code}}\n`;
  }
  src += `${new BlockFlags(end).flush()}\ncpu.eip = ip; cpu.icount = ic; cpu.insnEip = ${eipAt(n - 1)}; cpu.faultDepth = 0;\n`;
  src += `} catch (x) {\nif (fo !== 0) { cpu.lfOp = fo; cpu.lfDst = fd; cpu.lfSrc = fs; cpu.lfRes = fr; cpu.lfSize = fz; }\n`
    + `cpu.icount = ic + k; if (cpu.icount !== ic0) cpu.faultDepth = 0;\n`
    + `if (G[k] === 0) { cpu.eip = ip; cpu.insnEip = ip; }\ncpu.insn = I[k];\nthrow x;\n}\n`;
  const G = generic.map((g) => (g ? 1 : 0));
  const fn = new Function('ENV', 'I', 'C', 'G', `return function block(cpu, limit) {\n${src}};`)(ENV, insns, icache, G) as BlockFn;
  return { fn, length: n };
}
