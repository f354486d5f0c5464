// Snapshot file format guard: this test reads snapshot files with its own decoder of format version 2
// (written from the layout documented in time/snapshot.ts, not with the product's parser). A change of
// the container layout without a bump of SNAPSHOT_FORMAT_VERSION makes this decoder fail; after a
// deliberate bump, write the decoder of the new version here. Component layouts are pinned by
// layout.test.ts (per-component versions). Version 1 (no TLBs) files still load.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { SNAPSHOT_FORMAT_VERSION, SnapshotError } from '../../../src/core/time/snapshot';
import { Fnv32x2 } from '../../../src/core/time/stateHash';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const boot = (n: string): Vm => Vm.fromImage(fs.readFileSync(manifest.find((f) => f.name === n)!.path), n, {}, { serialOut: () => undefined });

interface Decoded {
  note: string; components: { name: string; blob: Buffer }[]; hostSize: number; pages: Map<number, Buffer>;
  /** Offset of the TLB section (the end of the pages). */
  tlbAt: number;
  tlbs: { vpid: number; entries: number[] }[];
}

/**
 * Format version 2, read independently: "VMMDSNAP" | u32 version | body | u32 FNV-1a-style checksum;
 * body = note | components | host size | pages | TLBs (u32 vCPUs, per vCPU u32 VPID, u32 n, n x i32).
 */
function decodeV2(b: Buffer): Decoded {
  assert.equal(b.subarray(0, 8).toString('latin1'), 'VMMDSNAP');
  assert.equal(b.readUInt32LE(8), 2);
  let o = 12;
  const u32 = (): number => { const v = b.readUInt32LE(o); o += 4; return v; };
  const bytes = (): Buffer => { const n = u32(); const v = b.subarray(o, o + n); o += n; assert.equal(v.length, n, 'truncated'); return v; };
  const note = bytes().toString('latin1');
  const n = u32();
  const components = [];
  for (let k = 0; k < n; k++) components.push({ name: bytes().toString('latin1'), blob: bytes() });
  const hostSize = u32();
  const np = u32();
  const pages = new Map<number, Buffer>();
  for (let k = 0; k < np; k++) { const p = u32(); const data = bytes(); assert.equal(data.length, 4096); pages.set(p, data); }
  const tlbAt = o;
  const tlbs = [];
  for (let k = 0, n = u32(); k < n; k++) {
    const vpid = u32();
    const entries = [];
    for (let i = 0, m = u32(); i < m; i++) { entries.push(b.readInt32LE(o)); o += 4; }
    tlbs.push({ vpid, entries });
  }
  assert.equal(o, b.length - 4, 'the checksum follows the TLBs');
  return { note, components, hostSize, pages, tlbAt, tlbs };
}

/** The same moment as a version 1 file: the body without the TLB section, checksum recomputed. */
function asVersion1(b: Buffer, tlbAt: number): Buffer {
  const v1 = Buffer.alloc(tlbAt + 4);
  b.copy(v1, 0, 0, tlbAt);
  v1.writeUInt32LE(1, 8);
  const h = new Fnv32x2();
  h.bytes(v1.subarray(0, tlbAt));
  v1.writeUInt32LE(h.a >>> 0, tlbAt);
  return v1;
}

describe('time travel: snapshot file format', () => {
  it(`format version ${SNAPSHOT_FORMAT_VERSION} files decode with this test's own decoder`, () => {
    assert.equal(SNAPSHOT_FORMAT_VERSION, 2, 'the format version changed: write the new version\'s decoder here (and keep reading or refusing v1 and v2 clearly)');
    const vm = boot('hello');
    vm.run(200);
    const file = Buffer.from(vm.saveSnapshot('pinned'));
    const d = decodeV2(file);
    assert.equal(d.note, 'pinned');
    assert.deepEqual(d.components.map((c) => c.name), vm.stateComponents().map((c) => c.stateName));
    // Each component blob starts with its own name and layout version (stateIo begin()).
    for (const c of d.components) {
      const len = c.blob.readUInt32LE(0);
      assert.equal(c.blob.subarray(4, 4 + len).toString('latin1'), c.name);
    }
    assert.equal(d.hostSize, vm.vmm.host.size);
    // Every non-zero host page is there, byte for byte, and no zero page.
    const mem = vm.vmm.host.u8;
    for (let p = 0; p < d.hostSize / 4096; p++) {
      const page = mem.subarray(p * 4096, (p + 1) * 4096);
      const saved = d.pages.get(p);
      if (page.some((x) => x !== 0)) assert.ok(saved && Buffer.compare(saved, Buffer.from(page)) === 0, `page ${p}`);
      else assert.equal(saved, undefined, `zero page ${p} saved`);
    }
    // One TLB record per vCPU, as the MMU holds it: the pages the boot touched are cached.
    const v0 = vm.vmm.vcpus[0];
    assert.deepEqual(d.tlbs, [{ vpid: v0.vmx.tlbVpid, entries: [...v0.cpu.mmu.saveEntries()] }]);
    assert.ok(d.tlbs[0].entries.length > 1);
  });

  it('a version 1 file (no TLBs) still loads, with empty TLBs; an unknown version is refused clearly', () => {
    const vm = boot('hello');
    vm.run(200);
    const h = vm.stateHash();
    const file = Buffer.from(vm.saveSnapshot('v1'));
    const v1 = asVersion1(file, decodeV2(file).tlbAt);
    const b = boot('hello');
    assert.equal(b.loadSnapshot(v1).note, 'v1');
    assert.equal(b.stateHash(), h);
    assert.deepEqual([...b.vmm.vcpus[0].cpu.mmu.saveEntries()], [0], 'empty TLB');
    // The same run on: the TLB refills by walks, nothing the guest sees differs.
    assert.deepEqual(vm.run(5000), b.run(5000));
    assert.equal(b.stateHash(), vm.stateHash());
    const v3 = Buffer.from(v1);
    v3.writeUInt32LE(3, 8);
    assert.throws(() => b.loadSnapshot(v3), (e: Error) => e instanceof SnapshotError && e.message === 'snapshot format version 3 is not supported (this build reads versions 1 and 2)');
  });

  it('a TLB record naming a host page outside memory is refused, the VM unchanged', () => {
    const vm = boot('hello');
    vm.run(200);
    const file = Buffer.from(vm.saveSnapshot());
    const d = decodeV2(file);
    // The first entry's value: vCPU count, VPID, length, overflow flag, page, then the entry.
    const at = d.tlbAt + 4 * 5;
    file.writeInt32LE(0x7ffff000 | (file.readInt32LE(at) & 0xfff), at);
    const h = new Fnv32x2();
    h.bytes(file.subarray(0, file.length - 4));
    file.writeUInt32LE(h.a >>> 0, file.length - 4);
    const other = boot('hello');
    const before = other.stateHash();
    assert.throws(() => other.loadSnapshot(file), /bad TLB record for vCPU 0: host page 0x7ffff outside host memory/);
    assert.equal(other.stateHash(), before);
  });
});
