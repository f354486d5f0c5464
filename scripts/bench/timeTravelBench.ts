// Time-travel benchmarks of `npm run bench` (issue 7), all ratios measured in the same run:
//  - recording overhead on cpuloop (forward time with recording on / off, interleaved halves);
//  - at 10^7, 10^8 and 10^9 instructions of history (one recording with the default options, on a
//    long cpuloop: the same sources built with 64 sieve passes, ~1.25e9 instructions): history
//    memory, reverse-step latency at the end of history (median / max of 21 steps back), and at 10^8
//    a reverse continue over the whole history (no breakpoint: it searches back to the start) against
//    the forward time of the same instructions;
//  - ptchurn (page-table churn, ~4.3M instructions in all): history memory for its whole run;
//  - teachos (the OS fixture: disk boot, 2 vCPUs, `stress` typed on COM1 so its processes run round
//    after round): a real recording of 10^9 instructions with the default options - history, exit log
//    and replay marks, reverse steps from the end, a jump to the middle and back (teachosRecording.ts).
//    TEACHOS_INSNS overrides the 10^9.
// Recording overhead is reported by wall time and by process CPU time (which a loaded machine distorts
// less), over four interleaved quarters.
// Host timing lives here, outside src/core (invariant 1). TT_DEPTHS (comma-separated) overrides the depths.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Vm } from '../../src/core/machine/vm';
import { teachosRecordingBench, type TeachosRecordingResult } from './teachosRecording';

export interface DepthResult {
  depth: number;
  /** Checkpoints (page versions + state). */
  historyBytes: number;
  /** Everything history holds: checkpoints, the exit log and replay / live marks (what the budget bounds). */
  totalBytes: number;
  /** The first step back after running forward (from a live mark). */
  stepBackFirstMs: number;
  checkpoints: number;
  thinned: number;
  interval: number;
  stepBackMedianMs: number;
  stepBackMaxMs: number;
  forwardSeconds: number;
  /** Only at 10^8: reverse continue over the whole history, seconds and ratio to forward. */
  reverseContinueSeconds?: number;
  reverseContinueRatio?: number;
}

export interface TimeTravelBenchResult {
  instructions: number;
  mipsOff: number;
  mipsOn: number;
  overhead: number;
  /** The same ratio by process CPU time. */
  overheadCpu: number;
  /** The same measure with one VM per fresh process (median of 5 each side, alternating). */
  separate: { mipsOff: number; mipsOn: number; overhead: number; overheadCpu: number };
  checkpoints: number;
  historyBytes: number;
  historyBytesPer1e9: number;
  interval: number;
  stepBackMedianMs: number;
  stepBackMaxMs: number;
  stepBackFirstMs: number;
  /** Everything the overhead run's history holds (checkpoints, exit log, marks). */
  totalBytes: number;
  depths: DepthResult[];
  ptchurn: { instructions: number; historyBytes: number; checkpoints: number; thinned: number; stepBackMedianMs: number };
  teachos?: TeachosRecordingResult;
}

const boot = (imagePath: string): Vm => Vm.fromImage(fs.readFileSync(imagePath), imagePath, {}, { serialOut: () => undefined });

let lastCpu = 0;
function forward(vm: Vm, n: number): number {
  const start = vm.icount;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (vm.icount - start < n) {
    const s = vm.run(Math.min(2_000_000, n - (vm.icount - start))); // adapter-like slices
    if (s) throw new Error(`guest stopped early at ${vm.icount}: ${JSON.stringify(s)}`);
  }
  const c = process.cpuUsage(c0);
  lastCpu = (c.user + c.system) / 1e6;
  return (performance.now() - t0) / 1000;
}

function stepBackLatency(vm: Vm, n = 21): { median: number; max: number; first: number } {
  const lat: number[] = [];
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    vm.stepBack(0);
    lat.push(performance.now() - t0);
  }
  const first = lat[0];
  lat.sort((a, b) => a - b);
  return { median: lat[lat.length >> 1], max: lat[lat.length - 1], first };
}

/** cpuloop built with 64 sieve passes (~1.25e9 instructions), for history depths up to 10^9. */
export function buildLongCpuloop(outDir = 'build/bench'): string {
  const lib = 'test/guests/lib';
  const obj = path.join(outDir, 'ttlong');
  fs.mkdirSync(obj, { recursive: true });
  const cflags = ['-m32', '-march=i686', '-ffreestanding', '-fno-pic', '-fno-pie', '-fno-stack-protector', '-fno-builtin', '-nostdlib',
    '-O1', '-fno-omit-frame-pointer', '-mno-sse', '-mno-mmx', '-mno-80387', '-fcf-protection=none', '-std=gnu11', `-I${lib}`,
    '-DCPULOOP_SIEVE_REPS=64u'];
  const objects: string[] = [];
  execFileSync('as', ['--32', '-I', lib, `${lib}/entry.s`, '-o', `${obj}/entry.o`]);
  objects.push(`${obj}/entry.o`);
  for (const [src, o] of [[`${lib}/guest.c`, 'guest.o'], [`${lib}/paging.c`, 'paging.o'], ['test/guests/cpuloop/main.c', 'main.o']]) {
    execFileSync('gcc', [...cflags, '-c', src, '-o', `${obj}/${o}`]);
    objects.push(`${obj}/${o}`);
  }
  const out = path.join(outDir, 'cpuloop-long.elf');
  execFileSync('ld', ['-m', 'elf_i386', '--build-id=none', '-nostdlib', '-z', 'noexecstack', '-T', `${lib}/multiboot.ld`, '-o', out, ...objects]);
  return out;
}

/** Instructions the recording-overhead measure runs each VM for, at least (steady state: several checkpoint intervals). */
const OVERHEAD_INSNS = 256_000_000;

/**
 * Recording overhead with one VM per process (as in a debug session): five fresh processes each side,
 * alternating off / on, medians compared. Two VMs in one process share the interpreter's JIT state,
 * which moves that measure by +-20 % from run to run.
 */
function overheadSeparate(imagePath: string, instructions: number): { wallOff: number; wallOn: number; cpuOff: number; cpuOn: number } {
  const child = path.join(path.dirname(process.argv[1] ?? '.'), 'recordingOverheadChild.js');
  const one = (mode: string): { wall: number; cpu: number } =>
    JSON.parse(execFileSync(process.execPath, [child, imagePath, mode, String(instructions)], { encoding: 'utf8' }).trim());
  const off: { wall: number; cpu: number }[] = [], on: { wall: number; cpu: number }[] = [];
  for (let k = 0; k < 5; k++) { off.push(one('off')); on.push(one('on')); }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return { wallOff: med(off.map((x) => x.wall)), wallOn: med(on.map((x) => x.wall)), cpuOff: med(off.map((x) => x.cpu)), cpuOn: med(on.map((x) => x.cpu)) };
}

export function timeTravelBench(imagePath: string, instructions: number): TimeTravelBenchResult {
  // Recording overhead: the same cpuloop run with recording on and off, in eight interleaved slices
  // so machine noise hits both alike, over enough instructions for several checkpoint intervals
  // (a user's session runs long; the first few million instructions are JIT warm-up for both).
  const off = boot(imagePath), on = boot(imagePath);
  forward(off, 2_000_000);
  on.startRecording();
  forward(on, 2_000_000);
  const total = Math.max(instructions, OVERHEAD_INSNS), slice = Math.floor(total / 8);
  let tOff = 0, tOn = 0, cOff = 0, cOn = 0;
  for (const first of [off, on, on, off, off, on, on, off]) {
    const second = first === off ? on : off;
    for (const vm of [first, second]) {
      const t = forward(vm, slice / 2);
      if (vm === off) { tOff += t; cOff += lastCpu; } else { tOn += t; cOn += lastCpu; }
    }
  }
  const quarter = slice; // 4 * quarter = the instructions each VM ran
  const sep = overheadSeparate(imagePath, 4 * quarter);
  const st = on.timeline!.stats();
  const lat = stepBackLatency(on);
  const firstStepMs = lat.first;
  const ran = on.icount;

  // History depth.
  const depths = (process.env.TT_DEPTHS ?? '1e7,1e8,1e9').split(',').map(Number).sort((a, b) => a - b);
  const long = boot(buildLongCpuloop());
  const tl = long.startRecording();
  const results: DepthResult[] = [];
  let forwardTotal = 0;
  for (const d of depths) {
    forwardTotal += forward(long, d - long.icount);
    const s = tl.stats();
    const r = stepBackLatency(long);
    const res: DepthResult = {
      depth: d, historyBytes: s.bytes, totalBytes: s.totalBytes, stepBackFirstMs: r.first, checkpoints: s.checkpoints, thinned: s.thinned, interval: s.interval,
      stepBackMedianMs: r.median, stepBackMaxMs: r.max, forwardSeconds: forwardTotal,
    };
    if (d === 1e8) {
      long.setInstructionBreakpoints([]);
      const t0 = performance.now();
      const rc = long.reverseContinue(0);
      res.reverseContinueSeconds = (performance.now() - t0) / 1000;
      res.reverseContinueRatio = res.reverseContinueSeconds / forwardTotal;
      if (rc.stop.kind !== 'entry') throw new Error(`reverse continue stopped at ${JSON.stringify(rc.stop)}`);
    }
    long.gotoIcount(tl.frontier);
    results.push(res);
  }

  // ptchurn: its whole run.
  const pt = boot(path.join(path.dirname(imagePath), 'ptchurn.elf'));
  const ptl = pt.startRecording();
  for (;;) { const s = pt.run(2_000_000); if (s) break; }
  const pst = ptl.stats();
  pt.gotoIcount(ptl.frontier - 1000); // from a moment in its run, not from the ended VM
  const plat = stepBackLatency(pt);

  // teachos: 10^9 instructions of its stress workload (disk boot, 2 vCPUs), default recording options.
  const img = path.join(path.dirname(imagePath), 'teachos.img');
  const teachos = fs.existsSync(img) ? teachosRecordingBench(img, Number(process.env.TEACHOS_INSNS ?? 1e9)) : undefined;

  return {
    instructions: 4 * quarter, mipsOff: (4 * quarter) / tOff / 1e6, mipsOn: (4 * quarter) / tOn / 1e6, overhead: tOn / tOff, overheadCpu: cOn / cOff,
    separate: { mipsOff: (4 * quarter) / sep.wallOff / 1e6, mipsOn: (4 * quarter) / sep.wallOn / 1e6, overhead: sep.wallOn / sep.wallOff, overheadCpu: sep.cpuOn / sep.cpuOff },
    checkpoints: st.checkpoints, historyBytes: st.bytes, historyBytesPer1e9: (st.bytes / ran) * 1e9, interval: st.interval,
    stepBackMedianMs: lat.median, stepBackMaxMs: lat.max, stepBackFirstMs: firstStepMs, totalBytes: st.totalBytes,
    depths: results,
    ptchurn: { instructions: pst.frontier, historyBytes: pst.bytes, checkpoints: pst.checkpoints, thinned: pst.thinned, stepBackMedianMs: plat.median },
    teachos,
  };
}

export function timeTravelMarkdown(tt: TimeTravelBenchResult): string {
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  const lines = [
    `## Time travel (same run)`,
    '',
    '| measure | value |',
    '|---|---|',
    `| cpuloop forward MIPS, recording off / on (${(tt.instructions / 1e6).toFixed(0)}M instructions after a 16M warm-up; one VM per process, median of 5 each, alternating) | ${tt.separate.mipsOff.toFixed(1)} / ${tt.separate.mipsOn.toFixed(1)} |`,
    `| recording overhead (time on / off; target <= 1.3x), wall / process CPU time | ${tt.separate.overhead.toFixed(2)}x / ${tt.separate.overheadCpu.toFixed(2)}x |`,
    `| the same with both VMs in one process (8 interleaved slices; they share the JIT's state, +-20 % run to run) | ${tt.mipsOff.toFixed(1)} / ${tt.mipsOn.toFixed(1)} MIPS: ${tt.overhead.toFixed(2)}x wall / ${tt.overheadCpu.toFixed(2)}x CPU |`,
    `| checkpoints, interval at the end | ${tt.checkpoints}, ${tt.interval.toLocaleString('en-US')} instructions |`,
    `| history held after that run: all (checkpoints + exit log + marks) | ${mib(tt.totalBytes)} MiB (${mib(tt.historyBytes)} MiB checkpoints) |`,
    `| reverse step at the end of history: first (from a live mark) / median / max of 21 | ${tt.stepBackFirstMs.toFixed(1)} / ${tt.stepBackMedianMs.toFixed(1)} / ${tt.stepBackMaxMs.toFixed(1)} ms |`,
    '',
    '| history depth (long cpuloop, default budget) | history memory: all (checkpoints) | checkpoints (thinned) | reverse step first / median / max (target: median <= 50 ms) | reverse continue over all / forward (target <= 3x) |',
    '|---|---|---|---|---|',
    ...tt.depths.map((d) => `| ${d.depth.toExponential(0)} | ${mib(d.totalBytes)} (${mib(d.historyBytes)}) MiB | ${d.checkpoints} (${d.thinned}) | ${d.stepBackFirstMs.toFixed(1)} / ${d.stepBackMedianMs.toFixed(1)} / ${d.stepBackMaxMs.toFixed(1)} ms | ${d.reverseContinueRatio !== undefined ? `${d.reverseContinueSeconds!.toFixed(1)} s / ${d.forwardSeconds.toFixed(1)} s = ${d.reverseContinueRatio.toFixed(2)}x` : ''} |`),
    '',
    `ptchurn (whole run, ${(tt.ptchurn.instructions / 1e6).toFixed(1)}M instructions): history ${mib(tt.ptchurn.historyBytes)} MiB in ${tt.ptchurn.checkpoints} checkpoints, reverse step median ${tt.ptchurn.stepBackMedianMs.toFixed(1)} ms.`,
    ...(tt.teachos ? teachosMarkdown(tt.teachos) : []),
    '',
  ];
  return lines.join('\n');
}

function teachosMarkdown(t: TeachosRecordingResult): string[] {
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  const per1e9 = (b: number): string => mib((b / t.instructions) * 1e9);
  return [
    '',
    `teachos (OS fixture: teachos.img, 2 vCPUs, \`stress\` on COM1: its processes round after round), one recording of ${(t.instructions / 1e9).toFixed(2)}x10^9 instructions with the default options:`,
    '',
    '| teachos measure | value |',
    '|---|---|',
    `| run | ${t.rounds} stress rounds, ${t.machineSeconds.toFixed(1)} s of machine time |`,
    `| forward with recording | ${(t.instructions / t.forwardSeconds / 1e6).toFixed(1)} MIPS (${t.forwardSeconds.toFixed(1)} s wall, ${t.forwardCpuSeconds.toFixed(1)} s process CPU) |`,
    `| ${(t.baselineInstructions / 1e6).toFixed(0)}M instructions after the first 10M (stress rounds; by alternating quarters), recording off / on, wall / process CPU | ${t.baselineOff.seconds.toFixed(1)} / ${t.baselineOn.seconds.toFixed(1)} s = ${(t.baselineOn.seconds / t.baselineOff.seconds).toFixed(2)}x; ${t.baselineOff.cpuSeconds.toFixed(1)} / ${t.baselineOn.cpuSeconds.toFixed(1)} s = ${(t.baselineOn.cpuSeconds / t.baselineOff.cpuSeconds).toFixed(2)}x |`,
    `| history memory (checkpoints: page versions + state; target <= 64 MiB per 10^9) | ${mib(t.historyBytes)} MiB (${per1e9(t.historyBytes)} MiB per 10^9) |`,
    `| exit log | ${mib(t.exitLogBytes)} MiB, ${t.exitRecords.toLocaleString('en-US')} exits |`,
    `| replay marks (a cache, after the moves below) | ${mib(t.markBytes)} MiB, ${t.marks} marks |`,
    `| all three | ${mib(t.historyBytes + t.exitLogBytes + t.markBytes)} MiB |`,
    `| checkpoints (thinned), interval at the end | ${t.checkpoints} (${t.thinned}), ${t.interval.toLocaleString('en-US')} instructions |`,
    `| reverse step at the end of history, median / max of 21 | ${t.stepBackMedianMs.toFixed(1)} / ${t.stepBackMaxMs.toFixed(1)} ms |`,
    `| go to the middle of history / back to the end | ${t.gotoMiddleMs.toFixed(0)} / ${t.gotoEndMs.toFixed(0)} ms |`,
  ];
}
