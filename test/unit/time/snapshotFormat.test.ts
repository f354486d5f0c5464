// Snapshot file format guard: this test reads snapshot files with its own decoder of format version 1
// (written from the layout documented in time/snapshot.ts, not with the product's parser). A change of
// the container layout without a bump of SNAPSHOT_FORMAT_VERSION makes this decoder fail; after a
// deliberate bump, write the decoder of the new version here. Component layouts are pinned by
// layout.test.ts (per-component versions).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { SNAPSHOT_FORMAT_VERSION } from '../../../src/core/time/snapshot';

const manifest: { name: string; path: string }[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const boot = (n: string): Vm => Vm.fromImage(fs.readFileSync(manifest.find((f) => f.name === n)!.path), n, {}, { serialOut: () => undefined });

/** Format version 1, read independently: "VMMDSNAP" | u32 version | body | u32 FNV-1a-style checksum. */
function decodeV1(b: Buffer): { note: string; components: { name: string; blob: Buffer }[]; hostSize: number; pages: Map<number, Buffer> } {
  assert.equal(b.subarray(0, 8).toString('latin1'), 'VMMDSNAP');
  assert.equal(b.readUInt32LE(8), 1);
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
  assert.equal(o, b.length - 4, 'the checksum follows the last page');
  return { note, components, hostSize, pages };
}

describe('time travel: snapshot file format', () => {
  it(`format version ${SNAPSHOT_FORMAT_VERSION} files decode with this test's own decoder`, () => {
    assert.equal(SNAPSHOT_FORMAT_VERSION, 1, 'the format version changed: write the new version\'s decoder here (and keep reading or refusing v1 clearly)');
    const vm = boot('hello');
    vm.run(200);
    const file = Buffer.from(vm.saveSnapshot('pinned'));
    const d = decodeV1(file);
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
  });
});
