// The hypervisor, written as KVM is: it owns guest memory (memslots) and its EPT, the device buses,
// one VMCS per vCPU, and the run loop that enters the guest, takes VM exits, dispatches them through
// the exit-handler table and resumes.
import { HostPhysMem } from '../hw/physMem';
import { GuestMemory } from './memslots';
import { Ept } from './ept';
import { VCpu } from './vcpu';
import { setupVmcs, type BootState } from './vmcsSetup';
import { EXIT_HANDLERS } from './exitHandlers';
import { VirtualMsrs } from './virtualMsrs';
import { PortBus } from '../devices/portBus';
import { DebugExit, DEBUG_EXIT_PORT } from '../devices/debugExit';
import { ExitLog } from '../time/exitLog';
import { RUN_BREAKPOINT, RUN_BUDGET, RUN_HALTED, RUN_SHUTDOWN, RUN_VMEXIT } from '../hw/cpu/cpu';
import { VMCS } from '../hw/vmx/vmcsFields';
import { exitReasonName, basicExitReason } from '../hw/vmx/exitReasons';
import { decodeVmcsExit } from '../hw/vmx/exitQualification';
import type { ExitEvent, StopEvent } from '../debug/debugApi';
import { Decoder } from '../isa/decoder';
import { Insn } from '../isa/insn';
import { gvaToGpa } from './guestVirt';

export interface VmmConfig { memMiB: number; smp: number; }

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
  readonly stats = { eptMaps: 0 };
  /** A host page of 0xff bytes mapped read-only where the guest reads unbacked guest-physical memory. */
  readonly emptyBusPage: number;
  private readonly ioBitmaps: [number, number];
  exitFilter: ExitFilterFn = () => undefined;
  /** Called for every exit (the CLI's `--trace exits`); null when nobody listens. */
  exitTrace: ((e: ExitEvent) => void) | null = null;
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
    for (let k = 0; k < cfg.smp; k++) this.vcpus.push(new VCpu(k, this.host));
  }

  /** Prepare a vCPU's VMCS for the boot state (KVM_SET_REGS + vmx_vcpu_setup). */
  setupVcpu(vcpu: VCpu, boot: BootState): void {
    setupVmcs(vcpu.vmcs, vcpu.vmx.caps, this.host, this.ept.eptp, boot, this.ioBitmaps);
    vcpu.regs.fill(0);
    vcpu.regs[0] = boot.eax; vcpu.regs[3] = boot.ebx; vcpu.regs[4] = boot.esp;
    vcpu.cpu.cr2 = 0;
  }

  /** VM entry (VMLAUNCH the first time, VMRESUME after). Returns a stop when the entry fails. */
  private enter(vcpu: VCpu): StopEvent | undefined {
    vcpu.regs[4] = vcpu.vmcs.read(VMCS.GUEST_RSP) | 0;
    vcpu.loadGuestGprs();
    const fail = vcpu.vmx.vmentry(vcpu.vmcs.launchState === 'clear');
    if (fail) {
      return { kind: 'error', vcpu: vcpu.id, text: `VM entry failed: ${fail.check}${fail.field ? ` [${fail.field}]` : ''} (${fail.kind === 'vmfail' ? `VM-instruction error ${fail.code}` : `exit reason ${fail.code} with the entry-failure bit`})` };
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
    this.exitLog.append(icount, vcpu.id, reason, qual, rip);
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
    if (!h) {
      return { kind: 'error', vcpu: vcpu.id, text: `no handler for VM exit ${ev.reasonName} (${ev.reason}): ${ev.detail}. The VM is paused; the VMCS scope shows the exit.` };
    }
    return h(this, vcpu);
  }

  /** A guest-requested end (exit device written). */
  checkGuestExit(vcpu: VCpu): StopEvent | undefined {
    if (this.debugExit.status >= 0) return { kind: 'exited', vcpu: vcpu.id, status: this.debugExit.status };
    return undefined;
  }

  /**
   * Run `vcpu` for up to `budget` instructions. `single` stops after one guest instruction (or one
   * handled exit). Returns a stop, or null when the budget ran out.
   */
  run(vcpu: VCpu, budget: number, single = false): StopEvent | null {
    const cpu = vcpu.cpu;
    const start = cpu.icount;
    for (;;) {
      if (vcpu.pendingExit) {
        const s = this.handlePending(vcpu);
        if (s) return s;
        if (single) return { kind: 'step', vcpu: vcpu.id };
      }
      if (!vcpu.inGuest) {
        const s = this.enter(vcpu);
        if (s) return s;
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
            const s = this.handlePending(vcpu);
            return s ?? { kind: 'step', vcpu: vcpu.id };
          }
          continue;
        }
        case RUN_BUDGET:
          if (single) return { kind: 'step', vcpu: vcpu.id };
          return null;
        case RUN_BREAKPOINT:
          return { kind: 'breakpoint', vcpu: vcpu.id, address: (cpu.segBase[1] + cpu.eip) >>> 0 };
        case RUN_HALTED:
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
    const paging = { cr0: v.read(VMCS.GUEST_CR0), cr3: v.read(VMCS.GUEST_CR3), cr4: v.read(VMCS.GUEST_CR4) };
    const base = (v.read(VMCS.GUEST_CS_BASE) + v.read(VMCS.GUEST_RIP)) >>> 0;
    const mem = this.memory;
    let bad = false;
    const src = { byteAt: (o: number): number => { const g = gvaToGpa(mem, paging, base + o); const b = g < 0 ? undefined : mem.read8(g); if (b === undefined) { bad = true; return 0; } return b; } };
    const size = (v.read(VMCS.GUEST_CS_AR_BYTES) & 0x4000) ? 32 : 16;
    if (!this.decoder.decode(src, size, this.scratch) || bad) return 0;
    return this.scratch.length;
  }

  /** Exits by reason, all vCPUs. */
  exitCounts(): Float64Array { return this.exitLog.counts; }
}

export { RUN_BREAKPOINT };
