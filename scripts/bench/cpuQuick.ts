// Quick CPU-only benchmark for iterating on interpreter speed (the full report is `npm run bench`):
//   npx esbuild scripts/bench/cpuQuick.ts --bundle --platform=node --outfile=build/bench/cpuQuick.js
//   node --expose-gc build/bench/cpuQuick.js build/guests/cpuloop.elf [instructions]
// Prints guest MIPS by wall-clock and by process CPU time, and heap growth per 10^8 instructions.
import { cpuBench } from './cpuBench';

const [imagePath, insnsArg] = process.argv.slice(2);
const r = cpuBench(imagePath ?? 'build/guests/cpuloop.elf', Number(insnsArg ?? '50000000'));
console.log(`cpuloop: ${(r.instructions / 1e6).toFixed(0)}M instructions, wall ${r.seconds.toFixed(2)} s = ${r.mips.toFixed(1)} MIPS, `
  + `cpu ${r.cpuSeconds.toFixed(2)} s = ${r.cpuMips.toFixed(1)} MIPS, heap growth ${(r.heapGrowthPer1e8 / 1024).toFixed(1)} KiB/1e8, step ${r.stepMicros.toFixed(2)} us`);
