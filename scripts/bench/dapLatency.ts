// DAP latency (issue 6, a benchmark, not a timed test): launch to first stop, and the step round
// trip VS Code makes at every step (next + stackTrace + scopes + variables), against the bundled
// adapter (dist/adapter.js) over stdio, on the demo guest (the "OS" fixture: paging, IDT, C).
// Usage: node build/bench/dapLatency.js [image] [steps]. Writes build/bench/latency.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

const image = path.resolve(process.argv[2] ?? 'build/guests/demo.elf');
const steps = Number(process.argv[3] ?? 200);
const INIT: DebugProtocol.InitializeRequestArguments = { adapterID: 'vmm', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true, supportsMemoryReferences: true };

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

async function launchToStop(extra: Record<string, unknown>): Promise<{ dc: DebugClient; ms: number }> {
  const dc = new DebugClient('node', 'dist/adapter.js', 'vmm');
  dc.defaultTimeout = 30_000;
  await dc.start();
  const t0 = performance.now();
  await dc.initializeRequest(INIT);
  const stopped = dc.waitForEvent('stopped');
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest({ image, stopOnEntry: true, ...extra } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await dc.setExceptionBreakpointsRequest({ filters: [] });
  await dc.configurationDoneRequest();
  await stopped;
  return { dc, ms: performance.now() - t0 };
}

/** One step as VS Code does it: next, then the stack, the top frame's scopes and the first scope's variables. */
async function roundTrip(dc: DebugClient, granularity: DebugProtocol.SteppingGranularity): Promise<number> {
  const t0 = performance.now();
  const stopped = dc.waitForEvent('stopped');
  await dc.nextRequest({ threadId: 1, granularity });
  await stopped;
  const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 20 });
  const frame = st.body.stackFrames[0];
  const sc = await dc.scopesRequest({ frameId: frame.id });
  const groups = await dc.variablesRequest({ variablesReference: sc.body.scopes[0].variablesReference });
  const first = groups.body.variables.find((v) => v.variablesReference > 0);
  if (first) await dc.variablesRequest({ variablesReference: first.variablesReference });
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const launches: number[] = [];
  for (let k = 0; k < 5; k++) {
    const { dc, ms } = await launchToStop({});
    launches.push(ms);
    await dc.stop();
  }
  const { dc } = await launchToStop({});
  const insn: number[] = [];
  for (let k = 0; k < steps; k++) insn.push(await roundTrip(dc, 'instruction'));
  await dc.stop();
  const result = {
    image: path.basename(image),
    launchToFirstStopMs: { median: median(launches), all: launches },
    stepRoundTripMs: { median: median(insn), p90: pct(insn, 0.9), max: Math.max(...insn), steps },
  };
  fs.mkdirSync('build/bench', { recursive: true });
  fs.writeFileSync('build/bench/latency.json', JSON.stringify(result, null, 2));
  console.log([
    '',
    `## DAP latency (${result.image}, bundled adapter over stdio)`,
    '',
    '| measure | value |',
    '|---|---|',
    `| launch to first stop (initialize + launch + configurationDone + stopped), median of 5 (target < 500 ms) | ${result.launchToFirstStopMs.median.toFixed(1)} ms |`,
    `| step round trip (next + stackTrace + scopes + variables), median / p90 / max of ${steps} (target < 10 ms) | ${result.stepRoundTripMs.median.toFixed(2)} / ${result.stepRoundTripMs.p90.toFixed(2)} / ${result.stepRoundTripMs.max.toFixed(2)} ms |`,
    '',
  ].join('\n'));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
