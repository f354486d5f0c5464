// Memory-virtualization benchmarks of `npm run bench` (issue 4 Proof): the page-table-heavy guest
// (ptchurn: fork-like address-space churn) and the VM-exit round trip (cpuidloop: one CPUID exit per
// iteration) under EPT, shadow-lazy and shadow-eager, as ratios against EPT measured in the same run.
// Host timing lives here, outside src/core (invariant 1).
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Vm, type VmOptions } from '../../src/core/machine/vm';

export const MMU_MODES: { name: 'ept' | 'shadow-lazy' | 'shadow-eager'; opts: VmOptions }[] = [
  { name: 'ept', opts: { mmu: 'ept' } },
  { name: 'shadow-lazy', opts: { mmu: 'shadow', shadowSync: 'lazy' } },
  { name: 'shadow-eager', opts: { mmu: 'shadow', shadowSync: 'eager' } },
];

export interface MmuRun {
  mode: string;
  seconds: number;
  instructions: number;
  exits: number;
  /** Exits by reason name. */
  byReason: Record<string, number>;
  serial: string;
}

/** Run a fixture to its end under one mode; best wall time of `reps`. */
function runGuest(image: Uint8Array, name: string, opts: VmOptions, reps: number): MmuRun & { stats: unknown } {
  let best: (MmuRun & { stats: unknown }) | null = null;
  for (let k = 0; k < reps; k++) {
    let serial = '';
    const vm = Vm.fromImage(image, name, opts, { serialOut: (_p, b) => { serial += String.fromCharCode(...b); } });
    const t0 = performance.now();
    for (;;) {
      const s = vm.run(10_000_000);
      if (s) { if (s.kind !== 'exited') throw new Error(`${name}: stopped: ${JSON.stringify(s)}`); break; }
    }
    const seconds = (performance.now() - t0) / 1000;
    const byReason: Record<string, number> = {};
    let exits = 0;
    for (const r of vm.exitStats()) { byReason[r.reasonName] = r.count; exits += r.count; }
    const run = { mode: '', seconds, instructions: vm.icount, exits, byReason, serial, stats: vm.vmStats() };
    if (!best || seconds < best.seconds) best = run;
  }
  return best!;
}

export interface MmuBenchResult {
  ptchurn: (MmuRun & { ratioVsEpt: number; stats: unknown })[];
  cpuidloop: (MmuRun & { microsPerExit: number; ratioVsEpt: number })[];
}

export function mmuBench(ptchurnPath: string, cpuidloopPath: string, reps = 3): MmuBenchResult {
  const pt = fs.readFileSync(ptchurnPath), cl = fs.readFileSync(cpuidloopPath);
  // Warm up (JIT, decoded-instruction caches) with one untimed run of each guest in each mode.
  for (const m of MMU_MODES) { runGuest(pt, 'ptchurn', m.opts, 1); runGuest(cl, 'cpuidloop', m.opts, 1); }
  const ptRuns = MMU_MODES.map((m) => ({ ...runGuest(pt, 'ptchurn', m.opts, reps), mode: m.name }));
  const clRuns = MMU_MODES.map((m) => ({ ...runGuest(cl, 'cpuidloop', m.opts, reps), mode: m.name }));
  for (const r of [...ptRuns.slice(1), ...clRuns.slice(1)]) {
    const base = (ptRuns.includes(r as never) ? ptRuns : clRuns)[0];
    if (r.serial !== base.serial) throw new Error(`${r.mode}: serial output differs from EPT`);
  }
  const cpuid = (r: MmuRun): number => r.byReason.CPUID ?? 0;
  return {
    ptchurn: ptRuns.map((r) => ({ ...r, ratioVsEpt: r.seconds / ptRuns[0].seconds })),
    cpuidloop: clRuns.map((r) => ({ ...r, microsPerExit: (r.seconds * 1e6) / Math.max(1, r.exits), ratioVsEpt: r.seconds / clRuns[0].seconds, cpuidExits: cpuid(r) })),
  };
}

export function mmuBenchMarkdown(b: MmuBenchResult): string {
  const reasons = ['EPT_VIOLATION', 'EXCEPTION_NMI', 'CR_ACCESS', 'INVLPG'];
  const lines = [
    '## Memory virtualization: EPT vs shadow page tables (same run)',
    '',
    '| guest | mmu | seconds | time vs EPT | exits | ' + reasons.join(' | ') + ' |',
    '|---|---|---|---|---|' + reasons.map(() => '---').join('|') + '|',
  ];
  for (const r of b.ptchurn) {
    lines.push(`| ptchurn (fork-like churn) | ${r.mode} | ${r.seconds.toFixed(2)} | ${r.ratioVsEpt.toFixed(2)}x | ${r.exits} | ${reasons.map((n) => r.byReason[n] ?? 0).join(' | ')} |`);
  }
  for (const r of b.cpuidloop) {
    lines.push(`| cpuidloop (exit round trip) | ${r.mode} | ${r.seconds.toFixed(2)} | ${r.ratioVsEpt.toFixed(2)}x | ${r.exits} | ${reasons.map((n) => r.byReason[n] ?? 0).join(' | ')} |`);
  }
  lines.push('', '| VM-exit round trip (CPUID loop, whole run / exits) | ept | shadow-lazy | shadow-eager |', '|---|---|---|---|');
  lines.push(`| µs per exit | ${b.cpuidloop.map((r) => r.microsPerExit.toFixed(2)).join(' | ')} |`);
  lines.push('');
  return lines.join('\n');
}
