// Drives a differential-test group: generate seeded cases in batches, run them natively and in the
// interpreter, compare registers (all but ESP), the memory window and the defined flags.
import { Case, type Gen } from './gen';
import { Rng } from './rng';
import { CASE_IN, CASE_OUT, CODE_BYTES, MEM_SIZE, REC_MEM, runNative, to64, type Harness } from './native';
import { Interp } from './interp';
import { COMPARED, undefinedMask } from './flagMask';
import { formatInsn } from '../../src/core/isa/disassembler';
import { translate64 } from './translate64';

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const h32 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

export interface GroupResult {
  cases: number; mismatches: string[]; mismatchCount: number; byInsn: Map<string, number>;
  /** Per instruction and undefined flag: [cases where the host and the interpreter agree, cases]. */
  undefinedAgreement: Map<string, [number, number]>;
}

export function runGroup(h: Harness, name: string, gen: Gen, total: number, seed: number, addr16 = false, batch = 50000): GroupResult {
  const rng = new Rng(seed);
  const interp = new Interp();
  const c = new Case(rng, addr16);
  const res: GroupResult = { cases: 0, mismatches: [], mismatchCount: 0, byInsn: new Map(), undefinedAgreement: new Map() };
  const meta: { size: number; count: number; text: string; bytes: number[] }[] = [];
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    const input = Buffer.alloc(n * CASE_IN);
    meta.length = 0;
    for (let k = 0; k < n; k++) {
      do c.reset(); while (gen(c, rng) === false);
      c.serialize(input, k * CASE_IN);
      meta.push({ size: c.size, count: c.count, text: c.hex(), bytes: c.bytes.slice() });
    }
    // The x86-64 harness runs each instruction's 64-bit-mode translation; the interpreter the original.
    const out = runNative(h, h.kind === 'x86-64' ? to64(input, n, meta.map((m) => m.bytes)) : input, n);
    for (let k = 0; k < n; k++) {
      const at = k * CASE_IN, ot = k * CASE_OUT;
      const r = interp.run(input, at);
      const def = interp.cpu.insn.def;
      const m = meta[k];
      const undef = undefinedMask(def, m.size, m.count);
      const cmpMask = COMPARED & ~undef;
      const diffs: string[] = [];
      if (r.fault >= 0) diffs.push(`interpreter raised vector ${r.fault}`);
      for (let q = 0; q < 8; q++) {
        if (q === 4) continue;
        if (r.regs[q] !== out.readInt32LE(ot + 4 * q)) diffs.push(REGS[q]);
      }
      const nf = out.readInt32LE(ot + 32);
      if ((nf ^ r.eflags) & cmpMask) diffs.push(`eflags(${flagNames((nf ^ r.eflags) & cmpMask)})`);
      for (let b = 0; b < MEM_SIZE; b++) if (out[ot + 36 + b] !== r.mem[b]) { diffs.push(`mem+${b}`); break; }
      res.cases++;
      if (undef && r.fault < 0) {
        for (const [fname, bit] of FLAGS) {
          if (!(undef & bit)) continue;
          const key = `${def.mnemonic}${m.size !== 32 ? '/' + m.size : ''} ${fname}`;
          const t = res.undefinedAgreement.get(key) ?? [0, 0];
          if (!((nf ^ r.eflags) & bit)) t[0]++;
          t[1]++;
          res.undefinedAgreement.set(key, t);
        }
      }
      if (!diffs.length) continue;
      res.mismatchCount++;
      const key = `${def.mnemonic}${m.size !== 32 ? '/' + m.size : ''}`;
      res.byInsn.set(key, (res.byInsn.get(key) ?? 0) + 1);
      if (res.mismatches.length < 12) {
        const inRegs = REGS.map((nm, q) => `${nm}=${h32(input.readInt32LE(at + CODE_BYTES + 4 * q))}`).join(' ');
        const natRegs = REGS.map((nm, q) => `${nm}=${h32(out.readInt32LE(ot + 4 * q))}`).join(' ');
        const intRegs = REGS.map((nm, q) => `${nm}=${h32(r.regs[q])}`).join(' ');
        const memDiff = firstMemDiff(input, at, out, ot, r.mem);
        res.mismatches.push(
          `[${name} seed=${seed} case=${done + k}, ${h.kind} harness] ${m.text}  (${formatInsn(interp.cpu.insn)}) count=${m.count} differs: ${diffs.join(', ')}\n` +
          (h.kind === 'x86-64' ? `  natively ran the 64-bit-mode translation ${translated(m.bytes)}\n` : '') +
          `  in:     ${inRegs} eflags=${h32(input.readInt32LE(at + CODE_BYTES + 32))}\n` +
          `  native: ${natRegs} eflags=${h32(nf)}\n` +
          `  interp: ${intRegs} eflags=${h32(r.eflags)} (compared mask ${h32(cmpMask)})` + (memDiff ? `\n  ${memDiff}` : ''));
      }
    }
  }
  return res;
}

const FLAGS: [string, number][] = [['CF', 1], ['PF', 4], ['AF', 0x10], ['ZF', 0x40], ['SF', 0x80], ['DF', 0x400], ['OF', 0x800]];
function flagNames(x: number): string {
  return FLAGS.filter(([, b]) => x & b).map(([n]) => n).join(' ');
}
function firstMemDiff(input: Buffer, at: number, out: Buffer, ot: number, mem: Uint8Array): string {
  for (let b = 0; b < MEM_SIZE; b++) {
    if (out[ot + 36 + b] !== mem[b]) {
      const s = Math.max(0, b - 4), e = Math.min(MEM_SIZE, b + 8);
      const row = (f: (i: number) => number): string => Array.from({ length: e - s }, (_, i) => f(s + i).toString(16).padStart(2, '0')).join(' ');
      return `mem[+${s}..]: in ${row((i) => input[at + REC_MEM + i])} | native ${row((i) => out[ot + 36 + i])} | interp ${row((i) => mem[i])}`;
    }
  }
  return '';
}

function translated(bytes: number[]): string {
  const t = translate64(bytes, { lahfSahf: true });
  return t.ok ? t.code.map((b) => b.toString(16).padStart(2, '0')).join(' ') : `(none: ${t.reason})`;
}
