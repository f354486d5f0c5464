// Multiprocessor state outside the CPUs, VMCSs and devices (invariant 4): the scheduler's position
// (whose turn, instructions into the turn) and per vCPU the APIC-bus signals not yet delivered, the
// blocked flag, the real-mode-on-EPT phase under shadow paging, MMIO access counts, the started flag
// and a pending shadow-root reload.
import type { Vmm } from '../vmm/vmm';
import type { Snapshotable, StateReader, StateWriter } from './stateIo';
import { StateFormatError } from './stateIo';

export const SMP_STATE_VERSION = 1;

export class SmpState implements Snapshotable {
  readonly stateName = 'smp';
  constructor(private readonly vmm: Vmm) {}
  saveState(w: StateWriter): void {
    const m = this.vmm;
    w.begin(this.stateName, SMP_STATE_VERSION);
    w.u32(m.sched.current); w.f64(m.sched.used); w.u32(m.sched.quantum); w.u32(m.sched.lastVcpu);
    w.f64(m.stats.mmioExits);
    w.u32(m.vcpus.length);
    for (const v of m.vcpus) {
      w.bool(v.pendingInit); w.i32(v.pendingSipi); w.bool(v.blocked); w.bool(v.realModeOnEpt); w.f64(v.mmioExits); w.bool(v.started); w.bool(v.shadowReload);
    }
    w.f64(m.apic.stats.ipis); w.f64(m.apic.stats.inits); w.f64(m.apic.stats.sipis);
  }
  loadState(r: StateReader): void {
    const m = this.vmm;
    r.begin(this.stateName, SMP_STATE_VERSION);
    m.sched.current = r.u32(); m.sched.used = r.f64(); m.sched.quantum = r.u32(); m.sched.lastVcpu = r.u32();
    m.stats.mmioExits = r.f64();
    const n = r.u32();
    if (n !== m.vcpus.length) throw new StateFormatError(`the saved state has ${n} vCPUs, this VM has ${m.vcpus.length} (launch with the same smp)`);
    for (const v of m.vcpus) {
      v.pendingInit = r.bool(); v.pendingSipi = r.i32(); v.blocked = r.bool(); v.realModeOnEpt = r.bool(); v.mmioExits = r.f64(); v.started = r.bool(); v.shadowReload = r.bool();
    }
    m.apic.stats.ipis = r.f64(); m.apic.stats.inits = r.f64(); m.apic.stats.sipis = r.f64();
  }
}
