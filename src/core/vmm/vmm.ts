// The hypervisor, written as KVM is: it owns guest memory (memslots) and its EPT, the device buses,
// one VMCS per vCPU, and the run loop that enters the guest, takes VM exits, dispatches them through
// the exit-handler table and resumes.
import { HostPhysMem } from '../hw/physMem';
import { GuestMemory } from './memslots';
import { Ept } from './ept';
import { ShadowMmu, type ShadowSync } from './shadow/shadowMmu';
import { VCpu } from './vcpu';
import { setupShadowVmcs, setupVmcs, type BootState } from './vmcsSetup';
import { EXIT_HANDLERS } from './exitHandlers';
import { VirtualMsrs } from './virtualMsrs';
import { PortBus } from '../devices/portBus';
import { DebugExit, DEBUG_EXIT_PORT } from '../devices/debugExit';
import { ExitLog } from '../time/exitLog';
import { RUN_BREAKPOINT, RUN_BUDGET, RUN_HALTED, RUN_INSN_STOP, RUN_SHUTDOWN, RUN_VMEXIT, RUN_WATCH } from '../hw/cpu/cpu';
import { VM_EXIT } from '../hw/cpu/cpuSignals';
import { VMCS } from '../hw/vmx/vmcsFields';
import { exitReasonName, basicExitReason } from '../hw/vmx/exitReasons';
import { decodeVmcsExit } from '../hw/vmx/exitQualification';
import type { ExitEvent, StopEvent } from '../debug/debugApi';
import { Decoder } from '../isa/decoder';
import { Insn } from '../isa/insn';
import { gvaToGpa } from './guestVirt';
import { VirtualClock } from '../devices/virtualClock';
import { BLOCKED, prepareEntry, type InterruptController } from './irqInjection';
import { MmioBus } from './mmioBus';
import { ApicSystem } from './apicBus';
import { VcpuInterrupts } from './vcpuInterrupts';
import { loadRealModeState } from './handlers/handleInitSipi';
import { ActivityState } from '../hw/vmx/vmxControls';
import { SmpScheduler } from './smpScheduler';
import type { Snapshotable } from '../time/stateIo';
import { vmmComponents } from '../time/vmmState';
import { entryFailureExit } from '../debug/entryFailure';
import { allocMsrBitmap, applyExitPolicy, type OptionalExit } from './exitPolicy';
import { mapApicAccessPage } from './handlers/handleApicAccess';

export interface VmmConfig {
  memMiB: number; smp: number;
  /** Memory virtualization: EPT (default) or shadow page tables with a sync policy (shadow/shadowMmu.ts). */
  mmu?: 'ept' | 'shadow'; shadowSync?: ShadowSync;
  /** Most host pages the shadow tables may use (default 1024); the cache is zapped when they run out. */
  shadowPages?: number;
  /** Instructions per scheduling turn with several vCPUs (default smpScheduler.ts DEFAULT_QUANTUM). */
  quantum?: number;
  /** Optional VM exits to turn on besides the default policy (exitPolicy.ts): rdtsc, pause, desc. */
  vmxExits?: readonly OptionalExit[];
}

/** Decides whether the debugger stops at an exit (returns the filter id) — set by the Vm facade. */
export type ExitFilterFn = (exit: ExitEvent) => string | undefined;

export class Vmm {
  readonly host: HostPhysMem;
  readonly memory: GuestMemory;
  readonly ept: Ept;
  readonly ports = new PortBus();
  readonly debugExit = new DebugExit();
  readonly vcpus: VCpu[] = [];
  readonly exitLog = new ExitLog();
  readonly msrs = new VirtualMsrs();
  readonly stats = { eptMaps: 0, mmioExits: 0 };
  /** Guest-physical MMIO regions the VMM emulates (the local and I/O APIC pages). */
  readonly mmio = new MmioBus();
  /** Local APICs (one per vCPU), the I/O APIC and the APIC bus (apicBus.ts). */
  readonly apic: ApicSystem;
  /** Round-robin scheduler of the vCPUs (smpScheduler.ts); quantum from VmmConfig.quantum. */
  readonly sched: SmpScheduler;
  /** The shadow MMU when the VM runs with shadow page tables (launch `mmu: "shadow"`), else null (EPT). */
  readonly shadow: ShadowMmu | null;
  /**
   * Guest time: the instructions retired by all vCPUs plus skipped idle time (devices/virtualClock.ts;
   * QEMU's icount in round-robin mode counts the same way). With one vCPU it is that vCPU's icount.
   */
  readonly clock = new VirtualClock(() => { let n = 0; for (const v of this.vcpus) n += v.cpu.icount; return n; });
  /** The virtual interrupt controller (the PC's 8259A pair), set by the machine; null: no interrupts. */
  irqChip: InterruptController | null = null;
  /** A device asked to stop the VM (the 8042 reset line): the reason, shown to the user. */
  stopRequest: string | null = null;
  /** A host page of 0xff bytes mapped read-only where the guest reads unbacked guest-physical memory. */
  readonly emptyBusPage: number;
  private readonly ioBitmaps: [number, number];
  exitFilter: ExitFilterFn = () => undefined;
  /** The stop for Cpu.insnStop (a privileged / sensitive instruction filter matched); set with it (debug/insnStopHook.ts). */
  insnStopEvent: ((vcpu: VCpu) => StopEvent) | null = null;
  /** After an exit's handler, before the next entry: the debugger's stop on an exception the VMM is about to inject (debug/injectedExceptions.ts). */
  afterExitHandled: ((vcpu: VCpu, exit: ExitEvent) => StopEvent | undefined) | null = null;
  /** Called for every exit (the CLI's `--trace exits`); null when nobody listens. */
  exitTrace: ((e: ExitEvent) => void) | null = null;
  /** The paravirtual BIOS (machine/firmware): serves a VMCALL from a BIOS stub; false when it is not one. */
  firmwareCall: ((vcpu: VCpu) => StopEvent | undefined | false) | null = null;
  /** Hypervisor console output (HC_CONSOLE_PUTC). */
  consoleOut: (byte: number) => void = () => undefined;
  private readonly decoder = new Decoder();
  private readonly scratch = new Insn();

  constructor(cfg: VmmConfig) {
    const ram = cfg.memMiB * 1024 * 1024;
    // Host memory: guest RAM plus room for EPT tables, bitmaps and (issue 4) shadow page tables.
    this.host = new HostPhysMem(ram + 8 * 1024 * 1024);
    this.memory = new GuestMemory(this.host);
    this.memory.addSlot(0, ram);
    this.ept = new Ept(this.host);
    this.emptyBusPage = this.host.allocPages(1);
    this.host.u8.fill(0xff, this.emptyBusPage, this.emptyBusPage + 4096);
    const a = this.host.allocPages(1), b = this.host.allocPages(1);
    this.host.u8.fill(0xff, a, a + 4096); // every port exits: each device access is a visible VM exit
    this.host.u8.fill(0xff, b, b + 4096);
    this.ioBitmaps = [a, b];
    this.ports.register(this.debugExit, DEBUG_EXIT_PORT, 4);
    this.shadow = cfg.mmu === 'shadow' ? new ShadowMmu(this.host, this.memory, this.emptyBusPage, cfg.shadowSync ?? 'lazy', cfg.shadowPages) : null;
    for (let k = 0; k < cfg.smp; k++) this.vcpus.push(new VCpu(k, this.host));
    this.apic = new ApicSystem(this);
    if (this.shadow) this.shadow.isMmio = (gpa) => this.mmio.find(gpa) !== undefined;
    // Several vCPUs share the shadow page cache: a zap by one invalidates the roots of all (KVM's
    // kvm_mmu_zap_all + KVM_REQ_MMU_RELOAD): flush their TLBs and make them exit (kick) and reload.
    if (this.shadow && cfg.smp > 1) {
      this.shadow.onZapAll = () => {
        for (const v of this.vcpus) {
          v.shadowReload = true;
          v.cpu.mmu.flushAll();
          if (v.inGuest) v.vmx.kick();
        }
      };
    }
    this.sched = new SmpScheduler(this, cfg.quantum);
    for (const v of this.vcpus) v.irq = new VcpuInterrupts(this.apic.lapics[v.id], this.apic.ioapic, () => this.irqChip);
    this.msrBitmap = allocMsrBitmap(this.host);
    this.vmxExits = cfg.vmxExits ?? [];
    if (this.vmxExits.includes('apic') && !this.shadow) this.apicAccessPage = mapApicAccessPage(this);
  }
  /** The APIC-access page with `vmxExits: ["apic"]` under EPT (exitPolicy.ts), else -1. */
  readonly apicAccessPage: number = -1;
  /** The MSR bitmap page shared by the vCPUs (exitPolicy.ts) and the optional exits turned on. */
  readonly msrBitmap: number;
  readonly vmxExits: readonly OptionalExit[];

  /** Decode the guest instruction at GUEST_RIP with the one opcode table (the VMM's emulator), or null. */
  decodeAt(vcpu: VCpu): Insn | null {
    return this.instructionLengthAt(vcpu) > 0 ? this.scratch : null;
  }

  /**
   * Deliver INIT / SIPI signals the APIC bus queued for `vcpu` (apicBus.ts): at its turn, between two
   * of its instructions, as VM exits 3 and 4 (VmxCpu.apicSignal). Returns a stop when an exit filter
   * matches the exit, else undefined.
   */
  deliverSignals(vcpu: VCpu): StopEvent | undefined {
    if (!vcpu.inGuest || vcpu.pendingExit) return undefined; // INIT is blocked in root operation: it stays pending
    let ev: ExitEvent | null = null;
    if (vcpu.pendingInit) {
      vcpu.pendingInit = false;
      if (vcpu.vmx.apicSignal('init')) ev = this.onExit(vcpu);
    } else if (vcpu.pendingSipi >= 0) {
      const vector = vcpu.pendingSipi;
      vcpu.pendingSipi = -1;
      if (vcpu.vmx.apicSignal('sipi', vector)) ev = this.onExit(vcpu);
    }
    if (!ev) return undefined;
    vcpu.blocked = false;
    const id = this.exitFilter(ev);
    return id ? { kind: 'vmexit', vcpu: vcpu.id, exit: ev, filterId: id } : undefined;
  }

  /** Prepare a vCPU's VMCS for the boot state (KVM_SET_REGS + vmx_vcpu_setup). */
  setupVcpu(vcpu: VCpu, boot: BootState): void {
    setupVmcs(vcpu.vmcs, vcpu.vmx.caps, this.host, this.ept.eptp, boot, this.ioBitmaps);
    applyExitPolicy(vcpu.vmcs, vcpu.vmx.caps, this.msrBitmap, this.vmxExits, this.apicAccessPage);
    vcpu.regs.fill(0);
    vcpu.regs[0] = boot.eax; vcpu.regs[3] = boot.ebx; vcpu.regs[4] = boot.esp;
    vcpu.regs[2] = boot.edx ?? 0;
    vcpu.cpu.cr2 = 0;
    if (this.shadow) {
      setupShadowVmcs(vcpu.vmcs, vcpu.vmx.caps, boot, vcpu.id + 1);
      this.shadow.initVcpu(vcpu);
    }
    // Application processors wait for INIT-SIPI-SIPI (SDM Vol. 3A 8.4.1) in the wait-for-SIPI activity state.
    if (vcpu.id > 0) loadRealModeState(this, vcpu, 0xf000, 0xffff0000, 0xfff0, ActivityState.WAIT_FOR_SIPI);
  }

  /** VM entry (VMLAUNCH the first time, VMRESUME after). Returns a stop when the entry fails. */
  private enter(vcpu: VCpu): StopEvent | undefined | null {
    vcpu.regs[4] = vcpu.vmcs.read(VMCS.GUEST_RSP) | 0;
    vcpu.loadGuestGprs();
    let fail;
    try {
      fail = vcpu.vmx.vmentry(vcpu.vmcs.launchState === 'clear');
    } catch (e) {
      // Delivering the injected event exited (an EPT violation on the IDT, the handler or the stack):
      // that exit is now pending, as if the guest had run (found by test/fuzz, seed 21610951).
      if (e !== VM_EXIT) throw e;
      vcpu.inGuest = true;
      this.onExit(vcpu);
      return null;
    }
    if (fail) {
      const text = `VM entry failed: ${fail.check}${fail.field ? ` [${fail.field}]` : ''} (${fail.kind === 'vmfail' ? `VM-instruction error ${fail.code}` : `exit reason ${fail.code} with the entry-failure bit`})`;
      // The "VM-entry failure" exception filter presents it as an exit stop (debug/entryFailure.ts).
      const exit = entryFailureExit(vcpu, fail, text);
      const id = this.exitFilter(exit);
      if (id) return { kind: 'vmexit', vcpu: vcpu.id, exit, filterId: id };
      return { kind: 'error', vcpu: vcpu.id, text };
    }
    vcpu.inGuest = true;
    return undefined;
  }

  /** After a VM exit: save GPRs (the asm stub), log the exit, and keep it pending for its handler. */
  private onExit(vcpu: VCpu): ExitEvent {
    vcpu.inGuest = false;
    vcpu.saveGuestGprs();
    const v = vcpu.vmcs;
    vcpu.regs[4] = v.read(VMCS.GUEST_RSP) | 0;
    const reasonField = v.read(VMCS.VM_EXIT_REASON);
    const reason = basicExitReason(reasonField);
    const qual = v.read(VMCS.EXIT_QUALIFICATION);
    const rip = (v.read(VMCS.GUEST_RIP) + v.read(VMCS.GUEST_CS_BASE)) >>> 0;
    const d = decodeVmcsExit(v, { eax: vcpu.regs[0], ecx: vcpu.regs[1] });
    const icount = vcpu.cpu.icount;
    // The log is in the timeline's time: the VM's instruction count (all vCPUs), so it stays in order
    // under SMP and an exit's icount is a moment to travel to.
    this.exitLog.append(this.vcpus.length === 1 ? icount : this.vcpus.reduce((n, x) => n + x.cpu.icount, 0), vcpu.id, reason, qual, rip);
    vcpu.exitCounts[reason & 127]++;
    const ev: ExitEvent = {
      icount, vcpu: vcpu.id, reason, reasonName: exitReasonName(reason), qualification: qual >>> 0, guestRip: rip,
      detail: d.detail, fields: { ...d.fields, eax: vcpu.regs[0] >>> 0, ecx: vcpu.regs[1] >>> 0 },
    };
    vcpu.pendingExit = ev;
    if (this.exitTrace) this.exitTrace(ev);
    return ev;
  }

  /** Run the pending exit's handler. */
  private handlePending(vcpu: VCpu): StopEvent | undefined {
    const ev = vcpu.pendingExit!;
    vcpu.pendingExit = null;
    const h = EXIT_HANDLERS[ev.reason];
    if (vcpu.vmcs.abortIndicator) return { kind: 'error', vcpu: vcpu.id, text: `VMX abort (indicator ${vcpu.vmcs.abortIndicator}, SDM 28.7) at the ${ev.reasonName} exit: the VM-exit MSR areas could not be processed; the VM is paused` };
    if (!h) {
      return { kind: 'error', vcpu: vcpu.id, text: `no handler for VM exit ${ev.reasonName} (${ev.reason}): ${ev.detail}. The VM is paused; the VMCS scope shows the exit.` };
    }
    return h(this, vcpu);
  }

  /** A guest-requested end (exit device written). */
  checkGuestExit(vcpu: VCpu): StopEvent | undefined {
    if (this.debugExit.status >= 0) return { kind: 'exited', vcpu: vcpu.id, status: this.debugExit.status };
    if (this.stopRequest) return { kind: 'shutdown', vcpu: vcpu.id, text: this.stopRequest };
    return undefined;
  }

  /**
   * Run `vcpu` for up to `budget` instructions. `single` stops after one guest instruction (or one
   * handled exit). Returns a stop, or null when the budget ran out.
   */
  run(vcpu: VCpu, budget: number, single = false): StopEvent | null {
    const cpu = vcpu.cpu;
    const start = cpu.icount;
    // Exits handled in this call are bounded too, so a storm of exits that retire nothing (found by
    // test/fuzz with REP INS/OUTS before their elements counted) cannot keep run() from returning.
    // The bound lies beyond the budget: when exits do retire instructions (each REP INS/OUTS element
    // counts one), the budget ends the run, after re-entry, so the state at an instruction count is
    // the same whatever budget reached it (ADR 0014; replay marks stop at other counts than the
    // recorded run did, test/unit/time/repStringIo.test.ts).
    let exitsLeft = budget + 10_000;
    for (;;) {
      if (vcpu.pendingExit) {
        const handled = vcpu.pendingExit;
        const s = this.handlePending(vcpu) ?? this.afterExitHandled?.(vcpu, handled);
        if (s) return s;
        if (single) return { kind: 'step', vcpu: vcpu.id };
        if (--exitsLeft <= 0) return null;
      }
      if (!vcpu.inGuest) {
        if (vcpu.shadowReload && this.shadow) {
          vcpu.shadowReload = false;
          if (!vcpu.realModeOnEpt) this.shadow.initVcpu(vcpu, this.shadow.guestCr3(vcpu));
        }
        const s = prepareEntry(this, vcpu) ?? this.enter(vcpu);
        if (s === BLOCKED) return null; // halted, nothing to deliver: the scheduler runs another vCPU
        if (s) return s;
        if (s === null) {
          const id = this.exitFilter(vcpu.pendingExit!);
          if (id) return { kind: 'vmexit', vcpu: vcpu.id, exit: vcpu.pendingExit!, filterId: id };
          continue;
        }
      }
      const left = single ? 1 : budget - (cpu.icount - start);
      if (left <= 0) return null;
      const r = cpu.run(left);
      switch (r) {
        case RUN_VMEXIT: {
          const ev = this.onExit(vcpu);
          const id = this.exitFilter(ev);
          if (id) return { kind: 'vmexit', vcpu: vcpu.id, exit: ev, filterId: id };
          if (single) {
            const s = this.handlePending(vcpu) ?? this.afterExitHandled?.(vcpu, ev);
            return s ?? { kind: 'step', vcpu: vcpu.id };
          }
          continue;
        }
        case RUN_BUDGET:
          if (single) return { kind: 'step', vcpu: vcpu.id };
          return null;
        case RUN_BREAKPOINT:
          return { kind: 'breakpoint', vcpu: vcpu.id, address: (cpu.segBase[1] + cpu.eip) >>> 0 };
        case RUN_WATCH: { // a debugger data watch was hit by the instruction that just completed
          const hit = cpu.dbgWatch?.lastHit;
          return { kind: 'breakpoint', vcpu: vcpu.id, address: (cpu.segBase[1] + cpu.eip) >>> 0, ...(hit ? { watch: { ...hit } } : {}) };
        }
        case RUN_INSN_STOP:
          if (this.insnStopEvent) return this.insnStopEvent(vcpu);
          return { kind: 'pause', vcpu: vcpu.id };
        case RUN_HALTED:
          // Waiting for SIPI in the guest: nothing runs until the APIC bus delivers INIT or SIPI.
          if (cpu.activity === ActivityState.WAIT_FOR_SIPI) { vcpu.blocked = true; return null; }
          return { kind: 'shutdown', vcpu: vcpu.id, text: `vCPU${vcpu.id} halted in the guest` };
        case RUN_SHUTDOWN:
        default:
          return { kind: 'shutdown', vcpu: vcpu.id, text: `vCPU${vcpu.id} shut down` };
      }
    }
  }

  /** Length of the guest instruction at GUEST_RIP, decoded with the one opcode table (0 if unreadable). */
  instructionLengthAt(vcpu: VCpu): number {
    const v = vcpu.vmcs;
    const paging = this.guestPaging(vcpu);
    const base = (v.read(VMCS.GUEST_CS_BASE) + v.read(VMCS.GUEST_RIP)) >>> 0;
    const mem = this.memory;
    let bad = false;
    const src = { byteAt: (o: number): number => { const g = gvaToGpa(mem, paging, base + o); const b = g < 0 ? undefined : mem.read8(g); if (b === undefined) { bad = true; return 0; } return b; } };
    const size = (v.read(VMCS.GUEST_CS_AR_BYTES) & 0x4000) ? 32 : 16;
    if (!this.decoder.decode(src, size, this.scratch) || bad) return 0;
    return this.scratch.length;
  }

  /**
   * The guest's own paging registers (for the VMM's software walks, guestVirt.ts): the VMCS under EPT;
   * under shadow paging the guest's CR0/CR4 views and its CR3, not the shadow root the processor uses.
   */
  guestPaging(vcpu: VCpu): { cr0: number; cr3: number; cr4: number; pdpte?: ArrayLike<number> } {
    const v = vcpu.vmcs;
    if (!this.shadow) return { cr0: v.read(VMCS.GUEST_CR0), cr3: v.read(VMCS.GUEST_CR3), cr4: v.read(VMCS.GUEST_CR4) };
    return { cr0: ShadowMmu.guestCr0(vcpu), cr3: this.shadow.guestCr3(vcpu), cr4: ShadowMmu.guestCr4(vcpu), pdpte: this.shadow.guestPdptes(vcpu) };
  }

  /** Exits by reason, all vCPUs. */
  exitCounts(): Float64Array { return this.exitLog.counts; }

  /**
   * Every stateful component, in restore order (time/ saves and restores them): per vCPU its CPU,
   * VMCS and bookkeeping; the VMM's own; each device on the port bus that implements Snapshotable.
   * Host memory is saved separately.
   */
  stateComponents(): Snapshotable[] { return vmmComponents(this); }
}

export { RUN_BREAKPOINT };
