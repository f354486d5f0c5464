// Interrupt injection and the idle vCPU, as KVM does it before every VM entry (vcpu_enter_guest:
// kvm_check_request / inject_pending_event / enable_irq_window; kvm_vcpu_block for HLT):
//  1. bring the timed devices up to the virtual clock (their deadlines may raise IRQ lines);
//  2. if the interrupt controller has an interrupt for the CPU and the guest can take it now
//     (GUEST_RFLAGS.IF = 1, no blocking by STI / MOV SS in GUEST_INTERRUPTIBILITY_INFO, no event
//     already queued), run the INTA cycle and inject the vector through VM_ENTRY_INTR_INFO_FIELD
//     (type 0, external interrupt; SDM 26.6); otherwise set "interrupt-window exiting" so the CPU
//     exits (reason 7) the moment the guest opens the window (SDM 26.7.5);
//  3. a vCPU halted by HLT (GUEST_ACTIVITY_STATE = HLT) is not entered until an interrupt can wake
//     it: virtual time skips to the next deadline of a device whose IRQ could get through; when none
//     can (IF = 0 with no NMI source, or no armed timer and nothing pending) the VM is idle for good;
//  4. arm the VMX-preemption timer (pin-based control, VMX_PREEMPTION_TIMER_VALUE; SDM 26.5.1) for
//     the next device deadline, so a guest in a long loop exits (reason 52) when a timer fires.
// Everything is a function of the instruction count: deterministic.
import type { StopEvent } from '../debug/debugApi';
import type { VCpu } from './vcpu';
import type { Vmm } from './vmm';
import { VMCS } from '../hw/vmx/vmcsFields';
import { CpuBasedControls as P, PinBasedControls as Pin } from '../hw/vmx/vmxControls';
import { VMX_MISC_PREEMPTION_TIMER_RATE } from '../hw/vmx/vmxCapabilities';
import { INTR_INFO_VALID } from '../hw/vmx/exitQualification';

/** The virtual interrupt controller as the hypervisor sees it (KVM's kvm_cpu_has_interrupt / kvm_cpu_get_interrupt). */
export interface InterruptController {
  /** The INT line to the CPU is asserted. */
  hasInterrupt(): boolean;
  /** The INTA cycle: the vector to deliver. */
  acknowledge(): number;
  /** Whether a new edge on `irq` could reach the CPU in the controller's current state. */
  canAccept(irq: number): boolean;
}

export const ACTIVITY_ACTIVE = 0, ACTIVITY_HLT = 1, ACTIVITY_WAIT_SIPI = 3;
/** prepareEntry's answer for a halted vCPU of a multiprocessor VM: not entered now; the scheduler moves on (smpScheduler.ts). */
export const BLOCKED: StopEvent = { kind: 'pause', vcpu: -1 };
const RFLAGS_IF = 0x200;
/** Upper bound on deadlines skipped for one idle vCPU before giving up (a guard; never reached when canAccept is exact). */
const MAX_IDLE_STEPS = 10_000;

/** The guest can take an external interrupt at VM entry (SDM 26.3.1.5 / 6.8.1). */
function interruptible(vcpu: VCpu): boolean {
  const v = vcpu.vmcs;
  return (v.read(VMCS.GUEST_RFLAGS) & RFLAGS_IF) !== 0 && (v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & 3) === 0 &&
    (v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) === 0;
}

/** Inject a pending interrupt if the guest can take it, else ask for an interrupt window. Returns true when injected. */
export function injectPendingInterrupt(vcpu: VCpu, ic: InterruptController): boolean {
  const v = vcpu.vmcs;
  let proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & ~P.CPU_BASED_INTR_WINDOW_EXITING;
  let injected = false;
  if (ic.hasInterrupt()) {
    if (interruptible(vcpu)) {
      const vector = ic.acknowledge() & 0xff;
      v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (vector | INTR_INFO_VALID) >>> 0); // type 0: external interrupt
      v.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE); // an injected interrupt wakes a halted CPU
      vcpu.injected++;
      injected = true;
    } else {
      proc |= P.CPU_BASED_INTR_WINDOW_EXITING;
    }
  }
  v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, proc >>> 0);
  return injected;
}

/** An NMI pending at the vCPU's local APIC is injected (type 2, vector 2; SDM 26.6) when no event is queued and NMIs are not blocked. */
function injectNmi(vcpu: VCpu): boolean {
  const irq = vcpu.irq!;
  const v = vcpu.vmcs;
  const proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & ~P.CPU_BASED_NMI_WINDOW_EXITING;
  if (!irq.nmiPending()) { if (proc !== v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL)) v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, proc >>> 0); return false; }
  if ((v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID) || (v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & 0xb)) {
    // Blocked (by NMI until the guest's IRET, or by STI / MOV SS): ask for an NMI window, as KVM's
    // enable_nmi_window does; it needs "virtual NMIs", which needs "NMI exiting" (SDM 26.2.1.1).
    v.write(VMCS.PIN_BASED_VM_EXEC_CONTROL, (v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL) | Pin.PIN_BASED_NMI_EXITING | Pin.PIN_BASED_VIRTUAL_NMIS) >>> 0);
    v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, (proc | P.CPU_BASED_NMI_WINDOW_EXITING) >>> 0);
    return false;
  }
  v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, proc >>> 0);
  irq.takeNmi();
  v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (2 | (2 << 8) | INTR_INFO_VALID) >>> 0);
  v.write(VMCS.GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
  vcpu.injected++;
  return true;
}

function idleForGood(vcpu: VCpu): StopEvent {
  const ifSet = (vcpu.vmcs.read(VMCS.GUEST_RFLAGS) & RFLAGS_IF) !== 0;
  return {
    kind: 'shutdown', vcpu: vcpu.id,
    text: `vCPU${vcpu.id} halted (HLT with interrupts ${ifSet ? 'enabled' : 'disabled'}) and no device can raise an interrupt: the VM is idle for good`,
  };
}

/** Program the VMX-preemption timer for the next device deadline (or turn it off). */
function armPreemptionTimer(vmm: Vmm, vcpu: VCpu): void {
  const v = vcpu.vmcs;
  const d = vmm.clock.nextDeadline();
  let pin = v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL);
  if (d === Infinity) {
    pin &= ~Pin.PIN_BASED_VMX_PREEMPTION_TIMER;
  } else {
    pin |= Pin.PIN_BASED_VMX_PREEMPTION_TIMER;
    // The timer counts TSC (= icount) >> X; exit at the first such tick at or after the deadline.
    const unit = 2 ** VMX_MISC_PREEMPTION_TIMER_RATE;
    const tsc = vcpu.cpu.icount;
    const delta = Math.max(0, d - vmm.clock.now());
    v.write(VMCS.VMX_PREEMPTION_TIMER_VALUE, Math.min(0xffffffff, Math.ceil((tsc + delta) / unit) - Math.floor(tsc / unit)));
  }
  v.write(VMCS.PIN_BASED_VM_EXEC_CONTROL, pin >>> 0);
}

/** Everything the hypervisor does about interrupts and time before entering `vcpu`. A stop when the vCPU can never wake. */
export function prepareEntry(vmm: Vmm, vcpu: VCpu): StopEvent | undefined {
  const clock = vmm.clock;
  clock.runDue();
  const v = vcpu.vmcs;
  // Waiting for SIPI: nothing is injected (SDM 26.3.1.5); the processor waits in the guest (smpScheduler.ts).
  if (v.read(VMCS.GUEST_ACTIVITY_STATE) === ACTIVITY_WAIT_SIPI) {
    v.write(VMCS.CPU_BASED_VM_EXEC_CONTROL, v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) & ~P.CPU_BASED_INTR_WINDOW_EXITING);
    return undefined;
  }
  const ic = vcpu.irq ?? vmm.irqChip;
  if (vcpu.irq && injectNmi(vcpu)) { armPreemptionTimer(vmm, vcpu); return undefined; }
  if (!ic) {
    if (v.read(VMCS.GUEST_ACTIVITY_STATE) === ACTIVITY_HLT) return idleForGood(vcpu);
    return undefined;
  }
  for (let k = 0; ; k++) {
    if (injectPendingInterrupt(vcpu, ic)) break;
    if (v.read(VMCS.GUEST_ACTIVITY_STATE) !== ACTIVITY_HLT) break;
    // Several vCPUs: the scheduler skips idle time only when every vCPU is blocked.
    if (vmm.vcpus.length > 1) { vcpu.blocked = true; return BLOCKED; }
    // Halted and nothing to deliver: skip to the next deadline that could wake it (QEMU's icount warp).
    if (!(v.read(VMCS.GUEST_RFLAGS) & RFLAGS_IF) || k >= MAX_IDLE_STEPS) return idleForGood(vcpu);
    const t = clock.nextDeadline((irq) => ic.canAccept(irq));
    if (t === Infinity) return idleForGood(vcpu);
    clock.advanceTo(t);
    clock.runDue();
  }
  armPreemptionTimer(vmm, vcpu);
  return undefined;
}

/** A device raised an interrupt while vCPUs may be in the guest (user input between run slices): kick them out. */
export function kickVcpus(vmm: Vmm): void {
  // Only a vCPU the interrupt can reach (the 8259's INTR goes to the vCPU whose LINT0 passes it).
  for (const vcpu of vmm.vcpus) if (vcpu.inGuest && (!vcpu.irq || vcpu.irq.hasInterrupt())) vcpu.vmx.kick();
}

/**
 * The interrupt and time state that lives outside the devices and the VMCS (invariant 4): the idle
 * time the clock skipped, and per vCPU the VMX-preemption timer deadline and a pending kick, which
 * the processor latched at VM entry. Restored after the vCPUs (it re-arms the boundary check).
 */
export class InterruptState {
  readonly stateName = 'irq';
  constructor(private readonly vmm: Vmm) {}
  saveState(w: import('../time/stateIo').StateWriter): void {
    w.begin(this.stateName, 1);
    w.f64(this.vmm.clock.idle);
    w.u32(this.vmm.vcpus.length);
    for (const v of this.vmm.vcpus) { w.f64(v.vmx.preemptAt === Infinity ? -1 : v.vmx.preemptAt); w.bool(v.vmx.kickPending); }
  }
  loadState(r: import('../time/stateIo').StateReader): void {
    r.begin(this.stateName, 1);
    this.vmm.clock.idle = r.f64();
    const n = r.u32();
    for (let k = 0; k < n; k++) {
      const v = this.vmm.vcpus[k];
      const at = r.f64(), kick = r.bool();
      if (!v) continue;
      v.vmx.preemptAt = at < 0 ? Infinity : at;
      v.vmx.kickPending = kick;
      // Look at the next boundary; instructionBoundary recomputes when to look again.
      v.cpu.vmxEventAt = v.cpu.nonRoot ? 0 : Infinity;
    }
  }
}
