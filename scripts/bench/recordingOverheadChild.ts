// One side of the recording-overhead measure (timeTravelBench.ts): boot cpuloop in this fresh process,
// recording on or off, warm up, then time the forward run. A VM per process, as in a debug session
// (the adapter runs one VM), so the other side's JIT state does not shape this one's code.
// Usage: node recordingOverheadChild.js IMAGE on|off INSTRUCTIONS  -> one JSON line {wall, cpu}.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Vm } from '../../src/core/machine/vm';

const [image, mode, n] = process.argv.slice(2);
const vm = Vm.fromImage(fs.readFileSync(image), image, {}, { serialOut: () => undefined });
if (mode === 'on') vm.startRecording();
const run = (count: number): void => {
  const end = vm.icount + count;
  while (vm.icount < end) { const s = vm.run(Math.min(2_000_000, end - vm.icount)); if (s) throw new Error(`cpuloop stopped at ${vm.icount}: ${JSON.stringify(s)}`); }
};
run(16_000_000); // JIT warm-up (block translation, optimization), the same for both sides
const t0 = performance.now(), c0 = process.cpuUsage();
run(Number(n));
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }) + '\n');
