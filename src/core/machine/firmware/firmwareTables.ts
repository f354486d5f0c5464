// The MP and ACPI tables at their fixed places in the BIOS area (biosLayout.ts), for every boot path.
import type { GuestMemory } from '../../vmm/memslots';
import { ACPI_DSDT, ACPI_FACS, ACPI_FADT, ACPI_MADT, ACPI_RSDP, ACPI_RSDT, MP_CONFIG, MP_FLOATING } from './biosLayout';
import { mpConfigTable, mpFloatingPointer } from './mpTable';
import { dsdt, facs, fadt, madt, rsdp, rsdt } from './acpiTables';

export function installTables(mem: GuestMemory, cpus: number): void {
  mem.writeBytes(MP_FLOATING, mpFloatingPointer(MP_CONFIG));
  mem.writeBytes(MP_CONFIG, mpConfigTable(cpus));
  mem.writeBytes(ACPI_RSDP, rsdp(ACPI_RSDT));
  mem.writeBytes(ACPI_RSDT, rsdt([ACPI_MADT, ACPI_FADT]));
  mem.writeBytes(ACPI_MADT, madt(cpus));
  mem.writeBytes(ACPI_FADT, fadt(ACPI_FACS, ACPI_DSDT));
  mem.writeBytes(ACPI_FACS, facs());
  mem.writeBytes(ACPI_DSDT, dsdt());
}
