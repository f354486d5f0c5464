// MP and ACPI tables parsed back the way an OS finds them (a scan of the BIOS area on 16-byte
// boundaries), with their checksums, independently of the code that builds them.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { nullHost } from '../../../src/core/host';
import { mpConfigTable, mpFloatingPointer } from '../../../src/core/machine/firmware/mpTable';
import { madt } from '../../../src/core/machine/firmware/acpiTables';
import { IOAPIC_BASE, LAPIC_BASE } from '../../../src/core/devices/apicAddresses';

type Mem = (a: number) => number;
const u8 = (m: Mem, a: number): number => m(a);
const u16 = (m: Mem, a: number): number => m(a) | (m(a + 1) << 8);
const u32 = (m: Mem, a: number): number => (u16(m, a) | (u16(m, a + 2) << 16)) >>> 0;
const str = (m: Mem, a: number, n: number): string => String.fromCharCode(...Array.from({ length: n }, (_, k) => m(a + k)));
const sum = (m: Mem, a: number, n: number): number => { let s = 0; for (let k = 0; k < n; k++) s += m(a + k); return s & 0xff; };
const scan = (m: Mem, sig: string, from: number, to: number): number => { for (let a = from; a < to; a += 16) if (str(m, a, sig.length) === sig) return a; return -1; };

interface MpInfo { cpus: { id: number; flags: number }[]; buses: string[]; ioapic: { id: number; addr: number }; irqs: Map<number, number>; lints: [number, number, number][]; }
function parseMp(m: Mem): MpInfo {
  const fp = scan(m, '_MP_', 0xf0000, 0x100000);
  assert.ok(fp >= 0, 'MP floating pointer in 0xF0000-0xFFFFF');
  assert.equal(sum(m, fp, 16 * u8(m, fp + 8)), 0, 'floating pointer checksum');
  assert.equal(u8(m, fp + 9), 4, 'spec revision 1.4');
  assert.equal(u8(m, fp + 11), 0, 'feature byte 1: a configuration table is present');
  const ct = u32(m, fp + 4);
  assert.equal(str(m, ct, 4), 'PCMP');
  const len = u16(m, ct + 4);
  assert.equal(sum(m, ct, len), 0, 'configuration table checksum');
  assert.equal(u32(m, ct + 36), LAPIC_BASE);
  const info: MpInfo = { cpus: [], buses: [], ioapic: { id: -1, addr: 0 }, irqs: new Map(), lints: [] };
  let p = ct + 44;
  for (let k = u16(m, ct + 34); k > 0; k--) {
    const type = u8(m, p);
    if (type === 0) { info.cpus.push({ id: u8(m, p + 1), flags: u8(m, p + 3) }); p += 20; continue; }
    if (type === 1) info.buses.push(str(m, p + 2, 6).trimEnd());
    if (type === 2) info.ioapic = { id: u8(m, p + 1), addr: u32(m, p + 4) };
    if (type === 3) { assert.equal(u8(m, p + 1), 0, 'INT'); assert.equal(u8(m, p + 6), info.ioapic.id); info.irqs.set(u8(m, p + 5), u8(m, p + 7)); }
    if (type === 4) info.lints.push([u8(m, p + 1), u8(m, p + 6), u8(m, p + 7)]);
    p += 8;
  }
  assert.equal(p, ct + len, 'entries fill the base table exactly');
  return info;
}

interface MadtInfo { lapics: number[]; ioapic: { id: number; addr: number; gsiBase: number }; overrides: [number, number, number][]; nmi: [number, number][]; flags: number; }
function parseMadt(m: Mem, at: number): MadtInfo {
  assert.equal(str(m, at, 4), 'APIC');
  const len = u32(m, at + 4);
  assert.equal(sum(m, at, len), 0, 'MADT checksum');
  assert.equal(u32(m, at + 36), LAPIC_BASE);
  const r: MadtInfo = { lapics: [], ioapic: { id: -1, addr: 0, gsiBase: -1 }, overrides: [], nmi: [], flags: u32(m, at + 40) };
  for (let p = at + 44; p < at + len; p += u8(m, p + 1)) {
    const t = u8(m, p);
    if (t === 0) { assert.equal(u32(m, p + 4) & 1, 1, 'enabled'); r.lapics.push(u8(m, p + 3)); }
    if (t === 1) r.ioapic = { id: u8(m, p + 2), addr: u32(m, p + 4), gsiBase: u32(m, p + 8) };
    if (t === 2) r.overrides.push([u8(m, p + 3), u32(m, p + 4), u16(m, p + 8)]);
    if (t === 4) r.nmi.push([u8(m, p + 2), u8(m, p + 5)]);
  }
  return r;
}

describe('firmware: MP and ACPI tables', () => {
  const vm = Vm.fromImage(fs.readFileSync('build/guests/hello.elf'), 'hello', {}, nullHost);
  const mem: Mem = (a) => vm.vmm.memory.read8(a) ?? 0xff;

  it('MP table (in every boot path, here a Multiboot kernel): BSP, ISA bus, I/O APIC, ISA IRQ0 -> pin 2, ExtINT/NMI on LINT0/1', () => {
    const mp = parseMp(mem);
    assert.deepEqual(mp.cpus, [{ id: 0, flags: 3 }]);
    assert.deepEqual(mp.buses, ['ISA']);
    assert.deepEqual(mp.ioapic, { id: 1, addr: IOAPIC_BASE });
    assert.equal(mp.irqs.get(0), 2);
    assert.equal(mp.irqs.has(2), false, 'IRQ2 is the cascade');
    for (const irq of [1, 3, 4, 8, 14, 15]) assert.equal(mp.irqs.get(irq), irq);
    assert.deepEqual(mp.lints, [[3, 0xff, 0], [1, 0xff, 1]]);
  });

  it('MP table for 4 processors: APIC IDs 0..3, only 0 is the BSP, the I/O APIC takes ID 4', () => {
    const ct = mpConfigTable(4), fp = mpFloatingPointer(0x1000);
    const shifted: Mem = (a) => (a >= 0xf0000 && a < 0xf0010 ? fp[a - 0xf0000] : a >= 0x1000 && a < 0x1000 + ct.length ? ct[a - 0x1000] : 0);
    const mp = parseMp(shifted);
    assert.deepEqual(mp.cpus, [{ id: 0, flags: 3 }, { id: 1, flags: 1 }, { id: 2, flags: 1 }, { id: 3, flags: 1 }]);
    assert.equal(mp.ioapic.id, 4);
  });

  it('ACPI: RSDP (16-byte aligned in 0xE0000-0xFFFFF) -> RSDT -> MADT and FADT (-> FACS, DSDT), all checksums zero', () => {
    const rsdp = scan(mem, 'RSD PTR ', 0xe0000, 0x100000);
    assert.ok(rsdp >= 0 && rsdp % 16 === 0);
    assert.equal(sum(mem, rsdp, 20), 0, 'RSDP checksum (first 20 bytes)');
    assert.equal(u8(mem, rsdp + 15), 0, 'ACPI 1.0 RSDP');
    const rsdt = u32(mem, rsdp + 16);
    assert.equal(str(mem, rsdt, 4), 'RSDT');
    const len = u32(mem, rsdt + 4);
    assert.equal(sum(mem, rsdt, len), 0, 'RSDT checksum');
    const tables = new Map<string, number>();
    for (let p = rsdt + 36; p < rsdt + len; p += 4) tables.set(str(mem, u32(mem, p), 4), u32(mem, p));
    assert.deepEqual([...tables.keys()].sort(), ['APIC', 'FACP']);
    const madtInfo = parseMadt(mem, tables.get('APIC')!);
    assert.deepEqual(madtInfo.lapics, [0]);
    assert.deepEqual(madtInfo.ioapic, { id: 1, addr: IOAPIC_BASE, gsiBase: 0 });
    assert.deepEqual(madtInfo.overrides[0], [0, 2, 0], 'IRQ0 -> GSI 2, conforming polarity and trigger');
    assert.deepEqual(madtInfo.overrides[1], [9, 9, 0x0d], 'SCI: level, active high');
    assert.deepEqual(madtInfo.nmi, [[0xff, 1]]);
    assert.equal(madtInfo.flags & 1, 1, 'PCAT_COMPAT: the 8259 pair is there too');
    const fadt = tables.get('FACP')!;
    assert.equal(sum(mem, fadt, u32(mem, fadt + 4)), 0, 'FADT checksum');
    assert.equal(u16(mem, fadt + 46), 9, 'SCI_INT');
    const facs = u32(mem, fadt + 36), dsdt = u32(mem, fadt + 40);
    assert.equal(facs % 64, 0, 'FACS is 64-byte aligned');
    assert.deepEqual([str(mem, facs, 4), u32(mem, facs + 4)], ['FACS', 64]);
    assert.equal(str(mem, dsdt, 4), 'DSDT');
    assert.equal(sum(mem, dsdt, u32(mem, dsdt + 4)), 0, 'DSDT checksum');
  });

  it('MADT for 8 vCPUs: eight local APIC entries, the I/O APIC ID after them', () => {
    const t = madt(8);
    const info = parseMadt((a) => t[a] ?? 0, 0);
    assert.deepEqual(info.lapics, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(info.ioapic.id, 8);
  });
});
