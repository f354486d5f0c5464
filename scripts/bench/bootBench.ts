// Boot-to-prompt time of the OS fixture for `npm run bench` (issue 9): teachos.img from power-on
// (the boot sector at 0000:7C00) to its first PASS line and to the COM1 shell prompt, with 1 and 2
// vCPUs under EPT and shadow paging, in guest instructions (exact, deterministic) and host wall time.
// The shell is asked for by typing "halt" ahead (the input log at icount 0), so the run then ends.
// Baseline in the same run: QEMU (TCG) booting the same image with the same input to the same end,
// when qemu-system-i386 is installed. Host timing lives here, never in src/core.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Vm, type MmuMode } from '../../src/core/machine/vm';

const IMAGE = 'build/guests/teachos.img';
const PROMPT = 'teachos> ';

export interface BootRow {
  smp: number; mmu: string;
  /** Building the VM (host memory, devices, firmware, loading the image): before power-on. */
  buildMs: number;
  firstPassInsns: number; firstPassMs: number;
  promptInsns: number; promptMs: number;
  endInsns: number; endMs: number;
  qemuEndMs?: number;
}

function bootOnce(smp: number, mmu: MmuMode): BootRow {
  let text = '';
  let firstPass: [number, number] | null = null, prompt: [number, number] | null = null;
  let t0 = performance.now();
  let vm: Vm;
  const serialOut = (_port: number, b: Uint8Array): void => {
    text += String.fromCharCode(...b);
    if (!firstPass && text.includes('PASS ')) firstPass = [vm.icount, performance.now() - t0];
    if (!prompt && text.endsWith(PROMPT)) prompt = [vm.icount, performance.now() - t0];
  };
  vm = Vm.fromImage(fs.readFileSync(IMAGE), 'teachos.img', { smp, mmu }, { serialOut });
  const buildMs = performance.now() - t0;
  vm.serialInput(0, new TextEncoder().encode('halt\n'));
  t0 = performance.now();
  for (let k = 0; k < 4000; k++) {
    const s = vm.run(100_000);
    if (s) { if (s.kind !== 'exited') throw new Error(`teachos --smp ${smp} ${mmu}: ${JSON.stringify(s)}`); break; }
  }
  const end: [number, number] = [vm.icount, performance.now() - t0];
  if (!firstPass || !prompt) throw new Error(`teachos --smp ${smp} ${mmu}: no PASS line or no prompt\n${text}`);
  const fp = firstPass as [number, number], pr = prompt as [number, number];
  return { smp, mmu, buildMs, firstPassInsns: fp[0], firstPassMs: fp[1], promptInsns: pr[0], promptMs: pr[1], endInsns: end[0], endMs: end[1] };
}

/** QEMU TCG, the same image and input, to the same halt: wall time of the whole process (best of 2). */
function qemuMs(smp: number): number | undefined {
  if (spawnSync('qemu-system-i386', ['--version']).status !== 0) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-teachos-'));
  const img = path.join(dir, 't.img');
  let best = Infinity;
  try {
    for (let k = 0; k < 2; k++) {
      fs.copyFileSync(IMAGE, img);
      const t0 = performance.now();
      const r = spawnSync('qemu-system-i386', ['-smp', String(smp), '-m', '128', '-drive', `file=${img},format=raw,if=ide`, '-serial', 'stdio',
        '-display', 'none', '-monitor', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'], { input: 'halt\n', encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 1 || !r.stdout.includes(PROMPT)) return undefined;
      best = Math.min(best, performance.now() - t0);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return best;
}

export function bootBench(): BootRow[] {
  const rows: BootRow[] = [];
  for (const smp of [1, 2]) {
    const q = qemuMs(smp);
    for (const mmu of ['ept', 'shadow'] as MmuMode[]) {
      // Best of 2 by wall time (the instruction counts are the same every run).
      const a = bootOnce(smp, mmu), b = bootOnce(smp, mmu);
      const r = a.endMs <= b.endMs ? a : b;
      rows.push({ ...r, qemuEndMs: q });
    }
  }
  return rows;
}

export function bootBenchMarkdown(rows: BootRow[]): string {
  const m = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
  const lines = [
    '## Boot to prompt (teachos.img, the OS fixture)',
    '',
    'From power-on (boot sector at 0000:7C00; building the VM before it is the last column) to the first `PASS` line and to the COM1 shell prompt `teachos> `, with `halt` typed ahead',
    '(input log at icount 0). Guest instructions are exact (all vCPUs); times are host wall time, best of 2. QEMU: the same image and input',
    'under `qemu-system-i386` (TCG, SeaBIOS) to the same halt, whole process, measured in the same run; the ratio compares it with our build + run.',
    '',
    '| vCPUs | mmu | first PASS: instructions / ms | prompt: instructions / ms | halt: instructions / ms | QEMU to halt, ms | ours / QEMU | VM build, ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.smp} | ${r.mmu} | ${m(r.firstPassInsns)} / ${r.firstPassMs.toFixed(0)} | ${m(r.promptInsns)} / ${r.promptMs.toFixed(0)} | ${m(r.endInsns)} / ${r.endMs.toFixed(0)} | ${r.qemuEndMs === undefined ? 'n/a' : r.qemuEndMs.toFixed(0)} | ${r.qemuEndMs === undefined ? 'n/a' : ((r.buildMs + r.endMs) / r.qemuEndMs).toFixed(2) + 'x'} | ${r.buildMs.toFixed(0)} |`);
  }
  return lines.join('\n') + '\n';
}

// `node build/bench/bootBench.js`: this section alone.
if (process.argv[1]?.endsWith('bootBench.js')) console.log(bootBenchMarkdown(bootBench()));
