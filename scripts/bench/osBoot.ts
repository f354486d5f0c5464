// The OS fixture's boot (issue 9: "boot-to-prompt time of the OS fixture"): teachos.img booted from its
// boot sector through the paravirtual BIOS, in process through the core API, to the kernel's banner
// (the first line the kernel prints once it runs: teachos has no shell prompt, the banner is where a
// user would see it is up) and to the self-test verdict (the whole run). Wall time and process CPU
// time, median of a few runs, --smp 1 and 2. `npm run compare` has the same boot against QEMU,
// Bochs and v86 as whole processes (start-up included).
import * as fs from 'node:fs';
import { Vm } from '../../src/core/machine/vm';
import type { StopEvent } from '../../src/core/debug/debugApi';

const BANNER = 'teachos: a small SMP teaching kernel\n';
const VERDICT = /teachos: (\d+) passed, (\d+) failed\n/;

export interface OsBootRun { smp: number; instructions: number; toBannerMs: number; toVerdictMs: number; cpuMs: number; verdict: string }
export interface OsBootResult { image: string; runs: number; bySmp: OsBootRun[] }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bootOnce(bytes: Uint8Array, smp: number): OsBootRun {
  let out = '';
  let toBannerMs = NaN, toVerdictMs = NaN;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const ms = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const vm = Vm.fromImage(bytes, 'teachos.img', { smp }, {
    serialOut: (_port, b) => {
      for (const x of b) out += String.fromCharCode(x);
      if (Number.isNaN(toBannerMs) && out.includes(BANNER)) toBannerMs = ms();
      if (Number.isNaN(toVerdictMs) && VERDICT.test(out)) toVerdictMs = ms();
    },
  });
  let stop: StopEvent | null = null;
  for (let k = 0; k < 100_000 && !stop; k++) stop = vm.run(200_000);
  const c = process.cpuUsage(c0);
  if (stop?.kind !== 'exited') throw new Error(`teachos did not finish (stop: ${stop ? stop.kind : 'none'}); output:\n${out}`);
  return { smp, instructions: vm.icount, toBannerMs, toVerdictMs, cpuMs: (c.user + c.system) / 1e3, verdict: VERDICT.exec(out)?.[0].trim() ?? 'no verdict' };
}

export function osBootBench(imagePath: string, runs = 3): OsBootResult {
  const bytes = new Uint8Array(fs.readFileSync(imagePath));
  bootOnce(bytes, 1); // warm-up: JIT and block translation caches of this process
  const bySmp = [1, 2].map((smp) => {
    const rs = Array.from({ length: runs }, () => bootOnce(bytes, smp));
    return {
      smp, instructions: rs[0].instructions, verdict: rs[0].verdict,
      toBannerMs: median(rs.map((r) => r.toBannerMs)), toVerdictMs: median(rs.map((r) => r.toVerdictMs)), cpuMs: median(rs.map((r) => r.cpuMs)),
    };
  });
  return { image: imagePath, runs, bySmp };
}

export function osBootMarkdown(r: OsBootResult): string {
  return [
    `## OS fixture boot (${r.image}, disk boot through the paravirtual BIOS, in process, median of ${r.runs})`,
    '',
    '| vCPUs | icount at the end | to the kernel banner | to the self-test verdict | CPU time | verdict |',
    '|---|---|---|---|---|---|',
    ...r.bySmp.map((b) => `| ${b.smp} | ${b.instructions.toLocaleString('en-US')} | ${b.toBannerMs.toFixed(0)} ms | ${b.toVerdictMs.toFixed(0)} ms | ${b.cpuMs.toFixed(0)} ms | ${b.verdict} |`),
    '',
  ].join('\n');
}
