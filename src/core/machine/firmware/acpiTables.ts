// ACPI tables (ACPI 6.4 §5.2): RSDP (revision 0, §5.2.5), RSDT (§5.2.7), MADT (§5.2.12) with a
// Processor Local APIC entry per vCPU, the I/O APIC, the ISA IRQ0 -> GSI 2 interrupt source override,
// the SCI's override and the LINT1 NMI; a minimal FADT (§5.2.9, revision 1 layout) with FACS and an
// empty DSDT. All checksums are computed; the RSDP lives in the BIOS area on a 16-byte boundary.
import { IOAPIC_BASE, LAPIC_BASE, ioApicId, isaIrqToGsi } from '../../devices/apicAddresses';
import { TableBytes } from './tableBytes';

export const MADT_ENTRY = { LOCAL_APIC: 0, IOAPIC: 1, INTERRUPT_OVERRIDE: 2, LOCAL_APIC_NMI: 4 } as const;
/** System control interrupt: ISA IRQ 9, level-triggered active high as PC chipsets wire it. */
export const SCI_IRQ = 9;
const OEM_ID = 'VMMDBG', OEM_TABLE = 'VMMDEBUG';

/** A table's 36-byte System Description Table header (length and checksum patched by `finish`). */
function header(sig: string, revision: number): TableBytes {
  return new TableBytes().str(sig, 4).u32(0).u8(revision).u8(0).str(OEM_ID, 6).str(OEM_TABLE, 8).u32(1).str('VMMD', 4).u32(1);
}
function finish(t: TableBytes): Uint8Array { t.set32(4, t.length); t.checksum(9); return t.bytes(); }

export function rsdp(rsdtAddr: number): Uint8Array {
  const t = new TableBytes().str('RSD PTR ').u8(0).str(OEM_ID, 6).u8(0).u32(rsdtAddr);
  t.checksum(8);
  return t.bytes();
}

export function rsdt(tables: number[]): Uint8Array {
  const t = header('RSDT', 1);
  for (const a of tables) t.u32(a);
  return finish(t);
}

export function madt(cpus: number): Uint8Array {
  const t = header('APIC', 3).u32(LAPIC_BASE).u32(1); // flags: PCAT_COMPAT (dual 8259 present)
  for (let id = 0; id < cpus; id++) t.u8(MADT_ENTRY.LOCAL_APIC).u8(8).u8(id).u8(id).u32(1); // UID, APIC ID, enabled
  t.u8(MADT_ENTRY.IOAPIC).u8(12).u8(ioApicId(cpus)).u8(0).u32(IOAPIC_BASE).u32(0);
  // IRQ0 arrives on GSI 2; flags 0 = conforms to the bus (ISA: edge, active high).
  t.u8(MADT_ENTRY.INTERRUPT_OVERRIDE).u8(10).u8(0).u8(0).u32(isaIrqToGsi(0)).u16(0);
  // The SCI: level-triggered (trigger mode 11b, bits 3:2), active high (polarity 01b, bits 1:0).
  t.u8(MADT_ENTRY.INTERRUPT_OVERRIDE).u8(10).u8(0).u8(SCI_IRQ).u32(isaIrqToGsi(SCI_IRQ)).u16(0x000d);
  t.u8(MADT_ENTRY.LOCAL_APIC_NMI).u8(6).u8(0xff).u16(0).u8(1); // all processors, LINT1
  return finish(t);
}

/** FADT revision 1 (116 bytes): FACS and DSDT pointers, SCI on IRQ 9, no SMI command port (ACPI mode fixed). */
export function fadt(facsAddr: number, dsdtAddr: number): Uint8Array {
  const t = header('FACP', 1).u32(facsAddr).u32(dsdtAddr).u8(0).u8(0).u16(SCI_IRQ).u32(0);
  t.zeros(116 - t.length);
  t.set32(112, 0x00000005); // flags: WBINVD works, C1 supported on all processors
  return finish(t);
}

/** Firmware ACPI Control Structure (§5.2.10): 64 bytes, no checksum. */
export function facs(): Uint8Array {
  return new TableBytes().str('FACS').u32(64).u32(0).u32(0).u32(0).u32(0).zeros(8).u8(1).zeros(31).bytes();
}

/** A DSDT with no AML: the header only (definition block of an empty namespace). */
export function dsdt(): Uint8Array { return finish(header('DSDT', 1)); }
