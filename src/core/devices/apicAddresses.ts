// Where the platform's interrupt controllers live and how ISA interrupts reach them. Shared by the
// local/I/O APIC models, the MP and ACPI tables the firmware builds, and the fixtures' expectations.
// Defaults from the MP Specification 1.4 (ch. 3.6) and SDM Vol. 3A §10.4.1 (IA32_APIC_BASE).

/** xAPIC MMIO page of every local APIC (each vCPU sees its own behind the same address). */
export const LAPIC_BASE = 0xfee00000;
export const LAPIC_SIZE = 0x1000;
/** The I/O APIC's register window (82093AA: IOREGSEL at +0x00, IOWIN at +0x10). */
export const IOAPIC_BASE = 0xfec00000;
export const IOAPIC_SIZE = 0x1000;
/** Redirection-table entries (global system interrupts 0..23). */
export const IOAPIC_PINS = 24;
/** Most vCPUs a VM may have (`--smp N`, launch `smp`). Local APIC IDs are 0..N-1. */
export const MAX_VCPUS = 8;

/** The I/O APIC's ID: one above the last local APIC ID, as MP tables conventionally number it. */
export function ioApicId(vcpus: number): number { return vcpus; }

/**
 * The I/O APIC input (GSI) an ISA IRQ arrives on: identity, except IRQ0 (the PIT) which PCs wire to
 * pin 2 (the MADT carries an interrupt source override for it, the MP table an I/O interrupt entry).
 */
export function isaIrqToGsi(irq: number): number { return irq === 0 ? 2 : irq; }
