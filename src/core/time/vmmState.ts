// The hypervisor's own state as components (invariant 4): per vCPU its VMCS and its bookkeeping
// (saved guest GPRs, in-guest flag, an exit taken but not handled, exit counts), and the VMM's
// allocator position, EPT statistics and exit-log position. Host memory (guest RAM, EPT tables,
// I/O bitmaps) is saved separately, page by page (checkpoints.ts, snapshot.ts).
import type { VCpu } from '../vmm/vcpu';
import type { Vmm } from '../vmm/vmm';
import { CpuState } from './cpuState';
import { SmpState } from './smpState';
import { restoreVmcsInto, saveVmcs } from '../hw/vmx/vmcs';
import type { ExitEvent } from '../debug/debugApi';
import { StateFormatError, type Snapshotable, type StateReader, type StateWriter } from './stateIo';

export const VMCS_STATE_VERSION = 1;
export const VCPU_STATE_VERSION = 1;
export const VMM_STATE_VERSION = 1;

export class VmcsState implements Snapshotable {
  readonly stateName: string;
  constructor(private readonly vcpu: VCpu) { this.stateName = `vmcs${vcpu.id}`; }
  saveState(w: StateWriter): void {
    w.begin(this.stateName, VMCS_STATE_VERSION);
    w.u32s(saveVmcs(this.vcpu.vmcs));
  }
  loadState(r: StateReader): void {
    r.begin(this.stateName, VMCS_STATE_VERSION);
    const data = new Uint32Array(saveVmcs(this.vcpu.vmcs).length);
    r.u32sInto(data);
    try {
      restoreVmcsInto(this.vcpu.vmcs, data);
    } catch (e) {
      throw new StateFormatError(e instanceof Error ? e.message : String(e));
    }
  }
}

/** KVM's struct kvm_vcpu bookkeeping. Loaded after the CPU and the VMCS (it re-latches VMX operation). */
export class VCpuState implements Snapshotable {
  readonly stateName: string;
  constructor(private readonly vcpu: VCpu) { this.stateName = `vcpu${vcpu.id}`; }
  saveState(w: StateWriter): void {
    const v = this.vcpu;
    w.begin(this.stateName, VCPU_STATE_VERSION);
    w.i32s(v.regs);
    w.bool(v.inGuest);
    w.str(v.pendingExit ? JSON.stringify(v.pendingExit) : '');
    w.bytes(new Uint8Array(v.exitCounts.buffer, v.exitCounts.byteOffset, v.exitCounts.byteLength));
    w.f64(v.injected);
    w.bool(v.vmx.vmxon);
    w.i32(v.vmx.exitReason);
  }
  loadState(r: StateReader): void {
    const v = this.vcpu;
    r.begin(this.stateName, VCPU_STATE_VERSION);
    r.i32sInto(v.regs);
    v.inGuest = r.bool();
    const pe = r.str();
    v.pendingExit = pe ? JSON.parse(pe) as ExitEvent : null;
    const counts = r.bytes();
    if (counts.length !== v.exitCounts.byteLength) throw new StateFormatError(`vcpu exit counts: ${counts.length} bytes, expected ${v.exitCounts.byteLength}`);
    new Uint8Array(v.exitCounts.buffer, v.exitCounts.byteOffset, v.exitCounts.byteLength).set(counts);
    v.injected = r.f64();
    v.vmx.vmxon = r.bool();
    v.vmx.exitReason = r.i32();
    v.vmx.restoreOperation(v.cpu.nonRoot);
  }
}

export class VmmState implements Snapshotable {
  readonly stateName = 'vmm';
  constructor(private readonly vmm: Vmm) {}
  saveState(w: StateWriter): void {
    const m = this.vmm;
    w.begin(this.stateName, VMM_STATE_VERSION);
    w.u32(m.host.size);
    w.u32(m.host.allocated);
    w.f64(m.ept.mapped); w.f64(m.ept.tablePages); w.f64(m.stats.eptMaps);
    m.exitLog.saveState(w);
  }
  loadState(r: StateReader): void {
    const m = this.vmm;
    r.begin(this.stateName, VMM_STATE_VERSION);
    const size = r.u32();
    if (size !== m.host.size) throw new StateFormatError(`host memory is ${size} bytes in the saved state, ${m.host.size} in this VM (launch with the same "memory")`);
    m.host.restoreAllocated(r.u32());
    m.ept.mapped = r.f64(); m.ept.tablePages = r.f64(); m.stats.eptMaps = r.f64();
    m.exitLog.loadState(r);
  }
}

/** Components of the hypervisor and its machine, in restore order. */
export function vmmComponents(vmm: Vmm): Snapshotable[] {
  const out: Snapshotable[] = [];
  for (const v of vmm.vcpus) out.push(new CpuState(v.cpu), new VmcsState(v), new VCpuState(v));
  out.push(new VmmState(vmm));
  if (vmm.shadow) out.push(vmm.shadow); // after the host allocator: the shadow MMU's page pool lives in it
  for (const d of vmm.ports.devices) if ('saveState' in d) out.push(d as unknown as Snapshotable);
  // Issues 4/5: the local APICs, the I/O APIC and the scheduler with the vCPUs' SMP bookkeeping.
  out.push(...vmm.apic.lapics, vmm.apic.ioapic, new SmpState(vmm));
  return out;
}
