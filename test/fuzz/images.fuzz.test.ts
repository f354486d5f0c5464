// Malformed images and snapshots: truncated ELF, absurd program headers, overlapping segments,
// huge sizes, random byte flips. Vm.fromImage must throw ImageError / VmOptionError with a message
// naming the image, or load; never another exception, and the caller's bytes are never written.
// A mangled snapshot is refused with a SnapshotError and the VM keeps its state.
import { strict as assert } from 'node:assert';
import { Rng } from '../diff/rng';
import { ImageError, Vm, VmOptionError } from '../../src/core/machine/vm';
import { nullHost } from '../../src/core/host';
import { SnapshotError } from '../../src/core/time/snapshot';
import { bootFixture, fixtureBytes, forSeeds, runBounded, seeds, FUZZ_TIMEOUT_MS } from './fuzzConfig';

const FIXTURES = ['hello', 'demo', 'elfplain', 'ud'];

function setU32(b: Uint8Array, off: number, v: number): void { if (off + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(off, v >>> 0, true); }
function setU16(b: Uint8Array, off: number, v: number): void { if (off + 2 <= b.length) new DataView(b.buffer, b.byteOffset).setUint16(off, v & 0xffff, true); }
const u32 = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

const ABSURD = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, 0x10000000, 0x100000, 52, 0xffff];

/** One mutation of a valid image, chosen by the seed. Returns a description for failure messages. */
function mutate(rng: Rng, img: Uint8Array): { bytes: Uint8Array; what: string } {
  const b = img.slice();
  const phoff = u32(b, 28);
  const phnum = b[44] | (b[45] << 8);
  const ph = (k: number, field: number): number => phoff + 32 * k + field;
  switch (rng.int(9)) {
    case 0: { const n = rng.int(b.length); return { bytes: b.subarray(0, n), what: `truncated to ${n} bytes` }; }
    case 1: { const v = rng.pick([0, 1, 0xffff, 0x8000, phnum + 1]); setU16(b, 44, v); return { bytes: b, what: `e_phnum=${v}` }; }
    case 2: { const v = rng.pick(ABSURD); setU32(b, 28, v); return { bytes: b, what: `e_phoff=${v}` }; }
    case 3: { const k = rng.int(phnum); const f = rng.pick([4, 8, 12, 16, 20]); const v = rng.pick(ABSURD); setU32(b, ph(k, f), v); return { bytes: b, what: `phdr ${k} field +${f} = ${v}` }; }
    case 4: { const k = rng.int(phnum); setU32(b, ph(k, 20), rng.pick([0xffffffff, 0x7fffffff, 0x40000000, 0x2000000])); return { bytes: b, what: `phdr ${k} huge memsz` }; }
    case 5: { // overlapping segments: copy one program header over another
      const a = rng.int(phnum), c = rng.int(phnum);
      b.copyWithin(ph(c, 0), ph(a, 0), ph(a, 32));
      setU32(b, ph(c, 8), u32(b, ph(a, 8)) + rng.int(64)); setU32(b, ph(c, 12), u32(b, ph(a, 12)) + rng.int(64));
      return { bytes: b, what: `phdr ${c} overlaps phdr ${a}` };
    }
    case 6: { const v = rng.pick([0, 0x3e, 8, 0xffff]); setU16(b, rng.pick([16, 18, 42]), v); return { bytes: b, what: `header field = ${v}` }; }
    case 7: { // the Multiboot header and its address fields (flag bit 16)
      const mb = 0x1000;
      setU32(b, mb + 4, u32(b, mb + 4) | (rng.bool() ? 0x10000 : 0));
      for (let k = 12; k < 32; k += 4) if (rng.bool()) setU32(b, mb + k, rng.pick(ABSURD));
      return { bytes: b, what: 'Multiboot header fields' };
    }
    default: { // random byte flips, biased to the headers
      const n = 1 + rng.int(8);
      for (let k = 0; k < n; k++) { const o = rng.bool(0.6) ? rng.int(Math.min(b.length, 0x1100)) : rng.int(b.length); b[o] ^= 1 << rng.int(8); }
      return { bytes: b, what: `${n} random bit flips` };
    }
  }
}

export function imageCase(seed: number): 'rejected' | 'loaded' {
  const rng = new Rng(seed);
  const name = rng.pick(FIXTURES);
  const { bytes, what } = mutate(rng, fixtureBytes(name));
  const before = bytes.slice();
  let vm: Vm;
  try {
    vm = Vm.fromImage(bytes, `${name}.elf`, { memMiB: rng.pick([2, 4, 8]) }, nullHost);
  } catch (e) {
    if (e instanceof ImageError || e instanceof VmOptionError) {
      assert.ok(e.message.includes(`${name}.elf`) && e.message.length > name.length + 12, `${what}: unclear message "${e.message}"`);
      assert.deepEqual(bytes, before, `${what}: the loader wrote to the image bytes`);
      return 'rejected';
    }
    throw new Error(`${what}: Vm.fromImage threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of ImageError`);
  }
  assert.deepEqual(bytes, before, `${what}: the loader wrote to the image bytes`);
  runBounded(vm, 2000);
  return 'loaded';
}

describe('fuzz: malformed images and snapshots', function () {
  this.timeout(FUZZ_TIMEOUT_MS);
  it('malformed ELF / Multiboot images give ImageError with a clear message, or load (seeded, fixed count)', () => {
    const outcomes = { rejected: 0, loaded: 0 };
    forSeeds(seeds(3, 300), (seed) => { outcomes[imageCase(seed)]++; });
    assert.ok(outcomes.rejected > 0 && outcomes.loaded > 0, JSON.stringify(outcomes));
  });

  it('mangled snapshots are refused with SnapshotError and leave the VM as it was (seeded)', () => {
    const vm = bootFixture('hello', 4);
    runBounded(vm, 200);
    const good = vm.saveSnapshot('fuzz');
    const hash = vm.stateHash();
    forSeeds(seeds(4, 40), (seed) => {
      const rng = new Rng(seed);
      const b = good.slice();
      const kind = rng.int(3);
      let bytes = b;
      if (kind === 0) bytes = b.subarray(0, rng.int(b.length));
      else if (kind === 1) for (let k = 0, n = 1 + rng.int(16); k < n; k++) b[rng.int(Math.min(b.length, 4096))] ^= 1 << rng.int(8);
      else for (let k = 0, n = 1 + rng.int(16); k < n; k++) b[rng.int(b.length)] = rng.u32() & 0xff;
      try {
        vm.loadSnapshot(bytes);
      } catch (e) {
        if (!(e instanceof SnapshotError)) throw new Error(`loadSnapshot threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of SnapshotError`);
        assert.ok(e.message.length > 10, `unclear message "${e.message}"`);
        assert.equal(vm.stateHash(), hash, 'a refused snapshot changed the VM');
        return;
      }
      // It loaded (the damage hit bytes the format does not check): restore the good one for the next case.
      vm.loadSnapshot(good);
      assert.equal(vm.stateHash(), hash);
    });
  });
});
