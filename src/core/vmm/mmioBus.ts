// Guest-physical MMIO regions the VMM emulates (KVM's kvm_io_bus for KVM_MMIO_BUS): the local APIC
// page and the I/O APIC window. No memslot backs them, so every guest access faults to the VMM (an EPT
// violation under EPT, a #PF exit under shadow paging) and is emulated by mmioEmulate.ts. Devices see
// aligned 32-bit accesses; the emulator merges narrower ones.
import type { VCpu } from './vcpu';

export interface MmioDevice {
  readonly name: string;
  /** 32-bit read at `offset` (dword-aligned) by `vcpu` (the local APIC answers for the accessing vCPU). */
  read(vcpu: VCpu, offset: number): number;
  write(vcpu: VCpu, offset: number, value: number): void;
}

export interface MmioRegion { base: number; size: number; dev: MmioDevice; }

export class MmioBus {
  readonly regions: MmioRegion[] = [];
  register(base: number, size: number, dev: MmioDevice): void { this.regions.push({ base: base >>> 0, size, dev }); }
  find(gpa: number): MmioRegion | undefined {
    const g = gpa >>> 0;
    for (const r of this.regions) if (g >= r.base && g < r.base + r.size) return r;
    return undefined;
  }
}
