// CPU benchmarks of `npm run bench`: guest MIPS on the cpuloop fixture (sieve + CRC32, paging on),
// heap growth per 10^8 instructions, and the cost of one instruction step through the core API.
// Host timing lives here, outside src/core (which has no clock: invariant 1).
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Vm } from '../../src/core/machine/vm';

export interface CpuBenchResult {
  instructions: number;
  seconds: number;
  mips: number;
  /** Process CPU time (user + system) of the measured run: the figure that survives a loaded machine. */
  cpuSeconds: number;
  cpuMips: number;
  heapGrowthPer1e8: number;
  stepMicros: number;
}

export function cpuBench(imagePath: string, instructions: number): CpuBenchResult {
  const image = fs.readFileSync(imagePath);
  const vm = Vm.fromImage(image, imagePath, {}, { serialOut: () => undefined });
  vm.run(2_000_000); // warm up: JIT, EPT mappings, TLB
  const gc = (globalThis as { gc?: () => void }).gc;
  const start = vm.icount;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (vm.icount - start < instructions) {
    const s = vm.run(Math.min(10_000_000, instructions - (vm.icount - start)));
    if (s) throw new Error(`cpuloop stopped early: ${JSON.stringify(s)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const cpuSeconds = (c1.user + c1.system) / 1e6;
  const ran = vm.icount - start;
  // Heap growth over a second window of the same length, once the JIT has settled (the first window
  // also holds the host's compiled code for the new blocks): allocation in the interpreter loop.
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const start2 = vm.icount;
  while (vm.icount - start2 < instructions) {
    const s = vm.run(Math.min(10_000_000, instructions - (vm.icount - start2)));
    if (s) throw new Error(`cpuloop stopped early: ${JSON.stringify(s)}`);
  }
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  // Single step cost: what the debugger's step uses.
  const steps = 20_000;
  const t1 = performance.now();
  for (let k = 0; k < steps; k++) vm.step(0);
  const stepMicros = ((performance.now() - t1) * 1000) / steps;
  return { instructions: ran, seconds, mips: ran / seconds / 1e6, cpuSeconds, cpuMips: ran / cpuSeconds / 1e6, heapGrowthPer1e8: ((heap1 - heap0) / (vm.icount - start2)) * 1e8, stepMicros };
}
