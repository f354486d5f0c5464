// Entry of `npm run bench` (bundled by scripts/bench.mjs). Prints a markdown report and writes
// build/bench/report.{json,md}. Figures are ratios against a baseline measured in the same run.
import * as fs from 'node:fs';
import { cpuBench } from './cpuBench';
import { timeTravelBench, timeTravelMarkdown } from './timeTravelBench';
import { mmuBench, mmuBenchMarkdown } from './mmuBench';
import { exitBench, exitBenchMarkdown } from './exitBench';
import { bootBench, bootBenchMarkdown } from './bootBench';

const [imagePath, nativeSecondsArg, guestInsnsArg, insnsArg] = process.argv.slice(2);
const nativeSeconds = Number(nativeSecondsArg);
const fullGuestInsns = Number(guestInsnsArg);
const r = cpuBench(imagePath, Number(insnsArg));
const nativeMips = fullGuestInsns / nativeSeconds / 1e6;
const tt = timeTravelBench(imagePath, Number(insnsArg));
const mmu = mmuBench('build/guests/ptchurn.elf', 'build/guests/cpuidloop.elf');
const exits = exitBench();
const boot = bootBench();
const report = {
  boot,
  mmu,
  exits,
  timeTravel: tt,
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  cpuloop: {
    guestMips: r.mips, instructionsMeasured: r.instructions, seconds: r.seconds,
    guestMipsCpuTime: r.cpuMips, cpuSeconds: r.cpuSeconds, slowdownVsNativeCpuTime: nativeMips / r.cpuMips,
    nativeSeconds, nativeGuestEquivalentMips: nativeMips, slowdownVsNative: nativeMips / r.mips,
    heapGrowthBytesPer1e8: r.heapGrowthPer1e8, singleStepMicros: r.stepMicros,
  },
};
const md = [
  '# vmm-debug benchmarks',
  '',
  `Machine: ${report.machine}`,
  '',
  '| measure | value |',
  '|---|---|',
  `| cpuloop guest MIPS (interpreter, EPT, paging on) | ${r.mips.toFixed(1)} |`,
  `| same workload natively (gcc -O1, x86-64), guest-instruction-equivalent MIPS | ${nativeMips.toFixed(0)} |`,
  `| slowdown vs native | ${(nativeMips / r.mips).toFixed(0)}x |`,
  `| cpuloop guest MIPS by process CPU time (what a loaded machine does not distort) | ${r.cpuMips.toFixed(1)} |`,
  `| slowdown vs native by CPU time | ${(nativeMips / r.cpuMips).toFixed(0)}x |`,
  `| heap growth per 10^8 guest instructions | ${(r.heapGrowthPer1e8 / 1024).toFixed(1)} KiB |`,
  `| one instruction step through the core API | ${r.stepMicros.toFixed(2)} µs |`,
  '',
  timeTravelMarkdown(tt),
  '',
].join('\n') + '\n' + mmuBenchMarkdown(mmu) + '\n' + exitBenchMarkdown(exits) + '\n' + bootBenchMarkdown(boot);
fs.mkdirSync('build/bench', { recursive: true });
fs.writeFileSync('build/bench/report.json', JSON.stringify(report, null, 2));
fs.writeFileSync('build/bench/report.md', md);
console.log(md);
