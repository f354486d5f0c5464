// Snapshot format guard: every component's saved layout is pinned here by (version, byte length)
// in a known state (fresh boot of the hello fixture). Changing a layout without bumping the
// component's version fails this test; after a deliberate bump, update the table.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { saveComponent } from '../../../src/core/time/machineState';
import { StateReader } from '../../../src/core/time/stateIo';
import { SNAPSHOT_FORMAT_VERSION } from '../../../src/core/time/snapshot';

/** name -> [version, bytes]. */
const PINNED: Record<string, [number, number]> = {
  cpu0: [3, 414],
  vmcs0: [1, 1629],
  vcpu0: [1, 1095],
  vmm: [1, 1079],
  debugexit: [1, 25],
  uart0: [2, 41],
  uart1: [2, 41],
  ide0: [1, 65],
  ide1: [1, 65],
  vm: [1, 14],
  pic: [1, 99],
  pit: [1, 185],
  i8042: [1, 48],
  rtc: [1, 188],
  vga: [1, 45],
  post: [1, 24],
  debugcon: [1, 24],
  lapic0: [1, 235],
  ioapic: [1, 262],
  smp: [1, 84],
  irq: [1, 32],
  port92: [1, 18],
};

describe('time travel: snapshot layout versions', () => {
  it('the snapshot container is format version 2', () => assert.equal(SNAPSHOT_FORMAT_VERSION, 2));

  it('each component layout matches its pinned version and length', () => {
    const m = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8')) as { name: string; path: string }[];
    const vm = Vm.fromImage(fs.readFileSync(m.find((g) => g.name === 'hello')!.path), 'hello', {}, { serialOut: () => undefined });
    const seen: Record<string, [number, number]> = {};
    for (const c of vm.stateComponents()) {
      const blob = saveComponent(c);
      const r = new StateReader(blob);
      const name = r.str();
      const version = r.u32();
      assert.equal(name, c.stateName);
      seen[name] = [version, blob.length];
    }
    for (const [name, [v, n]] of Object.entries(seen)) {
      const pin = PINNED[name];
      assert.ok(pin, `component "${name}" (version ${v}, ${n} bytes) has no pinned layout: add it to PINNED so a later layout change without a version bump fails here`);
      assert.ok(!(pin[0] === v && pin[1] !== n), `component "${name}" changed its layout (${pin[1]} -> ${n} bytes) without a version bump (still ${v})`);
      assert.deepEqual([v, n], pin, `component "${name}": update the pinned [version, length] after a deliberate version bump`);
    }
  });
});
