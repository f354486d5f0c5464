// VM-exit costs of `npm run bench` (issue 4): the round trip of one exit per reason (guest instruction ->
// VM exit -> the VMM's handler -> VM entry -> next instruction) from tight synthetic guest loops, each
// against the same loop with the exiting instruction replaced by NOPs; and the time spent inside each
// exit handler (KVM's handler table), from the handler table wrapped with a host clock for this run
// only. Host timing lives here, never in src/core or in deterministic state (invariant 1).
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Vmm } from '../../src/core/vmm/vmm';
import { EXIT_HANDLERS } from '../../src/core/vmm/exitHandlers';
import { exitReasonName } from '../../src/core/hw/vmx/exitReasons';
import { Vm } from '../../src/core/machine/vm';

const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const BOOT = { eip: 0x1000, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: 0, gdtLimit: 0 };

/** `mov esi, n; [mov ebx, 0x100000]; body; dec esi; jnz body; out 0xf4, al`: the loop of one exit kind. */
function loop(n: number, body: number[]): number[] {
  const b = [...body, 0x4e, 0x75, (-(body.length + 3)) & 0xff];
  return [0xbe, ...le(n), 0xbb, ...le(0x100000), ...b, 0x30, 0xc0, 0xe6, 0xf4];
}

interface Loop { reason: string; body: number[]; nops: number[]; n: number; memMiB?: number; twice?: boolean }
const LOOPS: Loop[] = [
  { reason: 'CPUID', body: [0x31, 0xc0, 0x0f, 0xa2], nops: [0x31, 0xc0, 0x90, 0x90], n: 20_000 },
  { reason: 'IO_INSTRUCTION', body: [0xe6, 0x80], nops: [0x90, 0x90], n: 20_000 },
  { reason: 'MSR_READ', body: [0xb9, ...le(0x277), 0x0f, 0x32], nops: [0xb9, ...le(0x277), 0x90, 0x90], n: 20_000 },
  // A store to a fresh page each iteration: the first touch of every page is an EPT violation (the
  // baseline runs the same loop again, all pages mapped).
  { reason: 'EPT_VIOLATION', body: [0x89, 0x03, 0x81, 0xc3, ...le(4096)], nops: [], n: 7_000, memMiB: 32, twice: true },
];

function runLoop(code: number[], memMiB: number, again: boolean): { seconds: number; exits: Float64Array } {
  const vmm = new Vmm({ memMiB, smp: 1 });
  const vcpu = vmm.vcpus[0];
  vmm.setupVcpu(vcpu, BOOT);
  vmm.host.u8.set(code, vmm.memory.gpaToHpa(0x1000) as number);
  const go = (): number => {
    const t0 = performance.now();
    for (;;) { const s = vmm.run(vcpu, 50_000_000); if (s) { if (s.kind !== 'exited') throw new Error(JSON.stringify(s)); break; } }
    return (performance.now() - t0) / 1000;
  };
  let seconds = go();
  if (again) {
    // Second pass over the same pages: rewind the guest, keep the EPT mappings.
    vmm.debugExit.status = -1;
    vcpu.vmcs.write(0x681e /* GUEST_RIP */, 0x1000);
    vcpu.regs.fill(0);
    vcpu.pendingExit = null;
    const before = vcpu.exitCounts.slice();
    seconds = go();
    const exits = vcpu.exitCounts.map((c, k) => c - before[k]) as Float64Array;
    return { seconds, exits };
  }
  return { seconds, exits: vcpu.exitCounts.slice() };
}

export interface ExitRoundTrip { reason: string; exits: number; microsPerExit: number }
export interface HandlerTime { reason: string; count: number; microsMean: number; share: number }

/** Time each handler of the table while `f` runs (restores the table afterwards). */
function withHandlerClock<T>(f: () => T): { result: T; times: Map<number, { count: number; ms: number }> } {
  const times = new Map<number, { count: number; ms: number }>();
  const saved = EXIT_HANDLERS.slice();
  EXIT_HANDLERS.forEach((h, reason) => {
    if (!h) return;
    EXIT_HANDLERS[reason] = (vmm, vcpu) => {
      const t0 = performance.now();
      try { return h(vmm, vcpu); } finally {
        const e = times.get(reason) ?? { count: 0, ms: 0 };
        e.count++; e.ms += performance.now() - t0;
        times.set(reason, e);
      }
    };
  });
  try { return { result: f(), times }; } finally { saved.forEach((h, k) => { EXIT_HANDLERS[k] = h; }); }
}

function runFixture(path: string, opts: Parameters<typeof Vm.fromImage>[2]): void {
  const vm = Vm.fromImage(fs.readFileSync(path), path, opts, { serialOut: () => undefined });
  for (let n = 0; n < 10_000; n++) { const s = vm.run(10_000_000); if (s) { if (s.kind !== 'exited') throw new Error(`${path}: ${JSON.stringify(s)}`); return; } }
}

export interface ExitBenchResult { roundTrips: ExitRoundTrip[]; handlers: HandlerTime[] }

export function exitBench(): ExitBenchResult {
  const roundTrips: ExitRoundTrip[] = [];
  for (const l of LOOPS) {
    const code = loop(l.n, l.body);
    runLoop(code, l.memMiB ?? 4, false); // warm-up (JIT)
    let best = Infinity, base = Infinity, exits = 0;
    for (let k = 0; k < 3; k++) {
      const r = runLoop(code, l.memMiB ?? 4, false);
      exits = r.exits.reduce((a, b) => a + b, 0);
      best = Math.min(best, r.seconds);
      base = Math.min(base, l.twice ? runLoop(code, l.memMiB ?? 4, true).seconds : runLoop(loop(l.n, l.nops), 4, false).seconds);
    }
    roundTrips.push({ reason: l.reason, exits, microsPerExit: ((best - base) * 1e6) / l.n });
  }
  // Handler time per reason over real guests: CPUID/I/O/HLT/timer exits, EPT violations, shadow #PF and
  // CR exits, task switches.
  const { times } = withHandlerClock(() => {
    for (const f of ['cpuidloop', 'timer', 'io', 'cpu-tasks', 'ptchurn']) runFixture(`build/guests/${f}.elf`, {});
    runFixture('build/guests/ptchurn.elf', { mmu: 'shadow' });
  });
  let total = 0;
  for (const t of times.values()) total += t.ms;
  const handlers = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([reason, t]) => ({
    reason: exitReasonName(reason), count: t.count, microsMean: (t.ms * 1000) / t.count, share: t.ms / total,
  }));
  return { roundTrips, handlers };
}

export function exitBenchMarkdown(r: ExitBenchResult): string {
  return [
    '## VM exits: round trip per reason (synthetic loops, EPT) and time inside each handler',
    '',
    '| exit reason | exits | round trip (exit + handler + entry), µs |',
    '|---|---|---|',
    ...r.roundTrips.map((t) => `| ${t.reason} | ${t.exits} | ${t.microsPerExit.toFixed(2)} |`),
    '',
    '| handler (cpuidloop, timer, io, cpu-tasks, ptchurn under EPT and shadow) | calls | mean µs | share of handler time |',
    '|---|---|---|---|',
    ...r.handlers.map((h) => `| ${h.reason} | ${h.count} | ${h.microsMean.toFixed(2)} | ${(h.share * 100).toFixed(1)}% |`),
    '',
  ].join('\n');
}

// `node build/bench/exitBench.js` runs it alone.
if (process.argv[1]?.endsWith('exitBench.js')) console.log(exitBenchMarkdown(exitBench()));
