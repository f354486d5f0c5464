// The native side of the differential test: builds test/native/diffHarness.c into a freestanding
// 32-bit Linux program (no 32-bit libc needed) and runs batches of cases through it. The record
// layout and the fixed addresses must match diffHarness.c.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const CODE_PAGE = 0x00200000;
/** Where the harness keeps the address its code jumps back to: instructions end with `jmp dword [BACK_PTR]`. */
export const BACK_PTR = CODE_PAGE + 0x800;
export const MEM_BASE = 0x00100400;
export const MEM_SIZE = 128;
/** The memory window for 16-bit addressing (below 64 KiB; needs vm.mmap_min_addr <= 0x7000). */
export const LOW_BASE = 0x00007400;
export const CODE_BYTES = 24;
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
const source = join(root, 'test', 'native', 'diffHarness.c');
const binary = join(root, 'build', 'native', 'diffHarness');

/** Compile the harness (when the source is newer than the binary) and check it runs 32-bit code. */
export function buildHarness(): string {
  mkdirSync(join(root, 'build', 'native'), { recursive: true });
  let stale = true;
  try { stale = statSync(binary).mtimeMs < statSync(source).mtimeMs; } catch { /* not built yet */ }
  if (stale) {
    try {
      execFileSync('gcc', ['-m32', '-ffreestanding', '-nostdlib', '-static', '-fno-pie', '-no-pie', '-fno-stack-protector',
        '-O1', '-Wall', '-o', binary, source], { stdio: 'pipe' });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(`gcc -m32 could not build the 32-bit differential-test harness (${source}): ` +
        `${err.stderr?.toString() ?? String(e)}. The test needs gcc with i386 code generation (no 32-bit libc).`);
    }
  }
  return binary;
}

/** Run `count` case records (CASE_IN bytes each) natively; returns the result records. */
export function runNative(bin: string, input: Buffer, count: number): Buffer {
  const r = spawnSync(bin, [], { input, maxBuffer: count * CASE_OUT + 4096 });
  if (r.error) throw r.error;
  if (r.status !== 0 || r.stdout.length !== count * CASE_OUT) {
    throw new Error(`native harness failed: status ${r.status} signal ${r.signal}, ${r.stdout.length}/${count * CASE_OUT} bytes ` +
      '(a generated case faulted natively, or the kernel cannot run 32-bit programs)');
  }
  return r.stdout;
}

/** Whether this kernel lets a process map LOW_BASE (for the 16-bit addressing group). */
export function lowMemoryMappable(): boolean {
  try { return Number(readFileSync('/proc/sys/vm/mmap_min_addr', 'utf8').trim()) <= (LOW_BASE & ~0xfff); } catch { return false; }
}
