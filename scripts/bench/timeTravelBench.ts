// Time-travel benchmarks of `npm run bench` (issue 7): recording overhead on cpuloop (forward speed
// with recording on vs off, same run), reverse-step latency at the end of history, history memory.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Vm } from '../../src/core/machine/vm';

export interface TimeTravelBenchResult {
  instructions: number;
  mipsOff: number;
  mipsOn: number;
  overhead: number;
  checkpoints: number;
  historyBytes: number;
  historyBytesPer1e9: number;
  interval: number;
  stepBackMedianMs: number;
  stepBackMaxMs: number;
}

function forward(vm: Vm, n: number): number {
  const start = vm.icount;
  const t0 = performance.now();
  while (vm.icount - start < n) {
    const s = vm.run(Math.min(2_000_000, n - (vm.icount - start))); // adapter-like slices
    if (s) throw new Error(`cpuloop stopped early: ${JSON.stringify(s)}`);
  }
  return (performance.now() - t0) / 1000;
}

export function timeTravelBench(imagePath: string, instructions: number): TimeTravelBenchResult {
  const image = fs.readFileSync(imagePath);
  const boot = (): Vm => Vm.fromImage(image, imagePath, {}, { serialOut: () => undefined });
  const off = boot(), on = boot();
  forward(off, 2_000_000);
  on.startRecording();
  forward(on, 2_000_000);
  // Interleave halves so machine noise hits both alike.
  const half = Math.floor(instructions / 2);
  let tOff = 0, tOn = 0;
  tOff += forward(off, half); tOn += forward(on, half);
  tOn += forward(on, half); tOff += forward(off, half);
  const st = on.timeline!.stats();
  const lat: number[] = [];
  for (let k = 0; k < 21; k++) {
    const t0 = performance.now();
    on.stepBack(0);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const ran = on.icount;
  return {
    instructions: 2 * half, mipsOff: (2 * half) / tOff / 1e6, mipsOn: (2 * half) / tOn / 1e6, overhead: tOn / tOff,
    checkpoints: st.checkpoints, historyBytes: st.bytes, historyBytesPer1e9: (st.bytes / ran) * 1e9, interval: st.interval,
    stepBackMedianMs: lat[lat.length >> 1], stepBackMaxMs: lat[lat.length - 1],
  };
}
