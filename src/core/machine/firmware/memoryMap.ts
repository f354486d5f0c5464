// The guest-physical memory map every boot path reports (INT 15h E820, Multiboot mmap): conventional
// memory below the EBDA, the EBDA, the BIOS area (firmware code and the MP/ACPI tables), RAM above
// 1 MiB, and the APIC register pages (ACPI 6.4 §15 "System Address Map Interfaces": 1 = usable,
// 2 = reserved).
import { LAPIC_BASE, IOAPIC_BASE } from '../../devices/apicAddresses';
import { BIOS_AREA, BIOS_AREA_END, EBDA } from './biosLayout';

export const E820_RAM = 1, E820_RESERVED = 2;
export interface MemoryRange { base: number; length: number; type: number; }

export function memoryMap(ramBytes: number): MemoryRange[] {
  return [
    { base: 0, length: EBDA, type: E820_RAM },
    { base: EBDA, length: 0xa0000 - EBDA, type: E820_RESERVED },
    { base: BIOS_AREA, length: BIOS_AREA_END - BIOS_AREA, type: E820_RESERVED },
    { base: 0x100000, length: ramBytes - 0x100000, type: E820_RAM },
    { base: IOAPIC_BASE, length: 0x1000, type: E820_RESERVED },
    { base: LAPIC_BASE, length: 0x1000, type: E820_RESERVED },
  ];
}
