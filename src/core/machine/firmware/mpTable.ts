// Intel MultiProcessor Specification 1.4 tables: the MP floating pointer structure (§4.1) and the MP
// configuration table (§4.2-4.3) with processor, bus, I/O APIC, I/O interrupt assignment and local
// interrupt assignment entries. Interrupt routing comes from devices/apicAddresses.ts (IRQ0 -> pin 2).
import { IOAPIC_BASE, LAPIC_BASE, ioApicId, isaIrqToGsi } from '../../devices/apicAddresses';
import { cpuidPolicy } from '../../vmm/cpuidPolicy';
import { TableBytes } from './tableBytes';

export const MP_ENTRY = { PROCESSOR: 0, BUS: 1, IOAPIC: 2, IO_INTERRUPT: 3, LOCAL_INTERRUPT: 4 } as const;
export const MP_INT = { INT: 0, NMI: 1, SMI: 2, EXTINT: 3 } as const;
/** Local APIC version (SDM Vol. 3A §10.4.8: 0x14 = integrated APIC) and the 82093AA I/O APIC version. */
export const LAPIC_VERSION = 0x14, IOAPIC_VERSION = 0x11;
const ISA_BUS = 0;

/** The 16-byte floating pointer: "_MP_", the configuration table's address, spec revision 1.4. */
export function mpFloatingPointer(configAddr: number): Uint8Array {
  const t = new TableBytes().str('_MP_').u32(configAddr).u8(1).u8(4).u8(0).u8(0).zeros(4);
  t.checksum(10);
  return t.bytes();
}

/** The configuration table for `cpus` processors (APIC IDs 0..cpus-1, the BSP is 0). */
export function mpConfigTable(cpus: number): Uint8Array {
  const t = new TableBytes();
  t.str('PCMP').u16(0).u8(4).u8(0).str('VMMDEBUG', 8).str('VMM-DEBUG PC', 12).u32(0).u16(0).u16(0).u32(LAPIC_BASE).u16(0).u8(0).u8(0);
  let entries = 0;
  for (let id = 0; id < cpus; id++) {
    const [sig, , , features] = cpuidPolicy(1, 0, id);
    t.u8(MP_ENTRY.PROCESSOR).u8(id).u8(LAPIC_VERSION).u8(1 | (id === 0 ? 2 : 0)).u32(sig).u32(features).zeros(8);
    entries++;
  }
  t.u8(MP_ENTRY.BUS).u8(ISA_BUS).str('ISA', 6); entries++;
  const apic = ioApicId(cpus);
  t.u8(MP_ENTRY.IOAPIC).u8(apic).u8(IOAPIC_VERSION).u8(1).u32(IOAPIC_BASE); entries++;
  // ISA IRQs on the I/O APIC: edge, active high ("conforms to the bus", flags 0). IRQ2 is the cascade.
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2) continue;
    t.u8(MP_ENTRY.IO_INTERRUPT).u8(MP_INT.INT).u16(0).u8(ISA_BUS).u8(irq).u8(apic).u8(isaIrqToGsi(irq)); entries++;
  }
  // The 8259A's INTR reaches LINT0 of every local APIC as ExtINT (virtual wire), NMI reaches LINT1.
  t.u8(MP_ENTRY.LOCAL_INTERRUPT).u8(MP_INT.EXTINT).u16(0).u8(ISA_BUS).u8(0).u8(0xff).u8(0); entries++;
  t.u8(MP_ENTRY.LOCAL_INTERRUPT).u8(MP_INT.NMI).u16(0).u8(ISA_BUS).u8(0).u8(0xff).u8(1); entries++;
  t.set16(4, t.length);
  t.set16(34, entries);
  t.checksum(7);
  return t.bytes();
}
