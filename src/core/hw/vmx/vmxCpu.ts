// VMX operation of one logical processor, as hardware: the current-VMCS pointer, VM entry
// (SDM Vol. 3C chapter 26: checks, guest-state loading, event injection), VM exit (chapter 27:
// exit information, guest-state saving, host-state loading), the VMX non-root rules for which
// instructions and events exit (chapter 26.1 / 25.6), and the EPT walk (29.3).
// The hypervisor (src/core/vmm) drives it only through operations equivalent to the VMX instructions
// (vmptrld, vmread/vmwrite on the Vmcs, vmlaunch/vmresume), so guest software can later drive the
// same model itself.
import type { Cpu, NonRootHooks } from '../cpu/cpu';
import type { EptWalker } from '../cpu/mmu';
import type { Insn } from '../../isa/insn';
import { VM_EXIT, ACC_READ, ACC_WRITE, ACC_FETCH } from '../cpu/cpuSignals';
import { Vmcs } from './vmcs';
import { VMCS } from './vmcsFields';
import { ExitReason, exitReasonByName, VMX_EXIT_REASON_ENTRY_FAILURE } from './exitReasons';
import { CpuBasedControls as P, PinBasedControls as Pin, SecondaryExecControls as S, VmEntryControls as En, VmExitControls as Ex } from './vmxControls';
import { vmxCapabilityMsrs, VMX_MISC_PREEMPTION_TIMER_RATE } from './vmxCapabilities';
import { encodeIoQualification, encodeCrAccess, encodeEptViolation, encodeInterruptionInfo, IntrType, INTR_INFO_VALID } from './exitQualification';
import { AR_UNUSABLE, CS, SS, TR, LDTR } from '../cpu/regs';
import { armDebugRegisters } from '../cpu/debugExceptions';
import { wrmsrHw } from '../cpu/msrs';
import { firstFailure } from './entryChecks';
import { exitMsrLoad, exitMsrStore, vmxAbort, VMX_ABORT_LOAD_HOST_MSR_FAIL, VMX_ABORT_SAVE_GUEST_MSR_FAIL } from './exitMsrAreas';

/** Segment field encodings follow a pattern (SDM Appendix B): ES..TR at consecutive even encodings. */
const SEL = (s: number): number => 0x0800 + 2 * s;
const LIM = (s: number): number => 0x4800 + 2 * s;
const ARF = (s: number): number => 0x4814 + 2 * s;
const BASE = (s: number): number => 0x6806 + 2 * s;
const HOST_SEL = [VMCS.HOST_ES_SELECTOR, VMCS.HOST_CS_SELECTOR, VMCS.HOST_SS_SELECTOR, VMCS.HOST_DS_SELECTOR, VMCS.HOST_FS_SELECTOR, VMCS.HOST_GS_SELECTOR];

/** A failed VM entry: VMfailValid with an error number, or an entry-failure VM exit (reason 33/34). */
export interface EntryFailure {
  kind: 'vmfail' | 'exit';
  /** VM-instruction error number (vmfail) or basic exit reason (33 invalid guest state, 34 MSR loading). */
  code: number;
  /** Which check failed, on which field, in words. */
  check: string;
  field?: string;
}

export class VmxCpu implements NonRootHooks, EptWalker {
  vmxon = false;
  vmcs: Vmcs | null = null;
  readonly caps: Map<number, bigint> = vmxCapabilityMsrs();
  // Controls latched at VM entry (the hardware reads them from the VMCS when it enters).
  private pin = 0; private proc = 0; private proc2 = 0; private exitCtl = 0; private entryCtl = 0;
  private excBitmap = 0; private pfecMask = 0; private pfecMatch = 0;
  private cr0Mask = 0; private cr4Mask = 0; private cr0Shadow = 0; private cr4Shadow = 0;
  private eptRoot = 0;
  /** The APIC-access page (host-physical) when "virtualize APIC accesses" is 1, else -1 (SDM 29.4). */
  private apicAccessPage = -1;
  /** TSC_OFFSET latched at VM entry when "use TSC offsetting" is 1, else 0 (SDM 25.6.5). */
  tscOffset = 0;
  /** Last exit (for the hypervisor's convenience; the VMCS is the architectural record). */
  exitReason = 0;
  /** icount (= TSC) at which the VMX-preemption timer reaches zero (Infinity: not active). */
  preemptAt = Infinity;
  /** A host external interrupt arrived for this processor while in non-root operation (the VMM's "kick"). */
  kickPending = false;
  /** The event being injected by VM entry is being delivered (the exception bitmap does not apply to it). */
  private injecting = false;

  constructor(readonly cpu: Cpu) {}

  vmptrld(v: Vmcs): void { this.vmcs = v; }

  /**
   * The hypervisor changed EXCEPTION_BITMAP while this processor is paused in non-root operation
   * (between run slices). On hardware the VMM would do it between exits; re-latching is equivalent.
   */
  reloadExceptionBitmap(): void { if (this.vmcs) this.excBitmap = this.vmcs.read(VMCS.EXCEPTION_BITMAP); }

  /**
   * Time travel restored the processor's state (time/cpuState.ts): put it back in non-root operation
   * with the controls latched from the current VMCS (they cannot change while the guest runs: the
   * hypervisor writes them only between exits, and re-latches the exception bitmap when it does),
   * or in root operation. The TLB is flushed either way.
   */
  restoreOperation(nonRoot: boolean): void {
    const cpu = this.cpu;
    if (this.vmcs && this.vmcs.launchState === 'launched') cpu.vmx = this;
    if (nonRoot && this.vmcs) {
      this.latchControls(this.vmcs);
      cpu.nonRoot = true;
      cpu.mmu.ept = (this.proc & P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (this.proc2 & S.SECONDARY_EXEC_ENABLE_EPT) ? this : null;
    } else {
      cpu.nonRoot = false;
      cpu.mmu.ept = null;
    }
    cpu.mmu.flushAll();
  }

  /** The VPID of the current VMCS when "enable VPID" is on (SDM 25.6.2), else 0. */
  private vpid(): number {
    return (this.proc & P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (this.proc2 & S.SECONDARY_EXEC_ENABLE_VPID) && this.vmcs
      ? this.vmcs.read(VMCS.VIRTUAL_PROCESSOR_ID) & 0xffff : 0;
  }
  /** The VPID whose translations the TLB holds (0: none tagged; flushed at every entry and exit). Saved with the TLB in snapshot files (time/tlbState.ts). */
  tlbVpid = 0;

  /**
   * INVVPID in VMX root operation (SDM Vol. 3C 30.3 "INVVPID", 29.4.3.3): invalidate the linear and combined
   * translations tagged with `vpid` (default: the current VMCS's). Types: 0 individual address, 1 single
   * context, 2 all contexts, 3 single context retaining globals. The TLB holds one VPID's translations
   * (tlbVpid): another VPID's invalidation finds nothing to drop. Returns 0, or VM-instruction error 28
   * ("invalid operand to INVEPT/INVVPID") for a bad type or VPID 0 with types 0, 1, 3.
   */
  invvpid(type: number, linear: number, vpid = this.vpid()): number {
    if (type > 3 || (type !== 2 && vpid === 0 && this.vpid() !== 0)) return this.invError();
    const mmu = this.cpu.mmu;
    const mine = vpid === this.tlbVpid || this.tlbVpid === 0 || vpid === 0;
    if (type === 2) mmu.flushAll();
    else if (!mine) return 0;
    else if (type === 0) mmu.flushPage(linear);
    else if (type === 3) mmu.flushNonGlobal();
    else mmu.flushAll();
    return 0;
  }

  /**
   * INVEPT in VMX root operation (SDM Vol. 3C 30.3 "INVEPT", 29.4.3.1): type 1 single context drops the
   * guest-physical and combined translations derived from the EPTP `eptp` (the TLB's when it holds that
   * EPT's combined translations), type 2 all contexts drops every one. Returns 0, or error 28.
   */
  invept(type: number, eptp = 0): number {
    if (type !== 1 && type !== 2) return this.invError();
    if (type === 2 || (eptp & ~0xfff) === this.eptRoot) this.cpu.mmu.flushAll();
    return 0;
  }

  private invError(): number { if (this.vmcs) this.vmcs.write(VMCS.VM_INSTRUCTION_ERROR, 28); return 28; }

  // ---------------------------------------------------------------- VM entry (SDM chapter 26)
  /** VMLAUNCH (launch = true) or VMRESUME. Returns undefined on success (the CPU is in non-root operation). */
  vmentry(launch: boolean): EntryFailure | undefined {
    const v = this.vmcs;
    if (!v) return { kind: 'vmfail', code: 0, check: 'no current VMCS (VMfailInvalid)' };
    if (launch && v.launchState !== 'clear') return this.vmfail(v, 4, 'VMLAUNCH with a non-clear VMCS');
    if (!launch && v.launchState !== 'launched') return this.vmfail(v, 5, 'VMRESUME with a non-launched VMCS');
    // SDM 26.2: controls (VM-instruction error 7), then host state (8); 26.3.1: guest state (exit 33).
    const ctx = { caps: this.caps, memSize: this.cpu.mem.u8.length };
    const bad = firstFailure(v, ctx, 'control') ?? firstFailure(v, ctx, 'host');
    if (bad) return this.vmfail(v, bad.stage === 'control' ? 7 : 8, bad.text, bad.field);
    const guestBad = firstFailure(v, ctx, 'guest');
    if (guestBad) return this.entryFailureExit(v, ExitReason.INVALID_GUEST_STATE, guestBad.qualification ?? 0, guestBad.text, guestBad.field);
    this.latchControls(v);
    this.loadGuestState(v);
    // SDM 26.4: the VM-entry MSR-load area (16-byte entries: index, reserved, data), after the guest state.
    // A bad entry fails the entry with reason 34 and the entry's 1-based number as qualification; the
    // entries before it stay loaded and the processor loads the host state (26.8), saving no guest state.
    const msrBad = this.loadEntryMsrs(v);
    if (msrBad) {
      this.loadHostState(v);
      return this.entryFailureExit(v, ExitReason.MSR_LOAD_FAIL, msrBad, `VM-entry MSR-load entry ${msrBad} cannot be loaded (SDM 26.4)`, 'VM_ENTRY_MSR_LOAD_ADDR');
    }
    v.launchState = 'launched';
    const cpu = this.cpu;
    cpu.nonRoot = true;
    cpu.vmx = this;
    cpu.mmu.ept = (this.proc & P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (this.proc2 & S.SECONDARY_EXEC_ENABLE_EPT) ? this : null;
    // Without VPID every entry and exit flushes (SDM 29.4.3.1). With "enable VPID" and a nonzero VPID the
    // guest's translations are tagged and survive entries and exits (29.4.3.3): the host never makes
    // linear accesses through this TLB in this model, so one tag (the last VPID entered) is enough.
    if (this.vpid() === 0 || this.vpid() !== this.tlbVpid) cpu.mmu.flushAll();
    this.tlbVpid = this.vpid();
    this.armBoundaryEvents(v);
    this.injectEvent(v);
    return undefined;
  }

  private vmfail(v: Vmcs, error: number, check: string, field?: string): EntryFailure {
    v.write(VMCS.VM_INSTRUCTION_ERROR, error);
    return { kind: 'vmfail', code: error, check, field };
  }

  /** A VM-entry failure exit (SDM 26.8): basic reason 33 or 34 with bit 31 set, and the qualification of 27.8. */
  private entryFailureExit(v: Vmcs, reason: number, qualification: number, check: string, field?: string): EntryFailure {
    v.write(VMCS.VM_EXIT_REASON, (reason | VMX_EXIT_REASON_ENTRY_FAILURE) >>> 0);
    v.write(VMCS.EXIT_QUALIFICATION, qualification);
    return { kind: 'exit', code: reason, check, field };
  }

  /** Load the VM-entry MSR-load area through WRMSR semantics; 0 when every entry loaded, else the bad entry's number. */
  private loadEntryMsrs(v: Vmcs): number {
    const n = v.read(VMCS.VM_ENTRY_MSR_LOAD_COUNT);
    const base = v.read(VMCS.VM_ENTRY_MSR_LOAD_ADDR) >>> 0;
    const mem = this.cpu.mem;
    for (let k = 0; k < n; k++) {
      const at = base + 16 * k;
      const index = mem.read32(at as never) >>> 0, reserved = mem.read32((at + 4) as never);
      // SDM 26.4: reserved bits set, the FS/GS base MSRs, x2APIC MSRs, or a WRMSR that would #GP fail.
      if (reserved !== 0 || index === 0xc0000100 || index === 0xc0000101 || (index >>> 8) === 0x8) return k + 1;
      if (!wrmsrHw(this.cpu, index, mem.read32((at + 8) as never), mem.read32((at + 12) as never))) return k + 1;
    }
    return 0;
  }

  private latchControls(v: Vmcs): void {
    this.pin = v.read(VMCS.PIN_BASED_VM_EXEC_CONTROL);
    this.proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL);
    this.proc2 = this.proc & P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS ? v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) : 0;
    this.exitCtl = v.read(VMCS.VM_EXIT_CONTROLS);
    this.entryCtl = v.read(VMCS.VM_ENTRY_CONTROLS);
    this.excBitmap = v.read(VMCS.EXCEPTION_BITMAP);
    this.pfecMask = v.read(VMCS.PAGE_FAULT_ERROR_CODE_MASK);
    this.pfecMatch = v.read(VMCS.PAGE_FAULT_ERROR_CODE_MATCH);
    this.cr0Mask = v.read(VMCS.CR0_GUEST_HOST_MASK);
    this.cr4Mask = v.read(VMCS.CR4_GUEST_HOST_MASK);
    this.cr0Shadow = v.read(VMCS.CR0_READ_SHADOW);
    this.cr4Shadow = v.read(VMCS.CR4_READ_SHADOW);
    this.eptRoot = v.read(VMCS.EPT_POINTER) & ~0xfff;
    this.apicAccessPage = this.proc2 & S.SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES ? (v.read(VMCS.APIC_ACCESS_ADDR) & ~0xfff) >>> 0 : -1;
    this.tscOffset = this.proc & P.CPU_BASED_USE_TSC_OFFSETTING ? (v.read(VMCS.TSC_OFFSET_HIGH) | 0) * 0x100000000 + (v.read(VMCS.TSC_OFFSET) >>> 0) : 0;
  }

  /** SDM 26.3.2: load the guest-state area into the processor. */
  private loadGuestState(v: Vmcs): void {
    const cpu = this.cpu;
    cpu.cr0 = v.read(VMCS.GUEST_CR0) | 0;
    cpu.cr3 = v.read(VMCS.GUEST_CR3) | 0;
    cpu.cr4 = v.read(VMCS.GUEST_CR4) | 0;
    // "Load debug controls" (SDM 26.3.2.1): DR7 and IA32_DEBUGCTL from the guest-state area.
    if (this.entryCtl & En.VM_ENTRY_LOAD_DEBUG_CONTROLS) { cpu.dr[7] = v.read(VMCS.GUEST_DR7) | 0; cpu.debugCtl = v.read(VMCS.GUEST_IA32_DEBUGCTL) | 0; }
    cpu.reg[4] = v.read(VMCS.GUEST_RSP) | 0;
    cpu.eip = v.read(VMCS.GUEST_RIP) | 0;
    cpu.setEflags(v.read(VMCS.GUEST_RFLAGS));
    for (let s = 0; s < 8; s++) {
      cpu.setSegCache(s, v.read(SEL(s)), v.read(BASE(s)), v.read(LIM(s)), v.read(ARF(s)));
    }
    cpu.gdtrBase = v.read(VMCS.GUEST_GDTR_BASE) | 0; cpu.gdtrLimit = v.read(VMCS.GUEST_GDTR_LIMIT);
    cpu.idtrBase = v.read(VMCS.GUEST_IDTR_BASE) | 0; cpu.idtrLimit = v.read(VMCS.GUEST_IDTR_LIMIT);
    cpu.sysenterCs = v.read(VMCS.GUEST_SYSENTER_CS);
    cpu.sysenterEsp = v.read(VMCS.GUEST_SYSENTER_ESP) | 0;
    cpu.sysenterEip = v.read(VMCS.GUEST_SYSENTER_EIP) | 0;
    if (this.entryCtl & En.VM_ENTRY_LOAD_IA32_PAT) { cpu.patLo = v.read(VMCS.GUEST_IA32_PAT) | 0; cpu.patHi = v.read(VMCS.GUEST_IA32_PAT_HIGH) | 0; }
    if (this.entryCtl & En.VM_ENTRY_LOAD_IA32_EFER) cpu.efer = v.read(VMCS.GUEST_IA32_EFER) | 0;
    // CPL is SS.DPL after VM entry (SDM 26.3.2.2); in real mode (unrestricted guest) it is 0.
    cpu.cpl = (cpu.cr0 & 1) ? (cpu.segAr[SS] >> 5) & 3 : 0;
    cpu.activity = v.read(VMCS.GUEST_ACTIVITY_STATE);
    cpu.interruptibility = v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & 3;
    cpu.nmiBlocked = (v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & 8) !== 0; // bit 3: blocking by NMI
    cpu.insnEip = cpu.eip;
    armDebugRegisters(cpu);
    // PDPTEs (SDM 26.3.2.4): with PAE paging and "enable EPT" they come from the GUEST_PDPTEn fields
    // (the VMM keeps them current, as KVM's ept_load_pdptrs does); without EPT from guest memory at CR3.
    if ((cpu.cr0 & 0x80000000) && (cpu.cr4 & 0x20)) {
      if (this.proc2 & S.SECONDARY_EXEC_ENABLE_EPT) {
        for (let k = 0; k < 4; k++) {
          cpu.mmu.pdpte[2 * k] = v.read(VMCS.GUEST_PDPTR0 + 2 * k) | 0;
          cpu.mmu.pdpte[2 * k + 1] = v.read(VMCS.GUEST_PDPTR0 + 2 * k + 1) | 0;
        }
      } else {
        for (let k = 0; k < 8; k++) cpu.mmu.pdpte[k] = cpu.mem.read32((((cpu.cr3 & ~0x1f) >>> 0) + 4 * k) as never);
      }
    }
  }

  /** SDM 26.6: event injection through the guest IDT, after the guest state is loaded. */
  private injectEvent(v: Vmcs): void {
    const info = v.read(VMCS.VM_ENTRY_INTR_INFO_FIELD);
    if (!(info & INTR_INFO_VALID)) return;
    const cpu = this.cpu;
    const vector = info & 0xff, type = (info >> 8) & 7;
    const err = info & (1 << 11) ? v.read(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE) : -1;
    const software = type === IntrType.SOFTWARE_INTERRUPT || type === IntrType.SOFTWARE_EXCEPTION || type === IntrType.PRIVILEGED_SOFTWARE_EXCEPTION;
    const len = software ? v.read(VMCS.VM_ENTRY_INSTRUCTION_LEN) : 0;
    v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO_VALID);
    cpu.activity = 0;
    if (software) cpu.eip = (cpu.eip + len) | 0;
    // The injected event itself is not subject to the exception bitmap (SDM 27.6.1, "Vectoring of
    // injected events"); delivery may still exit (a nested fault hitting the bitmap) or triple-fault.
    this.injecting = true;
    cpu.injectType = type;
    try { cpu.deliverException(vector, err, len, software); } finally { this.injecting = false; cpu.injectType = -1; }
    // An injected NMI blocks further NMIs until the guest's IRET, as a delivered one does (SDM 26.6.1.2).
    if (type === IntrType.NMI) cpu.nmiBlocked = true;
  }

  // ---------------------------------------------------------------- events at instruction boundaries
  /**
   * After VM entry: arm the VMX-preemption timer (SDM 26.5.1: it counts down by one each time bit X of
   * the TSC changes, X = IA32_VMX_MISC[4:0]; the TSC is the instruction count) and tell the CPU when to
   * look at instruction boundaries: at once when interrupt-window exiting is on or a kick is pending.
   */
  private armBoundaryEvents(v: Vmcs): void {
    const cpu = this.cpu;
    if (this.pin & Pin.PIN_BASED_VMX_PREEMPTION_TIMER) {
      const unit = 2 ** VMX_MISC_PREEMPTION_TIMER_RATE;
      this.preemptAt = (Math.floor(cpu.icount / unit) + v.read(VMCS.VMX_PREEMPTION_TIMER_VALUE)) * unit;
    } else this.preemptAt = Infinity;
    if (!(this.pin & Pin.PIN_BASED_EXT_INTR_MASK)) this.kickPending = false;
    cpu.vmxEventAt = (this.proc & (P.CPU_BASED_INTR_WINDOW_EXITING | P.CPU_BASED_NMI_WINDOW_EXITING)) || this.kickPending ? 0 : this.preemptAt;
  }

  /**
   * Called by the CPU at an instruction boundary once `cpu.vmxEventAt` is reached. In priority order
   * (SDM 26.2 / 6.9): the VMX-preemption timer expired (exit 52); an external interrupt with
   * "external-interrupt exiting" (exit 1: the hypervisor kicked this processor); an open interrupt
   * window with "interrupt-window exiting" (exit 7: RFLAGS.IF = 1 and no blocking by STI or MOV SS,
   * SDM 26.7.5). Each exit is trap-like: GUEST_RIP is the next instruction.
   */
  instructionBoundary(cpu: Cpu): void {
    if (cpu.icount >= this.preemptAt) { cpu.insnEip = cpu.eip; this.exit(ExitReason.PREEMPTION_TIMER, 0); }
    if (this.kickPending) { this.kickPending = false; cpu.insnEip = cpu.eip; this.exit(ExitReason.EXTERNAL_INTERRUPT, 0); }
    // NMI window (exit 8, SDM 26.7.6): no virtual-NMI blocking (the guest's IRET ended it) and no
    // blocking by STI or MOV SS; it comes before the interrupt window (SDM 6.9 priorities).
    const nmiWindow = (this.proc & P.CPU_BASED_NMI_WINDOW_EXITING) !== 0;
    if (nmiWindow && !cpu.nmiBlocked && !(cpu.interruptibility & 3)) { cpu.insnEip = cpu.eip; this.exit(ExitReason.NMI_WINDOW, 0); }
    if (this.proc & P.CPU_BASED_INTR_WINDOW_EXITING) {
      if ((cpu.eflags & 0x200) && !(cpu.interruptibility & 3)) { cpu.insnEip = cpu.eip; this.exit(ExitReason.INTERRUPT_WINDOW, 0); }
      cpu.vmxEventAt = 0; // the window is still shut: look again at the next boundary
      return;
    }
    cpu.vmxEventAt = nmiWindow ? 0 : this.preemptAt;
  }

  /** A host interrupt for this logical processor (the VMM's kick): exits at the next boundary with external-interrupt exiting. */
  kick(): void {
    if (!this.cpu.nonRoot || !(this.pin & Pin.PIN_BASED_EXT_INTR_MASK)) return;
    this.kickPending = true;
    this.cpu.vmxEventAt = 0;
  }

  /**
   * An INIT or a start-up IPI from the local APIC reaches this processor between two instructions
   * (SDM Vol. 3C 25.2): in VMX non-root operation INIT always causes a VM exit (reason 3); a SIPI
   * causes one (reason 4, qualification = the vector, 27.2.1) only in the wait-for-SIPI activity state
   * and is otherwise discarded. In root operation INIT is blocked (the caller keeps it pending).
   * Returns true when the VM exit happened.
   */
  apicSignal(kind: 'init' | 'sipi', vector = 0): boolean {
    const cpu = this.cpu;
    if (!cpu.nonRoot || !this.vmcs) return false;
    if (kind === 'sipi' && cpu.activity !== 3) return false;
    cpu.insnEip = cpu.eip;
    try {
      this.exit(kind === 'init' ? ExitReason.INIT_SIGNAL : ExitReason.SIPI, kind === 'sipi' ? vector & 0xff : 0);
    } catch (e) {
      if (e !== VM_EXIT) throw e;
    }
    return true;
  }

  // ---------------------------------------------------------------- VM exit (SDM chapter 27)
  /**
   * Perform a VM exit: record the exit information, save the guest state, load the host state,
   * leave non-root operation, and unwind to the hypervisor (throws VM_EXIT).
   */
  exit(reason: number, qualification: number, extra?: { len?: number; info?: number; gla?: number; gpa?: number; intrInfo?: number; intrError?: number }): never {
    const v = this.vmcs!;
    const cpu = this.cpu;
    v.write(VMCS.VM_EXIT_REASON, reason);
    v.write(VMCS.EXIT_QUALIFICATION, qualification);
    // An exit while a software interrupt or exception is being delivered reports the length of the
    // INT n / INT3 / INTO (SDM 27.2.5), so the VMM can re-inject it.
    const vt = (cpu.vectoring >> 8) & 7;
    const vectoringSoft = (cpu.vectoring & INTR_INFO_VALID) !== 0 && (vt === IntrType.SOFTWARE_INTERRUPT || vt === IntrType.SOFTWARE_EXCEPTION || vt === IntrType.PRIVILEGED_SOFTWARE_EXCEPTION);
    v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, extra?.len ?? (vectoringSoft ? cpu.insn.length : 0));
    v.write(VMCS.VMX_INSTRUCTION_INFO, extra?.info ?? 0);
    v.write(VMCS.GUEST_LINEAR_ADDRESS, extra?.gla ?? 0);
    v.write(VMCS.GUEST_PHYSICAL_ADDRESS, extra?.gpa ?? 0);
    v.write(VMCS.GUEST_PHYSICAL_ADDRESS_HIGH, 0);
    v.write(VMCS.VM_EXIT_INTR_INFO, extra?.intrInfo ?? 0);
    v.write(VMCS.VM_EXIT_INTR_ERROR_CODE, extra?.intrError ?? 0);
    // An exit during event delivery reports the event (SDM 27.2.4); the VMM re-injects it.
    v.write(VMCS.IDT_VECTORING_INFO_FIELD, cpu.vectoring);
    // Defined only when the vectoring information is valid with an error code (SDM 27.2.4): else 0,
    // not the error code of some earlier delivery, which is no saved state (replay must match).
    v.write(VMCS.IDT_VECTORING_ERROR_CODE, (cpu.vectoring >>> 31) === 1 && (cpu.vectoring & 0x800) !== 0 ? cpu.vectoringError : 0);
    cpu.vectoring = 0;
    cpu.dbgHits = 0; // debug traps of an instruction that exited are the VMM's (it emulates the instruction)
    this.exitReason = reason;
    cpu.vmxEventAt = Infinity;
    if (this.exitCtl & Ex.VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) {
      const unit = 2 ** VMX_MISC_PREEMPTION_TIMER_RATE;
      v.write(VMCS.VMX_PREEMPTION_TIMER_VALUE, this.preemptAt === Infinity ? v.read(VMCS.VMX_PREEMPTION_TIMER_VALUE) : Math.max(0, this.preemptAt / unit - Math.floor(cpu.icount / unit)));
    }
    // Save guest state (27.3). RIP is the instruction that exited (fault-like exits restart it).
    v.write(VMCS.GUEST_CR0, cpu.cr0);
    v.write(VMCS.GUEST_CR3, cpu.cr3);
    v.write(VMCS.GUEST_CR4, cpu.cr4);
    // "Save debug controls" (SDM 27.3.1): DR7 and IA32_DEBUGCTL into the guest-state area.
    if (this.exitCtl & Ex.VM_EXIT_SAVE_DEBUG_CONTROLS) { v.write(VMCS.GUEST_DR7, cpu.dr[7]); v.write(VMCS.GUEST_IA32_DEBUGCTL, cpu.debugCtl); v.write(VMCS.GUEST_IA32_DEBUGCTL_HIGH, 0); }
    v.write(VMCS.GUEST_RSP, cpu.reg[4]);
    v.write(VMCS.GUEST_RIP, cpu.insnEip);
    v.write(VMCS.GUEST_RFLAGS, cpu.getEflags());
    for (let s = 0; s < 8; s++) {
      v.write(SEL(s), cpu.segSel[s]); v.write(BASE(s), cpu.segBase[s]); v.write(LIM(s), cpu.segLimit[s]); v.write(ARF(s), cpu.segAr[s]);
    }
    v.write(VMCS.GUEST_GDTR_BASE, cpu.gdtrBase); v.write(VMCS.GUEST_GDTR_LIMIT, cpu.gdtrLimit);
    v.write(VMCS.GUEST_IDTR_BASE, cpu.idtrBase); v.write(VMCS.GUEST_IDTR_LIMIT, cpu.idtrLimit);
    v.write(VMCS.GUEST_SYSENTER_CS, cpu.sysenterCs); v.write(VMCS.GUEST_SYSENTER_ESP, cpu.sysenterEsp); v.write(VMCS.GUEST_SYSENTER_EIP, cpu.sysenterEip);
    if (this.exitCtl & Ex.VM_EXIT_SAVE_IA32_PAT) { v.write(VMCS.GUEST_IA32_PAT, cpu.patLo); v.write(VMCS.GUEST_IA32_PAT_HIGH, cpu.patHi); }
    if (this.exitCtl & Ex.VM_EXIT_SAVE_IA32_EFER) v.write(VMCS.GUEST_IA32_EFER, cpu.efer);
    // PDPTEs are saved when EPT and PAE paging are in use (SDM 27.3.4).
    if ((this.proc2 & S.SECONDARY_EXEC_ENABLE_EPT) && (cpu.cr0 & 0x80000000) && (cpu.cr4 & 0x20)) {
      for (let k = 0; k < 8; k++) v.write(VMCS.GUEST_PDPTR0 + k, cpu.mmu.pdpte[k] >>> 0);
    }
    v.write(VMCS.GUEST_ACTIVITY_STATE, reason === ExitReason.TRIPLE_FAULT ? 2 : cpu.activity);
    v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, cpu.interruptibility | (cpu.nmiBlocked ? 8 : 0));
    // SDM 27.4: the VM-exit MSR-store area gets the guest's MSRs, then (27.5) the host state is loaded,
    // then (27.6) the VM-exit MSR-load area. A failure in either is a VMX abort (28.7).
    const storeBad = exitMsrStore(cpu, v);
    this.loadHostState(v);
    const loadBad = storeBad ? 0 : exitMsrLoad(cpu, v);
    if (storeBad || loadBad) vmxAbort(cpu, v, storeBad ? VMX_ABORT_SAVE_GUEST_MSR_FAIL : VMX_ABORT_LOAD_HOST_MSR_FAIL);
    throw VM_EXIT;
  }

  /** Load the host-state area (SDM 27.5): flat segments from the host selectors, host control registers. */
  private loadHostState(v: Vmcs): void {
    const cpu = this.cpu;
    cpu.cr0 = v.read(VMCS.HOST_CR0) | 0; cpu.cr3 = v.read(VMCS.HOST_CR3) | 0; cpu.cr4 = v.read(VMCS.HOST_CR4) | 0;
    cpu.dr[7] = 0x400; // SDM 27.5.1: DR7 = 400H and IA32_DEBUGCTL cleared on every VM exit
    cpu.debugCtl = 0;
    armDebugRegisters(cpu);
    cpu.reg[4] = v.read(VMCS.HOST_RSP) | 0;
    cpu.eip = v.read(VMCS.HOST_RIP) | 0;
    cpu.setEflags(2);
    for (let s = 0; s < 6; s++) {
      const sel = v.read(HOST_SEL[s]);
      const base = s === 4 ? v.read(VMCS.HOST_FS_BASE) : s === 5 ? v.read(VMCS.HOST_GS_BASE) : 0;
      cpu.setSegCache(s, sel, base, -1, sel === 0 && s !== CS ? AR_UNUSABLE : (s === CS ? 0xc09b : 0xc093));
    }
    cpu.setSegCache(TR, v.read(VMCS.HOST_TR_SELECTOR), v.read(VMCS.HOST_TR_BASE), 0x67, 0x8b);
    cpu.setSegCache(LDTR, 0, 0, 0, AR_UNUSABLE);
    cpu.gdtrBase = v.read(VMCS.HOST_GDTR_BASE) | 0; cpu.gdtrLimit = 0xffff;
    cpu.idtrBase = v.read(VMCS.HOST_IDTR_BASE) | 0; cpu.idtrLimit = 0xffff;
    cpu.sysenterCs = v.read(VMCS.HOST_IA32_SYSENTER_CS); cpu.sysenterEsp = v.read(VMCS.HOST_IA32_SYSENTER_ESP) | 0; cpu.sysenterEip = v.read(VMCS.HOST_IA32_SYSENTER_EIP) | 0;
    cpu.cpl = 0;
    cpu.activity = 0;
    cpu.interruptibility = 0;
    cpu.nonRoot = false;
    cpu.mmu.ept = null;
    if (this.tlbVpid === 0) cpu.mmu.flushAll();
  }

  // ---------------------------------------------------------------- non-root rules
  instruction(cpu: Cpu, i: Insn): void {
    const ex = i.def.exit!;
    const len = i.length;
    switch (ex.reason) {
      case 'CPUID': this.exit(ExitReason.CPUID, 0, { len });
      // falls through (exit never returns)
      case 'VMCALL': this.exit(ExitReason.VMCALL, 0, { len });
      case 'HLT': if (this.proc & P.CPU_BASED_HLT_EXITING) this.exit(ExitReason.HLT, 0, { len }); return;
      case 'INVD': this.exit(ExitReason.INVD, 0, { len });
      case 'INVLPG': if (this.proc & P.CPU_BASED_INVLPG_EXITING) this.exit(ExitReason.INVLPG, cpu.eaLinear(i, 1) >>> 0, { len }); return;
      case 'RDTSC': if (this.proc & P.CPU_BASED_RDTSC_EXITING) this.exit(ExitReason.RDTSC, 0, { len }); return;
      case 'RDPMC': if (this.proc & P.CPU_BASED_RDPMC_EXITING) this.exit(ExitReason.RDPMC, 0, { len }); return;
      case 'WBINVD': if (this.proc2 & S.SECONDARY_EXEC_WBINVD_EXITING) this.exit(ExitReason.WBINVD, 0, { len }); return;
      case 'PAUSE_INSTRUCTION': if (this.proc & P.CPU_BASED_PAUSE_EXITING) this.exit(ExitReason.PAUSE_INSTRUCTION, 0, { len }); return;
      case 'MWAIT_INSTRUCTION': if (this.proc & P.CPU_BASED_MWAIT_EXITING) this.exit(ExitReason.MWAIT_INSTRUCTION, 0, { len }); return;
      case 'MONITOR_INSTRUCTION': if (this.proc & P.CPU_BASED_MONITOR_EXITING) this.exit(ExitReason.MONITOR_INSTRUCTION, 0, { len }); return;
      case 'GDTR_IDTR': case 'LDTR_TR':
        if (this.proc2 & S.SECONDARY_EXEC_DESC) {
          // Qualification: the displacement of the memory operand; instruction info: the form (SDM 28.2.5).
          this.exit(ex.reason === 'GDTR_IDTR' ? ExitReason.GDTR_IDTR : ExitReason.LDTR_TR, i.mod === 3 ? 0 : i.disp >>> 0, { len, info: descInstructionInfo(i) });
        }
        return;
      case 'INVEPT': case 'INVVPID':
        // Always exit in VMX non-root operation (SDM 26.1.2): qualification = the displacement of the
        // memory operand (27.2.1), instruction information of Table 28-13 (type register in bits 31:28).
        this.exit(ex.reason === 'INVEPT' ? ExitReason.INVEPT : ExitReason.INVVPID, i.disp >>> 0, { len, info: invInstructionInfo(i) });
        // falls through (exit never returns)
      case 'DR_ACCESS':
        if (this.proc & P.CPU_BASED_MOV_DR_EXITING) this.exit(ExitReason.DR_ACCESS, (i.reg & 7) | (i.opcode === 0x0f21 ? 0x10 : 0) | (i.rm << 8), { len });
        return;
      default: {
        // VMX instructions executed by the guest always exit (SDM 26.1.2).
        const r = exitReasonByName(ex.reason);
        if (r !== undefined && r >= ExitReason.VMCLEAR && r <= ExitReason.VMXON) this.exit(r, i.hasModrm && i.mod !== 3 ? i.disp >>> 0 : 0, { len });
      }
    }
  }

  io(cpu: Cpu, i: Insn, port: number, size: number, isIn: boolean, isString: boolean): void {
    let exits: boolean;
    if (this.proc & P.CPU_BASED_USE_IO_BITMAPS) {
      exits = false;
      for (let p = port; p < port + size; p++) {
        const q = p & 0xffff;
        const bm = q < 0x8000 ? VMCS.IO_BITMAP_A : VMCS.IO_BITMAP_B;
        const base = this.vmcs!.read(bm) & ~0xfff;
        if (p > 0xffff || (cpu.mem.u8[base + ((q & 0x7fff) >> 3)] >> (q & 7)) & 1) { exits = true; break; }
      }
    } else exits = (this.proc & P.CPU_BASED_UNCOND_IO_EXITING) !== 0;
    if (!exits) return;
    const q = encodeIoQualification({ size, in: isIn, string: isString, rep: isString && i.rep !== 0, imm: i.opcode >= 0xe4 && i.opcode <= 0xe7, port });
    let gla = 0;
    if (isString) {
      const off = isIn ? cpu.reg[7] : cpu.reg[6];
      const seg = isIn ? 0 : (i.seg >= 0 ? i.seg : 3);
      gla = (cpu.segBase[seg] + (i.adSize === 32 ? off : off & 0xffff)) >>> 0;
    }
    // INS/OUTS instruction information (SDM 28.2.5, reported since IA32_VMX_BASIC bit 54): address size, segment.
    const info = isString ? ((i.adSize === 32 ? 1 : 0) << 7) | ((isIn ? 0 : (i.seg >= 0 ? i.seg : 3)) << 15) : 0;
    this.exit(ExitReason.IO_INSTRUCTION, q, { len: i.length, gla, info });
  }

  crWrite(cpu: Cpu, i: Insn, cr: number, value: number): number {
    const type = i.opcode === 0x0f06 ? 2 : i.opcode === 0x0f01 ? 3 : 0;
    if (cr === 0 || cr === 4) {
      const mask = cr === 0 ? this.cr0Mask : this.cr4Mask;
      const shadow = cr === 0 ? this.cr0Shadow : this.cr4Shadow;
      let exits = ((value ^ shadow) & mask) !== 0;
      if (type === 2) exits = (mask & 8) !== 0 && (shadow & 8) !== 0; // CLTS (SDM 26.1.3)
      if (type === 3) exits = ((mask & 0xf & (value ^ shadow)) !== 0) || ((mask & 1) !== 0 && (shadow & 1) === 0 && (value & 1) !== 0);
      if (exits) {
        this.exit(ExitReason.CR_ACCESS, encodeCrAccess({ cr, accessType: type, lmswMemory: type === 3 && i.mod !== 3, gpr: type === 0 ? i.rm : 0, lmswData: type === 3 ? value & 0xffff : 0 }), { len: i.length, gla: type === 3 && i.mod !== 3 ? cpu.eaLinear(i, 2) >>> 0 : 0 });
      }
      const real = cr === 0 ? cpu.cr0 : cpu.cr4;
      return (value & ~mask) | (real & mask);
    }
    if (cr === 3 && (this.proc & P.CPU_BASED_CR3_LOAD_EXITING)) {
      const v = this.vmcs!;
      const n = v.read(VMCS.CR3_TARGET_COUNT);
      let hit = false;
      for (let k = 0; k < n; k++) if (v.read(VMCS.CR3_TARGET_VALUE0 + 2 * k) === value >>> 0) hit = true;
      if (!hit) this.exit(ExitReason.CR_ACCESS, encodeCrAccess({ cr: 3, accessType: 0, lmswMemory: false, gpr: i.rm, lmswData: 0 }), { len: i.length });
    }
    return value;
  }

  crRead(_cpu: Cpu, i: Insn, cr: number, value: number): number {
    if (cr === 3 && (this.proc & P.CPU_BASED_CR3_STORE_EXITING)) {
      this.exit(ExitReason.CR_ACCESS, encodeCrAccess({ cr: 3, accessType: 1, lmswMemory: false, gpr: i.rm, lmswData: 0 }), { len: i.length });
    }
    // Reads of host-owned bits return the read shadow (SDM 26.3 "MOV from CR0/CR4", SMSW).
    if (cr === 0) return (value & ~this.cr0Mask) | (this.cr0Shadow & this.cr0Mask);
    if (cr === 4) return (value & ~this.cr4Mask) | (this.cr4Shadow & this.cr4Mask);
    return value;
  }

  msr(cpu: Cpu, i: Insn, write: boolean): void {
    const msr = cpu.reg[1] >>> 0;
    let exits = true;
    if (this.proc & P.CPU_BASED_USE_MSR_BITMAPS) {
      // MSR bitmap layout (SDM 25.6.9): read-low, read-high, write-low, write-high, 1 KiB each.
      const base = this.vmcs!.read(VMCS.MSR_BITMAP) & ~0xfff;
      let off = -1;
      if (msr <= 0x1fff) off = (write ? 2048 : 0) + (msr >> 3);
      else if (msr >= 0xc0000000 && msr <= 0xc0001fff) off = (write ? 3072 : 1024) + ((msr - 0xc0000000) >> 3);
      exits = off < 0 || ((cpu.mem.u8[base + off] >> (msr & 7)) & 1) === 1;
    }
    if (exits) this.exit(write ? ExitReason.MSR_WRITE : ExitReason.MSR_READ, 0, { len: i.length });
  }

  exception(cpu: Cpu, vector: number, errorCode: number, hasError: boolean, insnLength: number, software: boolean): void {
    if (this.injecting) { this.injecting = false; return; }
    if (!(cpu.cr0 & 1)) hasError = false; // real mode: no error codes (SDM 20.1.4), none reported (27.2.2)
    let type: number = IntrType.HARDWARE_EXCEPTION;
    if (software) {
      if (vector === 3 || vector === 4) type = IntrType.SOFTWARE_EXCEPTION;
      else if (vector === 1 && insnLength === 1) type = IntrType.PRIVILEGED_SOFTWARE_EXCEPTION;
      else return; // INT n: software interrupts are not subject to the exception bitmap
    } else if (vector === 2) type = IntrType.NMI;
    if (type !== IntrType.NMI && !((this.excBitmap >>> vector) & 1)) return;
    if (vector === 14 && !software) {
      // #PF: the bitmap bit is inverted unless (error code & mask) == match (SDM 25.6.3).
      const match = (errorCode & this.pfecMask) === this.pfecMatch;
      if (((this.excBitmap >> 14) & 1) === 1 ? !match : match) return;
    }
    if (software) cpu.eip = cpu.insnEip;
    this.exit(ExitReason.EXCEPTION_NMI, vector === 14 && !software ? cpu.pfAddress >>> 0 : 0, {
      len: software ? insnLength : 0,
      intrInfo: encodeInterruptionInfo(vector, type, hasError),
      intrError: hasError ? errorCode : 0,
    });
  }

  /**
   * A task switch in VMX non-root operation always exits (SDM 26.1.2), after the gate and privilege
   * checks (25.4.2): reason 9, qualification = new TSS selector | source << 30 (Table 27-2; source 0
   * CALL, 1 IRET, 2 JMP, 3 task gate in the IDT). Fault-like: GUEST_RIP is the instruction (or the
   * event's return address); the instruction length is reported for CALL/IRET/JMP and INT n.
   */
  taskSwitch(cpu: Cpu, sel: number, source: number): never {
    const vt = (cpu.vectoring >> 8) & 7;
    const viaSoftInt = source === 3 && (vt === IntrType.SOFTWARE_INTERRUPT || vt === IntrType.SOFTWARE_EXCEPTION || vt === IntrType.PRIVILEGED_SOFTWARE_EXCEPTION);
    this.exit(ExitReason.TASK_SWITCH, ((sel & 0xffff) | (source << 30)) >>> 0, { len: source !== 3 || viaSoftInt ? cpu.insn.length : 0 });
  }

  tripleFault(_cpu: Cpu): never {
    this.exit(ExitReason.TRIPLE_FAULT, 0);
  }

  // ---------------------------------------------------------------- EPT (SDM 29.3)
  translateGpa(gpa: number, access: number, gla: number, glaValid: boolean, isFinal: boolean): number {
    const mem = this.cpu.mem;
    let table = this.eptRoot;
    let perms = 7;
    // 4-level walk: PML4 (bits 47:39, always 0 for a 32-bit GPA), PDPT, PD, PT.
    for (let level = 4; level >= 1; level--) {
      const shift = 12 + 9 * (level - 1);
      const idx = level === 4 ? 0 : (gpa >>> shift) & 511;
      const at = table + idx * 8;
      const lo = mem.read32(at as never), hi = mem.read32((at + 4) as never);
      const p = lo & 7;
      perms &= p;
      if (p === 0) return this.eptViolation(gpa, access, gla, glaValid, isFinal, 0);
      if ((p & 3) === 2 || hi !== 0) this.eptMisconfig(gpa);
      const large = (lo & 0x80) !== 0 && (level === 2 || level === 3);
      if (level === 1 || large) {
        const pageMask = level === 1 ? 0xfff : level === 2 ? 0x1fffff : 0x3fffffff;
        const hpa = ((lo & ~pageMask) | (gpa & pageMask)) >>> 0;
        const need = access === ACC_WRITE ? 2 : access === ACC_FETCH ? 4 : 1;
        if (!(perms & need)) return this.eptViolation(gpa, access, gla, glaValid, isFinal, perms);
        if (!mem.contains(hpa & ~0xfff, 4096)) this.eptMisconfig(gpa);
        // "Virtualize APIC accesses" (SDM 29.4.1): a linear access whose translation (through the EPT)
        // reaches the APIC-access page is an APIC-access VM exit (44), fault-like, instead of the access.
        // Qualification (Table 28-6): the page offset in bits 11:0, the access type in bits 15:12.
        if (isFinal && ((hpa & ~0xfff) >>> 0) === this.apicAccessPage) {
          const type = this.cpu.vectoring & INTR_INFO_VALID ? 3 : access === ACC_WRITE ? 1 : access === ACC_FETCH ? 2 : 0;
          this.exit(ExitReason.APIC_ACCESS, (hpa & 0xfff) | (type << 12), {});
        }
        return hpa;
      }
      table = lo & ~0xfff;
      if (!mem.contains(table, 4096)) this.eptMisconfig(gpa);
    }
    return this.eptMisconfig(gpa);
  }

  private eptViolation(gpa: number, access: number, gla: number, glaValid: boolean, isFinal: boolean, perms: number): never {
    const q = encodeEptViolation({
      read: access === ACC_READ, write: access === ACC_WRITE, fetch: access === ACC_FETCH,
      readable: (perms & 1) !== 0, writable: (perms & 2) !== 0, executable: (perms & 4) !== 0, userExecutable: false,
      glaValid, translation: glaValid && isFinal, nmiUnblocking: false,
    });
    this.exit(ExitReason.EPT_VIOLATION, q, { gpa: gpa >>> 0, gla: glaValid ? gla >>> 0 : 0 });
  }

  private eptMisconfig(gpa: number): never {
    this.exit(ExitReason.EPT_MISCONFIG, 0, { gpa: gpa >>> 0 });
  }
}

/** VM-exit instruction information for INVEPT / INVVPID (SDM Table 28-13): memory operand and the type register (31:28). */
function invInstructionInfo(i: Insn): number {
  let info = (i.adSize === 32 ? 1 : 0) << 7;
  info |= (i.seg >= 0 ? i.seg : i.defaultSeg) << 15;
  info |= i.index >= 0 ? (i.index << 18) | (Math.log2(i.scale) & 3) : 1 << 22;
  info |= i.base >= 0 ? i.base << 23 : 1 << 27;
  info |= (i.reg & 15) << 28;
  return info >>> 0;
}

/** VM-exit instruction information for descriptor-table exits (SDM Table 28-10/28-11), the parts this model reports. */
function descInstructionInfo(i: Insn): number {
  const ident = i.opcode === 0x0f01 ? i.reg : i.reg; // 0 SGDT/SLDT, 1 SIDT/STR, 2 LGDT/LLDT, 3 LIDT/LTR
  let info = (ident & 3) << 28;
  info |= (i.adSize === 32 ? 1 : 0) << 7;
  info |= (i.opSize === 32 ? 1 : 0) << 11;
  if (i.mod === 3) info |= (1 << 10) | (i.rm << 3);
  else {
    info |= (i.seg >= 0 ? i.seg : i.defaultSeg) << 15;
    info |= i.index >= 0 ? (i.index << 18) | ((Math.log2(i.scale) & 3)) : 1 << 22;
    info |= i.base >= 0 ? i.base << 23 : 1 << 27;
  }
  return info >>> 0;
}

export { Pin, ACC_READ };
