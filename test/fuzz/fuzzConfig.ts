// Seeded fuzzing with a fixed count: the same cases every CI run. `npm run fuzz` multiplies the
// counts (FUZZ_SCALE) and FUZZ_SEED picks another base seed; a failing case prints its seed, and
// FUZZ_ONLY=<seed> replays just that case.
import * as fs from 'node:fs';
import { Vm } from '../../src/core/machine/vm';
import { nullHost } from '../../src/core/host';
import type { StopEvent } from '../../src/core/debug/debugApi';

export const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
/**
 * Mocha timeout of a fuzz suite. The work is bounded by a fixed count of seeded cases (never by wall
 * time); this only catches a hang. The heaviest suites (300 cases each) need about 10 s of CPU but took
 * 82-86 s of wall time on the shared 2-core machine at load average ~15, so the limit is 5x that.
 */
export const FUZZ_TIMEOUT_MS = 600_000 * SCALE;
export const BASE_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed) >>> 0;
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY) >>> 0;

/** Seeds for a suite: `count * SCALE` consecutive seeds from the base (or the one FUZZ_ONLY names). */
export function seeds(suite: number, count: number): number[] {
  if (ONLY !== undefined) return [ONLY];
  const first = (BASE_SEED + suite * 0x100000) >>> 0;
  return Array.from({ length: count * SCALE }, (_, k) => (first + k) >>> 0);
}

/** Run `f(seed)` for each seed; the first failure names its seed so it can be replayed and kept as a regression test. */
export function forSeeds(list: number[], f: (seed: number) => void): void {
  for (const seed of list) {
    try {
      f(seed);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`fuzz case failed with seed ${seed} (replay: FUZZ_ONLY=${seed}): ${msg}`);
    }
  }
}

const imageCache = new Map<string, Uint8Array>();
export function fixtureBytes(name: string): Uint8Array {
  let b = imageCache.get(name);
  if (!b) { b = new Uint8Array(fs.readFileSync(`build/guests/${name}.elf`)); imageCache.set(name, b); }
  return b;
}

export function bootFixture(name: string, memMiB = 4): Vm {
  return Vm.fromImage(fixtureBytes(name), `${name}.elf`, { memMiB }, nullHost);
}

/**
 * Run up to `insns` instructions in small slices. Vm.run must never throw, and an "internal error"
 * stop is a VMM bug. Returns the final stop (null when the budget ran out).
 */
export function runBounded(vm: Vm, insns: number, slice = 500): StopEvent | null {
  let s: StopEvent | null = null;
  const start = vm.icount;
  for (let k = 0; k < insns / slice + 2 && vm.icount - start < insns; k++) {
    try {
      s = vm.run(slice);
    } catch (e) {
      throw new Error(`Vm.run threw (a host exception escaped the run loop): ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    if (!s) continue;
    if (s.kind === 'error' && /internal error/.test(s.text)) throw new Error(`internal error: ${s.text}`);
    if (s.kind === 'exited' || s.kind === 'shutdown' || s.kind === 'error') return s;
    // Any other stop (none are armed here) resumes.
  }
  return s;
}
