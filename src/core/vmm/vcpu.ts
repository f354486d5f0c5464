// A virtual CPU as the hypervisor holds it (KVM's struct kvm_vcpu): the hardware logical processor
// it runs on, its VMCS, and the guest general-purpose registers while the guest is not running
// (vcpu->arch.regs: the VMCS holds RSP/RIP/RFLAGS but no other GPRs).
import { Cpu } from '../hw/cpu/cpu';
import { VmxCpu } from '../hw/vmx/vmxCpu';
import { Vmcs } from '../hw/vmx/vmcs';
import type { HostPhysMem } from '../hw/physMem';
import type { ExitEvent } from '../debug/debugApi';
import type { VcpuInterrupts } from './vcpuInterrupts';

export class VCpu {
  readonly cpu: Cpu;
  readonly vmx: VmxCpu;
  readonly vmcs = new Vmcs();
  /** Guest GPRs while in root operation (EAX..EDI; ESP mirrors GUEST_RSP). */
  readonly regs = new Int32Array(8);
  /** True while the processor is in VMX non-root operation for this vCPU. */
  inGuest = false;
  /** An exit taken but not yet handled (the debugger stopped on it). */
  pendingExit: ExitEvent | null = null;
  /** Exits by basic reason. */
  readonly exitCounts = new Float64Array(128);
  injected = 0;
  // ---- SMP and APIC (issues 4 and 5; saved by time/smpState.ts)
  /** An INIT / a SIPI (vector, -1: none) from the APIC bus, delivered to the processor at its next turn (smpScheduler.ts). */
  pendingInit = false;
  pendingSipi = -1;
  /** Halted or waiting for SIPI with nothing to deliver: the scheduler passes over it. */
  blocked = false;
  /** Under shadow paging: running its real-mode start-up on EPT (realModeHandoff.ts). */
  realModeOnEpt = false;
  /** Shadow paging: the shared shadow pages were zapped by another vCPU; reload the root before the next entry. */
  shadowReload = false;
  /** Guest accesses to emulated MMIO (local APIC, I/O APIC) by this vCPU. */
  mmioExits = 0;
  /** Started by a SIPI (application processors). */
  started = false;
  /** Its interrupt sources (local APIC, the PIC through LINT0), set by the VMM's APIC system. */
  irq: VcpuInterrupts | null = null;

  constructor(readonly id: number, mem: HostPhysMem) {
    this.cpu = new Cpu(id, mem);
    this.vmx = new VmxCpu(this.cpu);
    this.vmx.vmptrld(this.vmcs);
  }

  /** The "asm stub" around VMLAUNCH/VMRESUME: guest GPRs into the processor... */
  loadGuestGprs(): void { this.cpu.reg.set(this.regs); }
  /** ...and back out after the exit. */
  saveGuestGprs(): void { this.regs.set(this.cpu.reg); }
}
