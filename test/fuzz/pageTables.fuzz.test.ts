// Random page tables: the guest turns paging on (32-bit, 32-bit with PSE, or PAE) over page
// directories / tables / PDPTEs with random contents, then makes random reads and writes. The code,
// stack and descriptor tables stay identity-mapped; #PF is skipped by its handler, any other exception
// halts. The VMM must end in a guest outcome (exit, halt, shutdown, a reported VM error), never an internal error.
import { strict as assert } from 'node:assert';
import { Rng } from '../diff/rng';
import { bootFixture, forSeeds, runBounded, seeds, FUZZ_TIMEOUT_MS } from './fuzzConfig';
import { asm, installTables, prologue, write } from './guestCode';

const PF_HANDLER = 0x9000; // pop eax (error code); add dword [esp], 5 (skip the 5-byte access); iret
const HALT_HANDLER = 0x9100;
const ROOT = 0x20000; // CR3 target (PD, or PDPT for PAE)
const LOW_TABLE = 0x21000; // maps the first 2 or 4 MiB: code, stack, tables
const RANDOM_TABLES = 0x30000; // 16 pages of random entries
const RAM = 4 << 20;

type Mode = 'legacy' | 'pse' | 'pae';

function randomEntry(rng: Rng, wide: boolean): number[] {
  let lo = rng.u32();
  if (rng.bool(0.6)) lo = (RANDOM_TABLES + (rng.int(16) << 12)) | (lo & 0xfff); // often a real table
  if (rng.bool(0.2)) lo = (rng.int(RAM >> 12) << 12) | (lo & 0xfff);
  const hi = wide ? (rng.bool(0.8) ? 0 : rng.u32() & (rng.bool(0.5) ? 0x80000000 : 0xffffffff)) : 0;
  return wide ? [...asm.le32(lo), ...asm.le32(hi)] : asm.le32(lo);
}

function buildTables(vm: ReturnType<typeof bootFixture>, rng: Rng, mode: Mode): void {
  const wide = mode === 'pae';
  // Random tables first (they may point anywhere, including at each other).
  const junk: number[] = [];
  for (let k = 0; k < (16 * 4096) / (wide ? 8 : 4); k++) junk.push(...randomEntry(rng, wide));
  write(vm, RANDOM_TABLES, junk);
  if (mode === 'pae') {
    // PDPT: entry 0 -> LOW_TABLE (a PD whose entry 0 is a 2-MiB identity page); entries 1-3 random.
    const pdpt = [...asm.le32(LOW_TABLE | 1), 0, 0, 0, 0];
    for (let k = 1; k < 4; k++) pdpt.push(...(rng.bool(0.7) ? [...asm.le32((RANDOM_TABLES + (rng.int(16) << 12)) | 1), 0, 0, 0, 0] : randomEntry(rng, true)));
    write(vm, ROOT, pdpt);
    const pd = [...asm.le32(0x83), 0, 0, 0, 0];
    for (let k = 1; k < 512; k++) pd.push(...randomEntry(rng, true));
    write(vm, LOW_TABLE, pd);
    return;
  }
  const pd: number[] = mode === 'pse' ? asm.le32(0x83) : asm.le32(LOW_TABLE | 3);
  for (let k = 1; k < 1024; k++) pd.push(...randomEntry(rng, false));
  write(vm, ROOT, pd);
  if (mode === 'legacy') {
    const pt: number[] = [];
    for (let k = 0; k < 1024; k++) {
      const keep = k < 0x40 || (k >= 0x100 && k < 0x110); // low memory (stack, tables) and the code
      pt.push(...(keep || rng.bool(0.7) ? asm.le32((k << 12) | 3) : randomEntry(rng, false)));
    }
    write(vm, LOW_TABLE, pt);
  }
}

function randomAddress(rng: Rng): number {
  switch (rng.int(4)) {
    case 0: return rng.u32() >>> 0;
    case 1: return ((1 + rng.int(15)) << 22 | rng.int(1 << 22)) >>> 0; // through random PDEs
    case 2: return ((rng.int(4) << 30) | rng.int(1 << 30)) >>> 0;
    default: return rng.int(0x200000); // the identity-mapped low region (tables included)
  }
}

export function pageTableCase(seed: number): string {
  const rng = new Rng(seed);
  const vm = bootFixture('hello');
  const entry = vm.pc(0);
  installTables(vm, HALT_HANDLER, { 14: PF_HANDLER });
  write(vm, PF_HANDLER, [0x58, 0x83, 0x04, 0x24, 0x05, 0xcf]);
  write(vm, HALT_HANDLER, asm.hlt());
  const mode: Mode = rng.pick(['legacy', 'pse', 'pae'] as const);
  buildTables(vm, rng, mode);
  const code: number[] = [...prologue(), ...asm.movEaxImm(ROOT), ...asm.movCr3Eax()];
  if (mode !== 'legacy') code.push(...asm.movEaxCr4(), ...asm.orEaxImm(mode === 'pse' ? 0x10 : 0x20), ...asm.movCr4Eax());
  code.push(...asm.movEaxCr0(), ...asm.orEaxImm(0x80000000 | (rng.bool(0.5) ? 0x10000 : 0)), ...asm.movCr0Eax()); // PG, sometimes WP
  for (let k = 0; k < 60; k++) {
    const a = randomAddress(rng);
    code.push(...(rng.bool(0.5) ? asm.movEaxMem(a) : rng.bool(0.8) ? asm.movMemEax(a) : asm.movEaxImm(rng.u32())));
  }
  code.push(...asm.exit(0));
  write(vm, entry, code);
  const s = runBounded(vm, 5000);
  return s ? s.kind : 'running';
}

describe('fuzz: random page tables', function () {
  this.timeout(FUZZ_TIMEOUT_MS);
  it('random PDE/PTE/PDPTE contents with paging on never break the VMM (seeded, fixed count)', () => {
    const outcomes = new Map<string, number>();
    forSeeds(seeds(2, 300), (seed) => {
      const k = pageTableCase(seed);
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    });
    assert.ok((outcomes.get('exited') ?? 0) > 0, `no case ran its accesses to the end: ${JSON.stringify([...outcomes])}`);
  });
});
