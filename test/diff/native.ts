// The native side of the differential test: builds test/native/diffHarness.c into a freestanding
// 32-bit Linux program (no 32-bit libc needed) and runs batches of cases through it. Where the kernel
// cannot execute 32-bit programs, test/native/diffHarness64.c runs each case's 64-bit-mode
// translation instead (translate64.ts; docs/adr/0004-64-bit-diff-harness.md). The record layout and
// the fixed addresses must match both C files.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jmpBack64, translate64 } from './translate64';

export const CODE_PAGE = 0x00200000;
/** Where the harness keeps the address its code jumps back to: instructions end with `jmp dword [BACK_PTR]`. */
export const BACK_PTR = CODE_PAGE + 0x800;
export const MEM_BASE = 0x00100400;
export const MEM_SIZE = 128;
/** The memory window for 16-bit addressing (below 64 KiB; needs vm.mmap_min_addr <= 0x7000). */
export const LOW_BASE = 0x00007400;
export const CODE_BYTES = 32;
export const CASE_IN = CODE_BYTES + 32 + 4 + 4 + MEM_SIZE;
/** Offset of the memory window's contents in a case record. */
export const REC_MEM = CODE_BYTES + 40;
export const CASE_OUT = 32 + 4 + MEM_SIZE;

/** The repository: the first directory above the compiled test that holds test/native (else the cwd). */
function findRoot(): string {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'test', 'native', 'diffHarness.c'))) return d;
  return process.cwd();
}
const root = findRoot();

/** A built native harness: `i386` runs the generated 32-bit code as is, `x86-64` its translation. */
export interface Harness { bin: string; kind: 'i386' | 'x86-64' }

function build(kind: Harness['kind']): string {
  const source = join(root, 'test', 'native', kind === 'i386' ? 'diffHarness.c' : 'diffHarness64.c');
  const binary = join(root, 'build', 'native', kind === 'i386' ? 'diffHarness' : 'diffHarness64');
  mkdirSync(join(root, 'build', 'native'), { recursive: true });
  let stale = true;
  try { stale = statSync(binary).mtimeMs < statSync(source).mtimeMs; } catch { /* not built yet */ }
  if (stale) {
    try {
      execFileSync('gcc', [...(kind === 'i386' ? ['-m32'] : []), '-ffreestanding', '-nostdlib', '-static', '-fno-pie', '-no-pie',
        '-fno-stack-protector', '-O1', '-Wall', '-o', binary, source], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(`gcc${kind === 'i386' ? ' -m32' : ''} could not build the ${kind} differential-test harness (${source}): ` +
        `${err.stderr?.toString() ?? String(e)}. The test needs gcc${kind === 'i386' ? ' with i386 code generation (no 32-bit libc)' : ''}.`);
    }
  }
  return binary;
}

/** Whether `bin` runs: an empty batch must exit 0 with no output (ENOEXEC makes spawn fall back to /bin/sh, status 2). */
function runs(bin: string): boolean {
  const r = spawnSync(bin, [], { input: Buffer.alloc(0) });
  return !r.error && r.status === 0 && r.stdout.length === 0;
}

/** Build the 32-bit harness (kept for the record), and use it when the kernel can execute it. */
export function buildHarness32(): Harness | undefined {
  let bin: string;
  try { bin = build('i386'); } catch { return undefined; }
  return runs(bin) ? { bin, kind: 'i386' } : undefined;
}

/**
 * The harness for this machine: the 32-bit one where 32-bit processes run (full fidelity), else
 * the 64-bit one (groups it cannot express are reported pending by the caller).
 */
export function buildHarness(): Harness {
  // DIFF_HARNESS=x86-64 forces the translated run on a machine that could run both (to check it there).
  const h32 = process.env.DIFF_HARNESS === 'x86-64' ? undefined : buildHarness32();
  if (h32) return h32;
  const bin = build('x86-64');
  if (!runs(bin)) throw new Error(`the 64-bit differential-test harness ${bin} does not run (MAP_FIXED at 0x100000/0x200000 refused?)`);
  return { bin, kind: 'x86-64' };
}

/** Whether the CPU has LAHF/SAHF in 64-bit mode (CPUID.80000001H:ECX[0], "lahf_lm" in /proc/cpuinfo). */
export function hostHasLahf64(): boolean {
  try { return /^flags\s*:.*\blahf_lm\b/m.test(readFileSync('/proc/cpuinfo', 'utf8')); } catch { return false; }
}

/**
 * Rewrite the code field of `count` 32-bit case records into their 64-bit-mode translations for the
 * x86-64 harness (a copy: the interpreter keeps the original). Throws on an instruction the
 * translator refuses, which the caller must have kept out of the x86-64 run.
 */
export function to64(input: Buffer, count: number, insns: readonly (readonly number[])[], lahf = hostHasLahf64()): Buffer {
  const out = Buffer.from(input);
  const back = jmpBack64(BACK_PTR);
  for (let k = 0; k < count; k++) {
    const t = translate64(insns[k], { lahfSahf: lahf });
    if (!t.ok) throw new Error(`case ${k} (${insns[k].map((b) => b.toString(16).padStart(2, '0')).join(' ')}) has no 64-bit translation: ${t.reason}`);
    const code = [...t.code, ...back];
    if (code.length > CODE_BYTES) throw new Error(`translated case ${k} is too long for the record (${code.length} bytes)`);
    for (let b = 0; b < CODE_BYTES; b++) out[k * CASE_IN + b] = b < code.length ? code[b] : 0x90;
  }
  return out;
}

/** Run `count` case records (CASE_IN bytes each) natively; returns the result records. */
export function runNative(h: Harness, input: Buffer, count: number): Buffer {
  const r = spawnSync(h.bin, [], { input, maxBuffer: count * CASE_OUT + 4096 });
  if (r.error) throw r.error;
  if (r.status !== 0 || r.stdout.length !== count * CASE_OUT) {
    throw new Error(`native harness failed: status ${r.status} signal ${r.signal}, ${r.stdout.length}/${count * CASE_OUT} bytes ` +
      `(${h.kind} harness: a generated case faulted natively)`);
  }
  return r.stdout;
}

/** Whether this kernel lets a process map LOW_BASE (for the 16-bit addressing group). */
export function lowMemoryMappable(): boolean {
  try { return Number(readFileSync('/proc/sys/vm/mmap_min_addr', 'utf8').trim()) <= (LOW_BASE & ~0xfff); } catch { return false; }
}
