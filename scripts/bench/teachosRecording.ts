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
  /** Baseline in the same run: `baselineInstructions` after the first 10^7, without recording and with it (wall, process CPU). */
  baselineInstructions: number;
  baselineOff: { seconds: number; cpuSeconds: number };
  baselineOn: { seconds: number; cpuSeconds: number };
  stepBackMedianMs: number;
  stepBackMaxMs: number;
  gotoMiddleMs: number;
  gotoEndMs: number;
}

const INSNS_PER_VIRTUAL_SECOND = 1e8; // devices/virtualClock.ts: INSNS_PER_US = 100

const STRESS = new TextEncoder().encode('stress\n');

/** Runs vm forward to icount n in adapter-like slices. */
function runTo(vm: Vm, n: number, serial: () => string): void {
  while (vm.icount < n) {
    const s = vm.run(Math.min(2_000_000, n - vm.icount));
    if (s) throw new Error(`teachos stopped at ${vm.icount}: ${JSON.stringify(s)}\n${serial().slice(-2000)}`);
  }
}

function since(t0: number, c0: NodeJS.CpuUsage): { seconds: number; cpuSeconds: number } {
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** Records `instructions` of teachos --smp 2 running `stress` and measures history and travel. */
export function teachosRecordingBench(imagePath: string, instructions = 1e9): TeachosRecordingResult {
  const image = fs.readFileSync(imagePath);
  let serial = '';
  const vm = Vm.fromImage(image, imagePath, { smp: 2 }, {
    serialOut: (_port: number, b: Uint8Array) => { for (const c of b) serial += String.fromCharCode(c); },
  });
  const tl = vm.startRecording();
  vm.serialInput(0, STRESS);
  // Baseline in the same run: the same boot and input without recording. Both VMs first run 10^7
  // instructions (the host JIT warms up on the off VM, which goes first), then take turns by quarters
  // over the next 10^8 (off, on, on, off: machine noise hits both alike); then the recorded VM runs on
  // alone. Its forward figures count every instruction it ran, warm-up included.
  const warmup = Math.min(1e7, instructions), baselineInstructions = Math.min(1e8, instructions - warmup);
  let off: Vm | null = Vm.fromImage(image, imagePath, { smp: 2 }, { serialOut: () => undefined });
  off.serialInput(0, STRESS);
  runTo(off, warmup, () => '');
  let t0 = performance.now(), c0 = process.cpuUsage();
  runTo(vm, warmup, () => serial);
  const warm = since(t0, c0);
  const baselineOff = { seconds: 0, cpuSeconds: 0 }, baselineOn = { seconds: 0, cpuSeconds: 0 };
  for (let q = 1; q <= 4; q++) {
    for (const which of q % 2 ? [off, vm] : [vm, off]) {
      t0 = performance.now();
      c0 = process.cpuUsage();
      runTo(which, warmup + Math.round((baselineInstructions * q) / 4), () => serial);
      const d = since(t0, c0), acc = which === vm ? baselineOn : baselineOff;
      acc.seconds += d.seconds;
      acc.cpuSeconds += d.cpuSeconds;
    }
  }
  off = null;
  t0 = performance.now();
  c0 = process.cpuUsage();
  runTo(vm, instructions, () => serial);
  const rest = since(t0, c0);
  const forwardSeconds = warm.seconds + baselineOn.seconds + rest.seconds;
  const forwardCpuSeconds = warm.cpuSeconds + baselineOn.cpuSeconds + rest.cpuSeconds;

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
    forwardSeconds, forwardCpuSeconds, baselineInstructions, baselineOff, baselineOn,
    stepBackMedianMs: lat[lat.length >> 1], stepBackMaxMs: lat[lat.length - 1], gotoMiddleMs, gotoEndMs,
  };
}
