// The OS fixture's part of the time-travel bench (issue 7: "history memory per 10^9 instructions of
// the OS fixture"): teachos.img boots with two vCPUs, the default recording options, and `stress`
// typed on COM1 through the input log (as `vmm-debug run --serial-input` does), so after its self-test
// the kernel runs its process workload round after round (test/guests/teachos/kernel/stress.c) for
// as long as we run it. We run 10^9 instructions (VM-wide icount: both vCPUs) and report what history
// holds: checkpoints (page versions + state), the exit log and the replay marks, separately; then
// reverse steps from the end and a jump to the middle of history and back.
// Host timing lives here, outside src/core (invariant 1).
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Vm } from '../../src/core/machine/vm';

export interface TeachosRecordingResult {
  /** VM-wide instruction count reached (both vCPUs). */
  instructions: number;
  /** Guest machine time at the end, in virtual seconds (instructions + idle, 10^8 per second). */
  machineSeconds: number;
  /** Stress rounds the guest completed (every one printed `ok`). */
  rounds: number;
  historyBytes: number;
  exitLogBytes: number;
  exitRecords: number;
  markBytes: number;
  marks: number;
  checkpoints: number;
  thinned: number;
  interval: number;
  forwardSeconds: number;
  forwardCpuSeconds: number;
  stepBackMedianMs: number;
  stepBackMaxMs: number;
  gotoMiddleMs: number;
  gotoEndMs: number;
}

const INSNS_PER_VIRTUAL_SECOND = 1e8; // devices/virtualClock.ts: INSNS_PER_US = 100

/** Records `instructions` of teachos --smp 2 running `stress` and measures history and travel. */
export function teachosRecordingBench(imagePath: string, instructions = 1e9): TeachosRecordingResult {
  let serial = '';
  const vm = Vm.fromImage(fs.readFileSync(imagePath), imagePath, { smp: 2 }, {
    serialOut: (_port: number, b: Uint8Array) => { for (const c of b) serial += String.fromCharCode(c); },
  });
  const tl = vm.startRecording();
  vm.serialInput(0, new TextEncoder().encode('stress\n'));

  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (vm.icount < instructions) {
    const s = vm.run(Math.min(2_000_000, instructions - vm.icount)); // adapter-like slices
    if (s) throw new Error(`teachos stopped at ${vm.icount}: ${JSON.stringify(s)}\n${serial.slice(-2000)}`);
  }
  const forwardSeconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);

  // The guest must have been doing the workload all along: rounds printed, none failed, no watchdog.
  const rounds = (serial.match(/^stress: round \d+ ok: /gm) ?? []).length;
  if (!serial.includes('teachos: 19 passed, 0 failed') || /FAIL|watchdog|PANIC/.test(serial) || rounds < 2) {
    throw new Error(`teachos stress did not run as expected (${rounds} rounds):\n${serial.slice(-2000)}`);
  }
  const free = [...serial.matchAll(/^stress: round \d+ ok: .* (\d+) free pages$/gm)].map((m) => m[1]);
  if (new Set(free).size !== 1) throw new Error(`teachos stress: free pages changed between rounds: ${[...new Set(free)].join(', ')}`);

  const st = tl.stats();
  const end = vm.icount;
  const lat: number[] = [];
  for (let k = 0; k < 21; k++) {
    const t = performance.now();
    vm.stepBack(0);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  let t = performance.now();
  vm.gotoIcount(Math.floor(end / 2));
  const gotoMiddleMs = performance.now() - t;
  t = performance.now();
  vm.gotoIcount(tl.frontier);
  const gotoEndMs = performance.now() - t;
  if (vm.icount !== end) throw new Error(`teachos: back at ${vm.icount}, not the end of history ${end}`);
  const after = tl.stats(); // replay marks are made by the moves above

  return {
    instructions: end, machineSeconds: vm.vmm.clock.now() / INSNS_PER_VIRTUAL_SECOND, rounds,
    historyBytes: st.bytes, exitLogBytes: vm.vmm.exitLog.bytes, exitRecords: vm.vmm.exitLog.length,
    markBytes: after.markBytes, marks: after.marks, checkpoints: st.checkpoints, thinned: st.thinned, interval: st.interval,
    forwardSeconds, forwardCpuSeconds: (c.user + c.system) / 1e6,
    stepBackMedianMs: lat[lat.length >> 1], stepBackMaxMs: lat[lat.length - 1], gotoMiddleMs, gotoEndMs,
  };
}
