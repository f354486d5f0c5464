// Shared helpers for the DAP tests: start the bundled adapter (dist/adapter.js), launch a guest
// fixture from build/guests (node scripts/buildGuests.mjs), read registers through DAP.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** The bundled adapter; VMM_DEBUG_ADAPTER overrides it (e.g. to test a differently built bundle). */
export const ADAPTER = process.env.VMM_DEBUG_ADAPTER ?? 'dist/adapter.js';
export const GUEST_DIR = path.resolve('build/guests');
/** Generous per-event timeout: CI machines can be slow and the interpreter is not free. */
export const EVENT_TIMEOUT = 15_000;

export interface GuestInfo {
  name: string;
  path: string;
  entry: number;
  outcome: string;
  expectedStatus: number | null;
  expectedSerial?: string;
  expectedSerialIncludes?: string[];
  symbols: Record<string, number>;
}

let manifest: GuestInfo[] | undefined;

export function guest(name: string): GuestInfo {
  if (!manifest) {
    const file = path.join(GUEST_DIR, 'manifest.json');
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "node scripts/buildGuests.mjs" first`);
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as GuestInfo[];
  }
  const g = manifest.find((m) => m.name === name);
  if (!g) throw new Error(`guest fixture "${name}" is not in build/guests/manifest.json`);
  return { ...g, path: path.resolve(g.path) };
}

export function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

export function newClient(): DebugClient {
  const dc = new DebugClient('node', ADAPTER, 'vmm');
  dc.defaultTimeout = EVENT_TIMEOUT;
  return dc;
}

export const INIT_ARGS: DebugProtocol.InitializeRequestArguments = {
  adapterID: 'vmm', clientID: 'mocha', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true,
  supportsMemoryReferences: true, supportsVariableType: true,
};

/**
 * initialize -> launch -> (initialized) -> setup() -> configurationDone, the order VS Code uses.
 * Returns the initialize response (capabilities).
 */
export async function launch(
  dc: DebugClient, args: Record<string, unknown>,
  setup?: (caps: DebugProtocol.Capabilities) => Promise<unknown>,
): Promise<DebugProtocol.Capabilities> {
  const init = await dc.initializeRequest(INIT_ARGS);
  const caps = init.body ?? {};
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
  await initialized;
  if (setup) await setup(caps);
  await dc.configurationDoneRequest();
  return caps;
}

/** Launches `name` with stopOnEntry and waits for the entry stop. */
export async function launchToEntry(
  dc: DebugClient, name: string, extra: Record<string, unknown> = {},
): Promise<{ caps: DebugProtocol.Capabilities; stopped: DebugProtocol.StoppedEvent; info: GuestInfo }> {
  const info = guest(name);
  const stoppedP = dc.waitForEvent('stopped');
  const caps = await launch(dc, { type: 'vmm', request: 'launch', name, image: info.path, stopOnEntry: true, ...extra });
  const stopped = (await stoppedP) as DebugProtocol.StoppedEvent;
  return { caps, stopped, info };
}

/** The innermost guest frame (a VMM handler frame may sit on top of it at a VM exit; callers follow it). */
export async function guestFrame(dc: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId });
  const frames = st.body.stackFrames;
  assert.ok(frames.length > 0, 'stackTrace returned no frames');
  return frames.find((f) => !f.name.startsWith('VMM:')) ?? frames[frames.length - 1];
}

export async function scopeRef(dc: DebugClient, frameId: number, name: string): Promise<number> {
  const scopes = await dc.scopesRequest({ frameId });
  const s = scopes.body.scopes.find((x) => x.name === name);
  assert.ok(s, `no scope "${name}" (got ${scopes.body.scopes.map((x) => x.name).join(', ')})`);
  return s.variablesReference;
}

/** All leaf variables of a scope whose children are groups: [{group, variable}]. */
export async function groupedVariables(
  dc: DebugClient, scopeReference: number,
): Promise<{ group: string; variable: DebugProtocol.Variable }[]> {
  const groups = await dc.variablesRequest({ variablesReference: scopeReference });
  const out: { group: string; variable: DebugProtocol.Variable }[] = [];
  for (const g of groups.body.variables) {
    if (g.variablesReference === 0) continue;
    const vars = await dc.variablesRequest({ variablesReference: g.variablesReference });
    for (const v of vars.body.variables) out.push({ group: g.name, variable: v });
  }
  return out;
}

/** Value of a register (by name, case-insensitive) as a number, read through scopes/variables. */
export async function register(dc: DebugClient, name: string, threadId = 1): Promise<number> {
  const frame = await guestFrame(dc, threadId);
  const ref = await scopeRef(dc, frame.id, 'Registers');
  const all = await groupedVariables(dc, ref);
  const hit = all.find((x) => x.variable.name.toLowerCase() === name.toLowerCase());
  assert.ok(hit, `no register ${name} (got ${all.map((x) => x.variable.name).join(', ')})`);
  return parseNumber(hit.variable.value);
}

/** Parses a register's display text: "0x0010000c", "0010000c" (8 hex digits) or decimal. */
export function parseNumber(text: string): number {
  const t = text.trim().split(/\s/)[0];
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^[0-9a-f]{8}$/i.test(t)) return parseInt(t, 16);
  if (/^[0-9]+$/.test(t)) return parseInt(t, 10);
  assert.fail(`not a number: "${text}"`);
}

/** The exit filter for a reason, found by id or label in the initialize response. */
export function findFilter(caps: DebugProtocol.Capabilities, pattern: RegExp): DebugProtocol.ExceptionBreakpointsFilter {
  const filters = caps.exceptionBreakpointFilters ?? [];
  const f = filters.find((x) => pattern.test(x.filter)) ?? filters.find((x) => pattern.test(x.label));
  assert.ok(f, `no exception filter matching ${pattern} (got ${filters.map((x) => x.filter).join(', ')})`);
  return f;
}

/** Collects output events (stdout + console + stderr) from the start of a session. */
export function collectOutput(dc: DebugClient): { text: () => string; stdout: () => string } {
  const all: DebugProtocol.OutputEvent[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => all.push(e));
  return {
    text: () => all.map((e) => e.body.output).join(''),
    stdout: () => all.filter((e) => e.body.category === 'stdout').map((e) => e.body.output).join(''),
  };
}

/** Expects `p` to be rejected (an error response); returns the message. */
export async function expectError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected an error response');
}

/** 1-based number of the first line of `file` that contains `text`. */
export function lineOf(file: string, text: string): number {
  const n = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(n >= 0, `"${text}" not found in ${file}`);
  return n + 1;
}

/** The top stack frame of `threadId` (a VMM handler frame included; guestFrame skips those). */
export async function topFrame(dc: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
}

/** Sends the request(s) in `p` and waits for the stop they lead to. */
export async function stopAfter(dc: DebugClient, p: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await p();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

/** A little-endian u32 of guest memory (readMemory). */
export async function readU32(dc: DebugClient, address: number): Promise<number> {
  const r = await dc.customRequest('readMemory', { memoryReference: hex8(address), count: 4 }) as DebugProtocol.ReadMemoryResponse;
  return Buffer.from(r.body!.data!, 'base64').readUInt32LE(0);
}

/** All registers of the innermost guest frame as "group.name" -> display text. */
export async function registerTexts(dc: DebugClient): Promise<Record<string, string>> {
  const frame = await guestFrame(dc);
  const all = await groupedVariables(dc, await scopeRef(dc, frame.id, 'Registers'));
  return Object.fromEntries(all.map((x) => [`${x.group}.${x.variable.name}`, x.variable.value]));
}

/**
 * Launches `name` without a stop on entry, with source breakpoints on `lines` of `file` (and, with
 * `noExceptionFilters`, every exit filter off), runs `setup` before configurationDone, and waits for
 * the first stop. Returns it and the breakpoints as the adapter verified them.
 */
export async function launchToLines(
  dc: DebugClient, name: string, file: string, lines: number[],
  opts: { noExceptionFilters?: boolean; setup?: () => Promise<unknown> } = {},
): Promise<{ stopped: DebugProtocol.StoppedEvent; bps: DebugProtocol.Breakpoint[] }> {
  let bps: DebugProtocol.Breakpoint[] = [];
  const stoppedP = dc.waitForEvent('stopped');
  await launch(dc, { type: 'vmm', request: 'launch', name, image: guest(name).path, stopOnEntry: false }, async () => {
    bps = (await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: lines.map((line) => ({ line })) })).body.breakpoints;
    if (opts.noExceptionFilters) await dc.setExceptionBreakpointsRequest({ filters: [] });
    await opts.setup?.();
  });
  return { stopped: (await stoppedP) as DebugProtocol.StoppedEvent, bps };
}
