// The A20 gate: port 0x92 (System Control Port A) and the 8042 output port as the chipset combines them
// (A20M# only when both are 0), and the VMM's aliasing of odd megabytes while the gate is off
// (vmm/a20Alias.ts): through the EPT, through shadow page tables, for the debugger's reads, and across
// snapshots and time travel (the gate is device state, the mask follows it on restore).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { SystemControlA } from '../../../src/core/devices/systemControlA';
import type { StopEvent } from '../../../src/core/debug/debugApi';

const BOOTSECTOR = 'build/guests/bootsector.img';

function bootDisk(code: number[]): Uint8Array {
  const b = new Uint8Array(16 * 512);
  b.set(code);
  b[510] = 0x55; b[511] = 0xaa;
  return b;
}
function runToStop(vm: Vm, limit = 50_000_000): StopEvent {
  const end = vm.icount + limit;
  while (vm.icount < end) { const s = vm.run(100_000); if (s) return s; }
  throw new Error('no stop');
}
/** Run in small slices until `cond` holds (the A20 line changed). */
function runUntil(vm: Vm, cond: () => boolean, limit = 20_000_000): void {
  const end = vm.icount + limit;
  while (!cond()) { assert.ok(vm.icount < end, 'condition never held'); assert.equal(vm.run(50), null); }
}
const gpa = (vm: Vm, a: number): number => vm.readMemory(0, 'gpa', a, 1).data[0];

describe('devices/systemControlA: port 0x92', () => {
  it('reads back the last value; bit 1 change and bit 0 rising edge call back', () => {
    let changes = 0, resets = 0;
    const p = new SystemControlA(() => { changes++; }, () => { resets++; });
    assert.equal(p.portIn(), 0, 'power-up: alternate A20 off');
    p.portOut(0x92, 1, 0x02);
    assert.equal(p.portIn(), 0x02); assert.ok(p.a20); assert.equal(changes, 1);
    p.portOut(0x92, 1, 0x0a); // CMOS lock bit: kept, no A20 change
    assert.equal(p.portIn(), 0x0a); assert.equal(changes, 1); assert.equal(resets, 0);
    p.portOut(0x92, 1, 0x0b); // 0 -> 1 on bit 0: fast reset
    assert.equal(resets, 1);
    p.portOut(0x92, 1, 0x0b); // no edge
    assert.equal(resets, 1);
  });
});

describe('A20 masking (vmm/a20Alias.ts)', function () {
  this.timeout(120_000);

  it('the A20 line is the OR of the 8042 output port bit 1 and port 0x92 bit 1', () => {
    const vm = Vm.fromImage(bootDisk([0xf4]), 'disk.img', {}, { serialOut: () => undefined });
    const p = vm.platform;
    assert.ok(p.a20, 'power-up: the 8042 gate is on');
    p.kbd.setA20(false);
    assert.ok(!p.a20);
    assert.equal(vm.vmm.memory.a20Mask, 0xffefffff);
    p.port92.portOut(0x92, 1, 2);
    assert.ok(p.a20);
    assert.equal(vm.vmm.memory.a20Mask, 0xffffffff);
    p.kbd.setA20(true); p.port92.portOut(0x92, 1, 0);
    assert.ok(p.a20);
  });

  for (const mmu of ['ept', 'shadow'] as const) {
    it(`${mmu}: a real-mode write through FFFF:0010 lands at 0 while A20 is off and at 1 MiB while it is on`, () => {
      // The 8042's gate is off and port 0x92's on before the guest starts, so port 0x92 decides.
      // mov ax,0FFFFh; mov es,ax; mov byte [es:10h],11h (A20 on: 1 MiB, and the EPT / shadow maps that page);
      // in al,92h; and al,0FCh; out 92h,al; mov byte [es:10h],5Ah (off: must land at 0, not in the stale mapping);
      // in al,92h; or al,2; out 92h,al; mov byte [es:10h],0A5h (on again: 1 MiB); mov al,0; out 0F4h,al
      const code = [
        0xb8, 0xff, 0xff, 0x8e, 0xc0, 0x26, 0xc6, 0x06, 0x10, 0x00, 0x11,
        0xe4, 0x92, 0x24, 0xfc, 0xe6, 0x92,
        0x26, 0xc6, 0x06, 0x10, 0x00, 0x5a,
        0xe4, 0x92, 0x0c, 0x02, 0xe6, 0x92,
        0x26, 0xc6, 0x06, 0x10, 0x00, 0xa5,
        0xb0, 0x00, 0xe6, 0xf4,
      ];
      const vm = Vm.fromImage(bootDisk(code), 'disk.img', { mmu }, { serialOut: () => undefined });
      vm.platform.port92.portOut(0x92, 1, 2);
      vm.platform.kbd.setA20(false);
      assert.ok(vm.platform.a20);
      assert.deepEqual(runToStop(vm), { kind: 'exited', vcpu: 0, status: 1 });
      assert.equal(gpa(vm, 0), 0x5a, 'the write with A20 off wrapped to 0');
      assert.equal(gpa(vm, 0x100000), 0xa5, 'the writes with A20 on went to 1 MiB');
    });
  }

  it('a snapshot taken while A20 is off restores the mask; both VMs finish the bootsector fixture identically', () => {
    const img = new Uint8Array(fs.readFileSync(BOOTSECTOR));
    const out1: number[] = [], out2: number[] = [];
    const vm = Vm.fromImage(img, 'disk.img', {}, { serialOut: (_p, b) => { out1.push(...b); } });
    runUntil(vm, () => !vm.platform.a20);
    assert.equal(vm.vmm.memory.a20Mask, 0xffefffff);
    const snap = vm.saveSnapshot('a20 off');
    const vm2 = Vm.fromImage(img, 'disk.img', {}, { serialOut: (_p, b) => { out2.push(...b); } });
    vm2.loadSnapshot(snap);
    assert.ok(!vm2.platform.a20);
    assert.equal(vm2.vmm.memory.a20Mask, 0xffefffff, 'the mask follows the restored gate');
    assert.equal(gpa(vm2, 0x100600), gpa(vm2, 0x600), 'the odd megabyte aliases the even one');
    assert.equal(runToStop(vm).kind, 'exited');
    assert.equal(runToStop(vm2).kind, 'exited');
    const text1 = String.fromCharCode(...out1);
    assert.match(text1, /PASS a20 off: FFFF:0610 wraps to 0000:0600\nPASS a20 by port 0x92/);
    assert.ok(text1.endsWith(String.fromCharCode(...out2)), 'the restored VM printed the rest of the same output');
    assert.equal(vm2.stateHash(), vm.stateHash());
  });

  it('time travel: going back to a moment with A20 off reads the aliased memory; forward again, the same end state', () => {
    const img = new Uint8Array(fs.readFileSync(BOOTSECTOR));
    const vm = Vm.fromImage(img, 'disk.img', {}, { serialOut: () => undefined });
    vm.startRecording();
    runUntil(vm, () => !vm.platform.a20);
    const off = vm.icount;
    assert.equal(runToStop(vm).kind, 'exited');
    const end = vm.icount, hash = vm.stateHash();
    assert.ok(vm.platform.a20);
    vm.gotoIcount(off);
    assert.ok(!vm.platform.a20);
    assert.equal(vm.vmm.memory.a20Mask, 0xffefffff);
    vm.gotoIcount(end);
    assert.equal(vm.vmm.memory.a20Mask, 0xffffffff);
    assert.equal(vm.stateHash(), hash);
  });
});
