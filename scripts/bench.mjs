// `npm run bench`: benchmarks, reported as ratios against baselines measured in the same run.
// Not part of `npm test` (speed is never asserted by timed unit tests).
import { spawnSync, execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const must = (r, what) => { if (r.status !== 0) { console.error(`bench: ${what} failed`); process.exit(1); } };
must(spawnSync(process.execPath, ['scripts/buildGuests.mjs'], { stdio: 'inherit' }), 'building guests');
fs.mkdirSync('build/bench', { recursive: true });

// Native baseline: the cpuloop workload compiled for the host, timed (best of 3).
fs.writeFileSync('build/bench/native.c', '#include "../../test/guests/cpuloop/workload.c"\n#include <stdio.h>\nint main(void){struct cpuloop_result r; cpuloop_run(&r); printf("%u\\n", (unsigned)r.primes); return 0;}\n');
execFileSync('gcc', ['-O1', '-o', 'build/bench/native', 'build/bench/native.c']);
let best = Infinity;
for (let k = 0; k < 3; k++) {
  const t0 = process.hrtime.bigint();
  execFileSync('build/bench/native');
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
}
// Guest instructions of the whole cpuloop run (its retired-instruction count under this VMM).
const GUEST_INSNS = 524_994_499;

await esbuild.build({ entryPoints: ['scripts/bench/main.ts'], bundle: true, platform: 'node', target: 'node20', outfile: 'build/bench/bench.js', logLevel: 'warning' });
await esbuild.build({ entryPoints: ['scripts/bench/recordingOverheadChild.ts'], bundle: true, platform: 'node', target: 'node20', outfile: 'build/bench/recordingOverheadChild.js', logLevel: 'warning' });
const insns = process.env.BENCH_INSNS ?? '50000000';
must(spawnSync(process.execPath, ['--expose-gc', 'build/bench/bench.js', 'build/guests/cpuloop.elf', String(best), String(GUEST_INSNS), insns], { stdio: 'inherit' }), 'bench');

// DAP latency (issue 6): launch to first stop and the step round trip, against the bundled adapter.
must(spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }), 'bundling the adapter');
await esbuild.build({ entryPoints: ['scripts/bench/dapLatency.ts'], bundle: true, platform: 'node', target: 'node20', outfile: 'build/bench/dapLatency.js', logLevel: 'warning' });
must(spawnSync(process.execPath, ['build/bench/dapLatency.js', 'build/guests/demo.elf'], { stdio: 'inherit' }), 'DAP latency bench');

// One JSON and one markdown report of every figure above, with the native baseline used (docs/bench/bench.md).
must(spawnSync(process.execPath, ['scripts/bench/report.mjs'], { stdio: 'inherit' }), 'bench report');
