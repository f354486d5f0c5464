// What can interrupt one vCPU (KVM's kvm_cpu_has_interrupt / kvm_cpu_get_interrupt with an in-kernel
// irqchip): its local APIC's highest deliverable vector first, then the 8259A pair's INTR when LINT0
// passes it (the APIC globally disabled, or LINT0 an unmasked ExtINT entry: virtual wire mode, which
// the BSP starts in, so guests that never touch the APIC see the PIC exactly as before).
import type { InterruptController } from './irqInjection';
import type { LocalApic } from '../devices/lapic';
import { LAPIC_TIMER_LINE } from '../devices/lapic';
import type { IoApic } from '../devices/ioapic';
import { isaIrqToGsi } from '../devices/apicAddresses';

export class VcpuInterrupts implements InterruptController {
  constructor(private readonly lapic: LocalApic, private readonly ioapic: IoApic, private readonly pic: () => InterruptController | null) {}

  hasInterrupt(): boolean {
    if (this.lapic.hasInterrupt()) return true;
    const pic = this.pic();
    return pic !== null && this.lapic.acceptsPicInterrupt() && pic.hasInterrupt();
  }

  acknowledge(): number {
    if (this.lapic.hasInterrupt()) return this.lapic.acknowledge();
    return this.pic()!.acknowledge();
  }

  /** Could an event on clock line `irq` (an ISA IRQ, or a local APIC timer: LAPIC_TIMER_LINE + id) wake this vCPU? */
  canAccept(irq: number): boolean {
    if (irq >= LAPIC_TIMER_LINE) {
      const l = this.lapic;
      return irq - LAPIC_TIMER_LINE === l.id && l.softwareEnabled && !(l.lvt[0] & (1 << 16));
    }
    const pic = this.pic();
    if (pic !== null && this.lapic.acceptsPicInterrupt() && pic.canAccept(irq)) return true;
    return this.lapic.softwareEnabled && this.ioapic.canDeliver(isaIrqToGsi(irq));
  }

  apicBase(): number { return this.lapic.apicBase; }
  writeApicBase(v: number): void { this.lapic.writeApicBase(v); }

  /** An NMI is pending at the local APIC (ICR NMI, LINT1). */
  nmiPending(): boolean { return this.lapic.nmiPending; }
  takeNmi(): void { this.lapic.nmiPending = false; }
}
