// The VM's APIC system as the hypervisor emulates it (KVM's lapic.c / ioapic.c / irq_comm.c): one
// local APIC per vCPU (devices/lapic.ts), the I/O APIC (devices/ioapic.ts), and the APIC bus between
// them: destination resolution for IPIs and I/O APIC messages (SDM Vol. 3A 10.6.2: physical IDs with
// 0xFF broadcast; logical flat (DFR model 1111b) and cluster (0000b) against each LDR; shorthands
// self, all including self, all excluding self), delivery by mode (fixed; lowest priority delivered as
// fixed to the lowest-numbered APIC of the destination set, a deterministic arbitration; NMI; INIT and
// SIPI to the processor, as the VM exits 3 and 4 of the target vCPU), and the EOI broadcast back to
// the I/O APIC. Both register pages are MMIO regions (mmioBus.ts).
import type { Vmm } from './vmm';
import type { VCpu } from './vcpu';
import { LocalApic, DM, type LapicHost } from '../devices/lapic';
import { IoApic, type ApicMessage } from '../devices/ioapic';
import { IOAPIC_BASE, IOAPIC_SIZE, LAPIC_BASE, LAPIC_SIZE, ioApicId } from '../devices/apicAddresses';
import type { MmioDevice } from './mmioBus';

export class ApicSystem implements LapicHost {
  readonly lapics: LocalApic[] = [];
  readonly ioapic: IoApic;
  /** IPIs sent (ICR writes that delivered), INIT and SIPI messages, for statistics. */
  readonly stats = { ipis: 0, inits: 0, sipis: 0 };

  constructor(private readonly vmm: Vmm) {
    for (const v of vmm.vcpus) {
      const l = new LocalApic(v.id, vmm.clock, this);
      this.lapics.push(l);
      vmm.clock.register(l);
    }
    // What the firmware leaves on a PC (MP spec 3.6.2.2 virtual wire mode; KVM's and QEMU's APIC reset
    // do the same): the BSP's LINT0 passes the 8259's INTR (ExtINT, unmasked), so guests that never touch
    // the APIC get PIC interrupts as before.
    this.lapics[0].lvt[3] = DM.EXTINT << 8;
    this.ioapic = new IoApic(ioApicId(vmm.vcpus.length), (m) => this.deliver(m));
    const lapicDev: MmioDevice = {
      name: 'local APIC',
      read: (vcpu, off) => this.lapics[vcpu.id].read(off),
      write: (vcpu, off, val) => this.lapics[vcpu.id].write(off, val),
    };
    const ioapicDev: MmioDevice = {
      name: 'I/O APIC',
      read: (_v, off) => this.ioapic.mmioRead(off),
      write: (_v, off, val) => this.ioapic.mmioWrite(off, val),
    };
    vmm.mmio.register(LAPIC_BASE, LAPIC_SIZE, lapicDev);
    vmm.mmio.register(IOAPIC_BASE, IOAPIC_SIZE, ioapicDev);
  }

  /** Does APIC `l` match destination `dest` in the given mode (SDM 10.6.2.1 / 10.6.2.2)? */
  private matches(l: LocalApic, logical: boolean, dest: number): boolean {
    if (!l.hardwareEnabled) return false;
    if (!logical) return dest === 0xff || dest === l.id;
    const ldr = l.ldr >>> 24;
    if ((l.dfr >>> 28) === 0xf) return (ldr & dest) !== 0; // flat model
    // Cluster model: high nibble = cluster (0xF: all clusters), low nibble = members.
    return ((dest >> 4) === 0xf || (dest >> 4) === (ldr >> 4)) && (dest & ldr & 0xf) !== 0;
  }

  private targets(from: LocalApic | null, shorthand: number, logical: boolean, dest: number): LocalApic[] {
    switch (shorthand) {
      case 1: return from ? [from] : [];
      case 2: return this.lapics.filter((l) => l.hardwareEnabled);
      case 3: return this.lapics.filter((l) => l !== from && l.hardwareEnabled);
      default: return this.lapics.filter((l) => this.matches(l, logical, dest));
    }
  }

  private send(ts: LocalApic[], mode: number, vector: number, level: boolean): void {
    if (mode === DM.LOWEST) ts = ts.length ? [ts[0]] : ts;
    for (const l of ts) {
      const vcpu = this.vmm.vcpus[l.id];
      if (mode === DM.INIT) { this.stats.inits++; l.reset(); vcpu.pendingInit = true; }
      else if (mode === DM.SIPI) { this.stats.sipis++; if (vcpu.pendingSipi < 0) vcpu.pendingSipi = vector; }
      else l.accept(mode, vector, level);
    }
  }

  // ------------------------------------------------------------------ LapicHost
  sendIpi(from: LocalApic, lo: number, hi: number): void {
    const mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3, logical = (lo & (1 << 11)) !== 0;
    const levelTrig = (lo & (1 << 15)) !== 0, assert = (lo & (1 << 14)) !== 0;
    // INIT level de-assert (trigger level, level 0): a bus synchronization message, no effect (SDM 10.6.1).
    if (mode === DM.INIT && levelTrig && !assert) return;
    // Self shorthand is only for fixed interrupts (SDM Table 10-3); SMI and ExtINT IPIs are not modelled.
    if ((shorthand === 1 && mode !== DM.FIXED) || mode === DM.SMI || mode === DM.EXTINT || mode === 3) return;
    this.stats.ipis++;
    this.send(this.targets(from, shorthand, logical, hi >>> 24), mode, lo & 0xff, mode === DM.FIXED && levelTrig);
  }

  eoiBroadcast(vector: number): void { this.ioapic.eoi(vector); }

  kick(apic: LocalApic): void {
    const v = this.vmm.vcpus[apic.id];
    if (v && v.inGuest) v.vmx.kick();
  }

  /** A message from the I/O APIC. ExtINT entries are not modelled (the 8259 reaches CPUs through LINT0). */
  private deliver(m: ApicMessage): void {
    if (m.mode === DM.EXTINT || m.mode === DM.SMI) return;
    this.send(this.targets(null, 0, m.logical, m.dest), m.mode, m.vector, m.level);
  }

  /** An ISA device drove IRQ `irq`: the I/O APIC sees it on its GSI (the 8259 pair sees it too). */
  isaIrq(gsi: number, level: boolean): void { this.ioapic.setIrq(gsi, level); }

  lapicOf(vcpu: VCpu): LocalApic { return this.lapics[vcpu.id]; }
}
