// Boot paths in the core: the paravirtual BIOS serving small hand-assembled boot sectors (INT 16h from
// the recorded keyboard input through the 8042, INT 13h error conventions), time travel over disk
// writes (the overlay is machine state), and the Multiboot information (command line, modules, boot
// device, memory map).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm, ImageError } from '../../../src/core/machine/vm';
import { nullHost } from '../../../src/core/host';
import type { StopEvent } from '../../../src/core/debug/debugApi';

/** A disk image whose boot sector is `code` (at 0000:7C00), padded to `sectors` sectors. */
function bootDisk(code: number[], sectors = 16): Uint8Array {
  const b = new Uint8Array(sectors * 512);
  b.set(code);
  b[510] = 0x55; b[511] = 0xaa;
  return b;
}
function boot(img: Uint8Array, extra: Record<string, unknown> = {}): { vm: Vm; out: number[] } {
  const out: number[] = [];
  const vm = Vm.fromImage(img, 'disk.img', {}, { serialOut: (_p, b) => { out.push(...b); } }, extra);
  return { vm, out };
}
function runToStop(vm: Vm, limit = 20_000_000): StopEvent {
  const end = vm.icount + limit;
  while (vm.icount < end) { const s = vm.run(100_000); if (s) return s; }
  throw new Error('no stop');
}
const getKeyAndEcho = [0xb4, 0x00, 0xcd, 0x16, 0xba, 0xf8, 0x03, 0xee]; // mov ah,0; int 16h; mov dx,3F8h; out dx,al
const exit0 = [0xb0, 0x00, 0xe6, 0xf4];

describe('firmware: paravirtual BIOS services and boot information', function () {
  this.timeout(120_000);

  it('INT 16h AH=00h returns ASCII from the recorded keyboard input (shift handled), waiting for keys with HLT', () => {
    const { vm, out } = boot(bootDisk([...getKeyAndEcho, ...getKeyAndEcho, ...getKeyAndEcho, ...exit0]));
    vm.keyboardInput(Uint8Array.from('aQ', (c) => c.charCodeAt(0)));
    assert.equal(vm.run(2_000_000), null, 'blocked in INT 16h waiting for the third key');
    assert.equal(String.fromCharCode(...out), 'aQ');
    vm.keyboardInput(Uint8Array.from('!', (c) => c.charCodeAt(0)));
    assert.deepEqual(runToStop(vm), { kind: 'exited', vcpu: 0, status: 1 });
    assert.equal(String.fromCharCode(...out), 'aQ!');
    assert.ok(vm.bios!.calls[0x16] >= 3, 'INT 16h ran as VMCALLs');
  });

  it('IRQ1 -> INT 09h puts keys into the BDA buffer; INT 16h AH=01h then sees one (ZF = 0) without taking it', () => {
    const code = [0xfb, ...Array(8).fill(0xf4), 0xb4, 0x01, 0xcd, 0x16, 0x9c, 0x5b, 0xba, 0xf8, 0x03, 0xee, 0x88, 0xd8, 0xee, // sti; hlt x8; AH=01h; out AL, FLAGS
      0xb4, 0x00, 0xcd, 0x16, 0xee, ...exit0];                                                                                     // AH=00h: out AL
    const { vm, out } = boot(bootDisk(code));
    vm.keyboardInput(Uint8Array.from('zy', (c) => c.charCodeAt(0)));
    assert.deepEqual(runToStop(vm), { kind: 'exited', vcpu: 0, status: 1 });
    assert.equal(out[0], 0x7a);
    assert.equal(out[1] & 0x40, 0, 'ZF clear: a key is waiting');
    assert.equal(out[2], 0x7a, 'AH=01h did not remove it');
    assert.ok(vm.bios!.calls[0x09] >= 2, 'the keyboard IRQ handler (INT 09h) ran');
    assert.equal(vm.vmm.memory.read8(0x41a), 0x20, 'BDA head advanced by one key word');
  });

  it('INT 13h errors: CF set and AH = status (04h sector not found, 01h bad drive); AH=01h repeats the last status', () => {
    const code = [
      0xb8, 0x01, 0x02, 0xb9, 0x00, 0x00, 0xba, 0x80, 0x00, 0xbb, 0x00, 0x10, 0xcd, 0x13, // read CHS sector 0
      0x0f, 0x92, 0xc0, 0xba, 0xf8, 0x03, 0xee, 0x88, 0xe0, 0xee,                           // out CF, out AH
      0xb4, 0x01, 0xb2, 0x80, 0xcd, 0x13, 0x88, 0xe0, 0xba, 0xf8, 0x03, 0xee,               // AH=01h: last status
      0xb4, 0x00, 0xb2, 0x85, 0xcd, 0x13, 0x0f, 0x92, 0xc0, 0xba, 0xf8, 0x03, 0xee, 0x88, 0xe0, 0xee,         // reset drive 85h (absent)
      ...exit0,
    ];
    const { vm, out } = boot(bootDisk(code));
    assert.deepEqual(runToStop(vm), { kind: 'exited', vcpu: 0, status: 1 });
    assert.deepEqual(out, [1, 0x04, 0x04, 1, 0x01]);
  });

  it('time travel covers the disk: going back before an INT 13h write empties the overlay, forward again rewrites it', () => {
    const img = new Uint8Array(fs.readFileSync('build/guests/bootsector.img'));
    const { vm, out } = boot(img);
    vm.startRecording();
    assert.equal(runToStop(vm).kind, 'exited');
    const end = vm.icount, text = String.fromCharCode(...out);
    const disk = vm.platform.ide[0].drives[0].disk!;
    assert.equal(disk.overlay.size, 1);
    const ide = vm.devices().find((g) => g.name.startsWith('IDE primary channel'))!;
    assert.match(ide.fields.find((f) => f.name === 'master')!.text!, /disk\.img: 64 sectors, CHS 1\/16\/63, 1 written \(overlay\)/);
    vm.gotoIcount(100);
    assert.equal(disk.overlay.size, 0, 'before the write');
    vm.gotoIcount(end);
    assert.equal(disk.overlay.size, 1);
    assert.equal(String.fromCharCode(...out), text, 'replayed output is not shown twice');
  });

  it('Multiboot: command line, modules (page-aligned after the kernel), boot device, memory map with the BIOS area reserved', () => {
    const mod = Uint8Array.from({ length: 5000 }, (_, k) => (k * 7) & 0xff);
    const vm = Vm.fromImage(fs.readFileSync('build/guests/hello.elf'), 'hello', {}, nullHost, {
      cmdline: 'console=ttyS0 loglevel=7', modules: [{ name: 'initrd.img', image: mod }, { name: 'm2', image: Uint8Array.of(1, 2, 3), cmdline: 'm2 arg' }],
      disks: [{ name: 'd.img', image: new Uint8Array(1024) }],
    });
    const m = vm.vmm.memory;
    const u32 = (a: number): number => m.read32(a)! >>> 0;
    const cstr = (a: number): string => { let s = ''; for (let c = m.read8(a)!; c; c = m.read8(++a)!) s += String.fromCharCode(c); return s; };
    const mbi = vm.vmm.vcpus[0].regs[3] >>> 0;
    const flags = u32(mbi);
    for (const bit of [0, 1, 2, 3, 6, 9]) assert.ok(flags & (1 << bit), `flag bit ${bit}`);
    assert.equal(u32(mbi + 12), 0x80ffffff, 'boot device: drive 80h, no partition');
    assert.equal(cstr(u32(mbi + 16)), 'console=ttyS0 loglevel=7');
    assert.equal(u32(mbi + 20), 2);
    const mods = u32(mbi + 24);
    const [s0, e0, s1, e1] = [u32(mods), u32(mods + 4), u32(mods + 16), u32(mods + 20)];
    assert.equal(s0 % 4096, 0);
    assert.ok(s0 >= 0x100000);
    assert.equal(e0 - s0, 5000);
    assert.deepEqual(Array.from({ length: 5000 }, (_, k) => m.read8(s0 + k)), Array.from(mod));
    assert.ok(s1 >= e0 && s1 % 4096 === 0);
    assert.equal(e1 - s1, 3);
    assert.equal(cstr(u32(mods + 8)), 'initrd.img');
    assert.equal(cstr(u32(mods + 24)), 'm2 arg');
    assert.equal(cstr(u32(mbi + 64)), 'vmm-debug');
    const map: [number, number, number][] = [];
    for (let p = u32(mbi + 48); p < u32(mbi + 48) + u32(mbi + 44); p += u32(p) + 4) map.push([u32(p + 4), u32(p + 12), u32(p + 20)]);
    assert.deepEqual(map.slice(0, 4), [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xe0000, 0x20000, 2], [0x100000, 31 * 1024 * 1024, 1]]);
    assert.equal(u32(mbi + 4), 639);
    assert.equal(u32(mbi + 8), 31 * 1024);
  });

  it('a command line for a plain ELF, or a module that does not fit, is a clear ImageError', () => {
    assert.throws(() => Vm.fromImage(fs.readFileSync('build/guests/elfplain.elf'), 'elfplain', {}, nullHost, { cmdline: 'x' }), (e: Error) => e instanceof ImageError && /need a Multiboot kernel/.test(e.message));
    assert.throws(() => Vm.fromImage(fs.readFileSync('build/guests/hello.elf'), 'hello', { memMiB: 2 }, nullHost, { modules: [{ name: 'big', image: new Uint8Array(3 << 20) }] }),
      (e: Error) => e instanceof ImageError && /module big: .*do not fit in guest RAM/.test(e.message));
  });
});
