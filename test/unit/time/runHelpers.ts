// Shared by the time-travel tests: run a VM to an exact instruction count, and a seeded
// pseudo-random sequence (tests pick "random" icounts reproducibly).
import { strict as assert } from 'node:assert';
import type { Vm } from '../../../src/core/machine/vm';

/** Run to exactly instruction count `n` in slices of `slice` (any slicing reaches the same state); a stop before it fails. */
export function runTo(vm: Vm, n: number, slice = 500_000): void {
  while (vm.icount < n) {
    const s = vm.run(Math.min(n - vm.icount, slice));
    if (s) throw new Error(`stopped at ${vm.icount} before ${n}: ${JSON.stringify(s)}`);
  }
  assert.equal(vm.icount, n);
}

/** A deterministic pseudo-random sequence in [0, 1). */
export function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32; };
}
