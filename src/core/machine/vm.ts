// The VM facade: the one object the CLI, the DAP adapter, tests and benchmarks drive. It builds the
// machine (hypervisor, memory, devices, vCPUs), loads the image, and exposes running, stepping,
// breakpoints and the debugger's views as plain data.
import { parseOptionalExits, VMM_EXCEPTION_BITMAP, type OptionalExit } from '../vmm/exitPolicy';
import type { HostServices } from '../host';
import type {
  DisasmLine, ExitEvent, ExitFilterInfo, ExitFilterSetting, ExitStatRow, GroupView, StopEvent,
} from '../debug/debugApi';
import { Vmm } from '../vmm/vmm';
import type { ShadowStats, ShadowSync } from '../vmm/shadow/shadowMmu';
import { Uart16550 } from '../devices/uart16550';
import { PcPlatform } from '../devices/pcPlatform';
import { RTC_DEFAULT_START } from '../devices/cmosRtc';
import { InterruptState, kickVcpus } from '../vmm/irqInjection';
import { bootMachine, planBoot, type BootOptions } from './bootImage';
import type { BiosServices } from './firmware/biosServices';
import { ImageFormatError } from './elf';
import { ActiveFilters, filterInfos } from '../debug/exitFilters';
import { registersView, type GuestRegs } from '../debug/registersView';
import { vmcsView } from '../debug/vmcsView';
import { VMCS } from '../hw/vmx/vmcsFields';
import { exitReasonName } from '../hw/vmx/exitReasons';
import { gvaToGpa } from '../vmm/guestVirt';
import type { VCpu } from '../vmm/vcpu';
import { Decoder } from '../isa/decoder';
import { Insn } from '../isa/insn';
import { DebugInfo } from '../debugInfo/debugInfo';
import { Timeline, type RecordingOptions, type ReverseSearch, type ReverseSearchOptions, type TimelineHost, type TravelResult } from '../time/timeline';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';
import { stateHash } from '../time/stateHash';
import { loadSnapshot, saveSnapshot } from '../time/snapshot';
import { Watchpoints, type DataBreakpointSpec } from '../debug/dataBreakpoints';
import { installInsnStops } from '../debug/insnStopHook';
import type { SymbolFile } from '../debug/symbolFiles';
import { DEFAULT_QUANTUM } from '../vmm/smpScheduler';
import { isaIrqToGsi } from '../devices/apicAddresses';
import { startRealModeBootOnEpt } from '../vmm/realModeHandoff';
import { apicDevices, vcpuExitStats, type VcpuExitStats } from './smpViews';
import { restoreA20, setA20 } from '../vmm/a20Alias';

export type MmuMode = 'ept' | 'shadow';
/** Input-log channel of the keyboard (serial ports are channels 0-3). */
export const KEYBOARD_INPUT = 16;

export interface VmOptions {
  /** Guest RAM in MiB (default 32). */
  memMiB?: number;
  /** Number of vCPUs (default 1). */
  smp?: number;
  /** Memory virtualization: EPT (default) or shadow page tables. */
  mmu?: MmuMode;
  /** Shadow page tables only: how shadows follow guest page-table writes (default lazy; vmm/shadow/shadowMmu.ts). */
  shadowSync?: ShadowSync;
  /** RTC start time in Unix seconds (default 2024-01-01 00:00:00 UTC); it advances with virtual time. */
  rtcStart?: number;
  /** Instructions per vCPU scheduling turn with smp > 1 (default 1000; vmm/smpScheduler.ts). */
  quantum?: number;
  /** Optional VM exits besides the VMM's default policy (vmm/exitPolicy.ts): "rdtsc", "pause", "desc", "apic". */
  vmxExits?: string[];
}

/** Vm.vmStats(): per-VM statistics of memory virtualization. */
export interface VmStats {
  mmu: 'ept' | 'shadow-lazy' | 'shadow-eager';
  eptMaps: number;
  injectedEvents: number;
  shadow?: ShadowStats;
}

export interface SymbolInfo { name: string; address: number; size: number; }
export type MemorySpace = 'gva' | 'gpa';

/** A problem with the image the user gave (missing, not ELF, wrong machine...). */
export class ImageError extends Error { override name = 'ImageError'; }
/** A bad launch / CLI option (unknown mmu, smp out of range...). */
export class VmOptionError extends Error { override name = 'VmOptionError'; }

export function validateOptions(o: VmOptions): Required<VmOptions> {
  const mmu = o.mmu ?? 'ept';
  if (mmu !== 'ept' && mmu !== 'shadow') throw new VmOptionError(`mmu must be "ept" or "shadow", got "${String(mmu)}"`);
  const shadowSync = o.shadowSync ?? 'lazy';
  if (shadowSync !== 'lazy' && shadowSync !== 'eager') throw new VmOptionError(`shadowSync must be "lazy" or "eager", got "${String(shadowSync)}"`);
  const smp = o.smp ?? 1;
  if (!Number.isInteger(smp) || smp < 1 || smp > 8) throw new VmOptionError(`smp must be an integer from 1 to 8, got ${String(smp)}`);
  const memMiB = o.memMiB ?? 32;
  if (!Number.isInteger(memMiB) || memMiB < 2 || memMiB > 1536) throw new VmOptionError(`memory must be an integer number of MiB from 2 to 1536, got ${String(memMiB)}`);
  const rtcStart = o.rtcStart ?? RTC_DEFAULT_START;
  if (!Number.isInteger(rtcStart) || rtcStart < 0 || rtcStart > 4_102_444_799) throw new VmOptionError(`rtcStart must be Unix seconds from 0 to 4102444799 (year 2099), got ${String(rtcStart)}`);
  const quantum = o.quantum ?? DEFAULT_QUANTUM;
  if (!Number.isInteger(quantum) || quantum < 1 || quantum > 10_000_000) throw new VmOptionError(`quantum must be an integer number of instructions from 1 to 10000000, got ${String(quantum)}`);
  let vmxExits: string[];
  try { vmxExits = parseOptionalExits(o.vmxExits ?? []); } catch (e) { throw new VmOptionError(`vmxExits: ${(e as Error).message}`); }
  return { mmu, shadowSync, smp, memMiB, rtcStart, quantum, vmxExits };
}

export class Vm {
  readonly vmm: Vmm;
  readonly imageKind: string;
  readonly symbols: SymbolInfo[];
  /** DWARF line tables and functions of the image (empty without -g); problems are in `debugInfo.warnings`. */
  debugInfo: DebugInfo;
  readonly uart: Uart16550;
  /** COM2 (0x2F8, IRQ 3). */
  readonly uart2: Uart16550;
  /** The paravirtual BIOS (null with a user --bios ROM). */
  readonly bios: BiosServices | null;
  /** The PC's legacy devices: PIC pair, PIT, RTC/CMOS, 8042, VGA text, POST codes, debug console. */
  readonly platform: PcPlatform;
  private readonly irqState: InterruptState;
  private readonly filters = new ActiveFilters();
  private final: StopEvent | null = null;
  private readonly decoder = new Decoder();
  private readonly scratch = new Insn();

  /** Build a VM and load `image`. Throws ImageError / VmOptionError with a clear message. */
  static fromImage(image: Uint8Array, imageName: string, opts: VmOptions, host: HostServices, boot: BootOptions = {}): Vm {
    return new Vm(image, imageName, validateOptions(opts), host, boot);
  }
  static exitFilters(): ExitFilterInfo[] { return filterInfos(); }

  private constructor(image: Uint8Array, name: string, o: Required<VmOptions>, host: HostServices, bootOpts: BootOptions = {}) {
    let plan;
    try {
      plan = planBoot(image, name, bootOpts);
    } catch (e) {
      if (e instanceof ImageFormatError) throw new ImageError(e.message);
      throw e;
    }
    this.vmm = new Vmm({ memMiB: o.memMiB, smp: o.smp, mmu: o.mmu, shadowSync: o.shadowSync, quantum: o.quantum, vmxExits: o.vmxExits as OptionalExit[] });
    const com1 = new Uint8Array(1);
    // Output while replaying recorded history was already shown the first time (time travel).
    this.uart = new Uart16550(0, 0x3f8, (b) => { com1[0] = b; if (!this.timeline?.replaying) host.serialOut(0, com1); }, (l) => this.platform.pic.setIrq(4, l));
    this.vmm.ports.register(this.uart, 0x3f8, 8);
    const com2 = new Uint8Array(1);
    this.uart2 = new Uart16550(1, 0x2f8, (b) => { com2[0] = b; if (!this.timeline?.replaying) host.serialOut(1, com2); }, (l) => this.platform.pic.setIrq(3, l));
    this.vmm.ports.register(this.uart2, 0x2f8, 8);
    this.platform = new PcPlatform(this.vmm.clock, this.vmm.ports, {
      ramBytes: o.memMiB * 1024 * 1024,
      rtcStart: o.rtcStart,
      readGpa: (gpa) => this.vmm.memory.read8(gpa),
      debugConsoleOut: (b) => { if (!this.timeline?.replaying) host.debugConsoleOut?.(b); },
      onReset: () => { this.vmm.stopRequest = 'the guest reset the machine through the 8042 keyboard controller (reset line): the VM stopped'; },
      disks: plan.disks,
      onA20: (on) => setA20(this.vmm, on),
      onA20Restored: (on) => restoreA20(this.vmm, on),
    });
    this.vmm.irqChip = this.platform.pic;
    this.platform.pic.onInterrupt = () => kickVcpus(this.vmm);
    // ISA IRQ lines reach the I/O APIC too (IRQ0 on GSI 2; apicAddresses.ts).
    this.platform.pic.irqTap = (irq, level) => this.vmm.apic.isaIrq(isaIrqToGsi(irq), level);
    this.irqState = new InterruptState(this.vmm);
    this.vmm.consoleOut = (b) => { com1[0] = b; if (!this.timeline?.replaying) host.serialOut(0, com1); };
    let loaded;
    try {
      loaded = bootMachine(image, name, plan, bootOpts, this.vmm, this.platform, o.smp, [0x3f8, 0x2f8]);
    } catch (e) {
      if (e instanceof ImageFormatError) throw new ImageError(e.message);
      throw e;
    }
    this.imageKind = loaded.kind;
    this.bios = loaded.bios;
    if (this.bios) { const b = this.bios; this.vmm.firmwareCall = (v) => b.call(v); }
    this.symbols = loaded.symbols.map((s) => ({ name: s.name, address: s.address, size: s.size }));
    let debugInfo = DebugInfo.empty();
    try {
      debugInfo = DebugInfo.fromElf(image);
    } catch (e) {
      debugInfo.warnings.push(`${name}: debug information unreadable (${e instanceof Error ? e.message : String(e)}); source-level debugging is off`);
    }
    this.debugInfo = debugInfo;
    for (const v of this.vmm.vcpus) this.vmm.setupVcpu(v, loaded.boot);
    // A real-mode start (boot sector, --bios) under shadow paging runs on EPT with unrestricted guest
    // until the guest sets CR0.PE, as APs do after SIPI (vmm/realModeHandoff.ts, ADR 0005).
    if (this.vmm.shadow && loaded.boot.mode === 'real') startRealModeBootOnEpt(this.vmm, this.vmm.vcpus[0], loaded.boot.cr0);
    this.vmm.exitFilter = (e) => this.filters.match(e);
  }

  /** An extra symbol file (launch `symbols`, debug/symbolFiles.ts): its DWARF and symbols join the image's. */
  addSymbolFile(file: SymbolFile): void {
    this.debugInfo = DebugInfo.merge([this.debugInfo, file.debugInfo]);
    this.symbols.push(...file.symbols);
  }

  get vcpuCount(): number { return this.vmm.vcpus.length; }
  get icount(): number { return this.vmm.vcpus.reduce((n, v) => n + v.cpu.icount, 0); }
  get ended(): boolean { return this.final !== null; }

  private guard(vcpu: number): VCpu {
    const v = this.vmm.vcpus[vcpu];
    if (!v) throw new RangeError(`no vCPU ${vcpu} (this VM has ${this.vcpuCount})`);
    return v;
  }

  private finish(s: StopEvent | null): StopEvent | null {
    if (s && (s.kind === 'exited' || s.kind === 'shutdown')) this.final = s;
    return s;
  }

  /** Internal errors are caught at the run-loop boundary: the VM pauses with its state intact (invariant 5). */
  /** The last run/step ended in a stop (the user is looking at this pc). */
  private stopped = true;

  private safely(vcpu: number, f: () => StopEvent | null, resume = true): StopEvent | null {
    if (this.final) return this.final;
    const v = this.guard(vcpu);
    // Resuming after a stop executes the instruction at the stop (so a breakpoint there does not
    // fire again at once); continuing after a plain budget-exhausted slice must not skip anything.
    if (resume) v.cpu.bpSkip = this.stopped ? this.pc(vcpu) | 0 : -1;
    // Several vCPUs: each one resumes past a breakpoint it is stopped at (the stop may have been on any of them).
    if (resume && this.vmm.vcpus.length > 1) for (const o of this.vmm.vcpus) if (o !== v) o.cpu.bpSkip = this.stopped ? this.pc(o.id) | 0 : -1;
    try {
      const s = this.finish(f());
      this.stopped = s !== null;
      return s;
    } catch (e) {
      this.stopped = true;
      return { kind: 'error', vcpu, text: `internal error in the VMM (the VM is paused, state intact): ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Run up to `budget` instructions. Returns why it stopped, or null when the budget ran out first. */
  run(budget: number): StopEvent | null {
    if (this.timeline) return this.timeline.run(budget);
    return this.safely(0, () => this.runVcpus(budget));
  }
  /** One vCPU: it runs alone; several: the round-robin scheduler (vmm/smpScheduler.ts). */
  private runVcpus(budget: number): StopEvent | null {
    if (this.vmm.vcpus.length === 1) return this.vmm.run(this.vmm.vcpus[0], budget);
    return this.vmm.sched.run(budget);
  }
  /** The vCPU the last run or step ended on (the debugger's stopped thread). */
  get lastVcpu(): number { return this.vmm.vcpus.length === 1 ? 0 : this.vmm.sched.lastVcpu; }
  /** Per-vCPU exit counts, INIT/SIPI and local/I/O APIC accesses (`--exit-stats`). */
  vcpuExitStats(): VcpuExitStats[] { return vcpuExitStats(this.vmm); }
  /** Local APIC and I/O APIC state for the Devices view. */
  apicDevices(): GroupView[] { return apicDevices(this.vmm); }
  /** One guest instruction on `vcpu`; when stopped at a VM exit, finish handling it and stop at the next guest instruction. */
  step(vcpu: number): StopEvent {
    // A step retires one guest instruction: exits handled on the way (an EPT violation mapping the
    // code page on first touch) are part of it, unless a filter stops there.
    const v = this.guard(vcpu);
    const start = v.cpu.icount;
    let s: StopEvent | null = null;
    this.timeline?.beforeStep();
    if (this.vmm.vcpus.length > 1) {
      // Several vCPUs: the others run their turns meanwhile, so a step never changes the schedule.
      s = this.safely(vcpu, () => this.vmm.sched.step(vcpu));
      // Every scheduler step ends where a run's budget would (smpScheduler.run): a clean state, even
      // with `vcpu` halted while another vCPU is about to run (docs/adr/0018).
      this.timeline?.afterMove(s, s?.kind === 'step');
      return s ?? { kind: 'step', vcpu };
    }
    for (let k = 0; k < 64; k++) {
      s = this.safely(vcpu, () => this.vmm.run(v, 1, true));
      if (!s || s.kind !== 'step' || v.cpu.icount !== start) break;
    }
    if (s?.kind === 'step' && v.cpu.icount !== start && !v.inGuest && !v.pendingExit) s = this.finishBoundary(v, vcpu) ?? s;
    this.timeline?.afterMove(s, s?.kind === 'step' && v.inGuest && !v.pendingExit && v.cpu.icount !== start);
    return s ?? { kind: 'step', vcpu };
  }

  /**
   * The instruction retired through a VM exit (its handler skipped it): enter the guest again now, as a
   * run does at that boundary, so an event the entry injects (an interrupt due, SDM 26.6) is delivered
   * before the step ends. The state after a step is then the state a run reaches at the same
   * instruction count, and a step back / forward pair returns to the same moment (issue 7).
   */
  private finishBoundary(v: VCpu, vcpu: number): StopEvent | null {
    return this.safely(vcpu, () => this.vmm.run(v, 0));
  }

  setInstructionBreakpoints(addresses: number[]): void {
    for (const v of this.vmm.vcpus) {
      v.cpu.breakpoints.clear();
      for (const a of addresses) v.cpu.breakpoints.add(a >>> 0);
    }
  }
  setExitFilters(settings: ExitFilterSetting[]): (string | undefined)[] {
    const errs = this.filters.set(settings);
    installInsnStops(this.vmm, this.filters);
    // Shadow paging needs every #PF (bit 14) whatever the debugger asks for.
    const bitmap = this.filters.exceptionBitmap | (this.vmm.shadow ? 1 << 14 : 0) | VMM_EXCEPTION_BITMAP;
    for (const v of this.vmm.vcpus) {
      v.vmcs.write(VMCS.EXCEPTION_BITMAP, bitmap);
      // The bitmap is latched at VM entry: re-enter so the change takes effect (as KVM's update_exception_bitmap does).
      if (v.inGuest) v.vmx.reloadExceptionBitmap();
    }
    return errs;
  }

  /** The guest's CR0/CR3/CR4 from the processor's: read shadows for host-owned bits; under shadow paging its own CR3, not the shadow root. */
  private guestCrs(v: VCpu, cr0: number, cr3: number, cr4: number): { cr0: number; cr3: number; cr4: number } {
    const m = v.vmcs;
    const m0 = m.read(VMCS.CR0_GUEST_HOST_MASK), m4 = m.read(VMCS.CR4_GUEST_HOST_MASK);
    return {
      cr0: ((cr0 & ~m0) | (m.read(VMCS.CR0_READ_SHADOW) & m0)) >>> 0,
      cr3: this.vmm.shadow ? this.vmm.shadow.guestCr3(v) : cr3,
      cr4: ((cr4 & ~m4) | (m.read(VMCS.CR4_READ_SHADOW) & m4)) >>> 0,
    };
  }

  /** Guest register state: live in the CPU while in the guest, else from the VMCS and the saved GPRs. */
  private guestRegs(v: VCpu): GuestRegs {
    const c = v.cpu;
    if (v.inGuest) {
      return {
        gpr: c.reg, eip: c.eip, eflags: c.getEflags(), segSel: c.segSel, segBase: c.segBase, segLimit: c.segLimit, segAr: c.segAr,
        ...this.guestCrs(v, c.cr0, c.cr3, c.cr4), cr2: c.cr2, dr: c.dr, gdtrBase: c.gdtrBase, gdtrLimit: c.gdtrLimit,
        idtrBase: c.idtrBase, idtrLimit: c.idtrLimit, efer: c.efer, cpl: c.cpl,
      };
    }
    const m = v.vmcs;
    const seg = (f: number): number[] => [0, 1, 2, 3, 4, 5, 6, 7].map((s) => m.read(f + 2 * s));
    const ar = seg(0x4814);
    return {
      gpr: v.regs, eip: m.read(VMCS.GUEST_RIP), eflags: m.read(VMCS.GUEST_RFLAGS),
      segSel: seg(0x0800), segBase: seg(0x6806), segLimit: seg(0x4800), segAr: ar,
      ...this.guestCrs(v, m.read(VMCS.GUEST_CR0), m.read(VMCS.GUEST_CR3), m.read(VMCS.GUEST_CR4)),
      cr2: c.cr2,
      dr: c.dr, gdtrBase: m.read(VMCS.GUEST_GDTR_BASE), gdtrLimit: m.read(VMCS.GUEST_GDTR_LIMIT),
      idtrBase: m.read(VMCS.GUEST_IDTR_BASE), idtrLimit: m.read(VMCS.GUEST_IDTR_LIMIT), efer: c.efer,
      cpl: (ar[2] >> 5) & 3,
    };
  }

  /** Linear address of the next instruction of `vcpu`. */
  pc(vcpu: number): number {
    const r = this.guestRegs(this.guard(vcpu));
    return (r.segBase[1] + r.eip) >>> 0;
  }
  /** What a stack walk needs: ESP, EBP and the CS / SS bases (linear = base + offset). */
  stackRegs(vcpu: number): { esp: number; ebp: number; csBase: number; ssBase: number } {
    const r = this.guestRegs(this.guard(vcpu));
    return { esp: r.gpr[4] >>> 0, ebp: r.gpr[5] >>> 0, csBase: r.segBase[1] >>> 0, ssBase: r.segBase[2] >>> 0 };
  }
  registers(vcpu: number): GroupView[] { return registersView(this.guestRegs(this.guard(vcpu))); }
  vmcs(vcpu: number): GroupView[] { return vmcsView(this.guard(vcpu).vmcs); }
  /**
   * VM statistics beyond the exit counts: the memory virtualization in use, EPT mappings made, and
   * under shadow paging the shadow MMU's counters (syncs, #PFs handled and reflected, page-table pages
   * write-protected, writes emulated, roots cached).
   */
  vmStats(): VmStats {
    const sh = this.vmm.shadow;
    return {
      mmu: sh ? (sh.policy === 'eager' ? 'shadow-eager' : 'shadow-lazy') : 'ept',
      eptMaps: this.vmm.stats.eptMaps,
      injectedEvents: this.vmm.vcpus.reduce((n, v) => n + v.injected, 0),
      ...(sh ? { shadow: { ...sh.stats } } : {}),
    };
  }

  exitStats(): ExitStatRow[] {
    const c = this.vmm.exitCounts();
    const rows: ExitStatRow[] = [];
    c.forEach((n, r) => { if (n) rows.push({ reason: r, reasonName: exitReasonName(r), count: n }); });
    return rows.sort((a, b) => b.count - a.count);
  }
  recentExits(): ExitEvent[] { return []; }

  /** Read guest memory; stops at the first unreadable byte and reports how many were not read. */
  readMemory(vcpu: number, space: MemorySpace, address: number, length: number): { data: Uint8Array; unreadable: number } {
    const r = this.guestRegs(this.guard(vcpu));
    const out = new Uint8Array(Math.max(0, length));
    for (let k = 0; k < length; k++) {
      const a = (address + k) >>> 0;
      const g = space === 'gpa' ? a : gvaToGpa(this.vmm.memory, r, a);
      const b = g < 0 ? undefined : this.vmm.memory.read8(g);
      if (b === undefined) return { data: out.subarray(0, k), unreadable: length - k };
      out[k] = b;
    }
    return { data: out, unreadable: 0 };
  }

  disassemble(vcpu: number, address: number, count: number): DisasmLine[] {
    const r = this.guestRegs(this.guard(vcpu));
    const mem = this.vmm.memory;
    const size = (r.segAr[1] & 0x4000) ? 32 : 16;
    const read = (a: number): number | undefined => { const g = gvaToGpa(mem, r, a >>> 0); return g < 0 ? undefined : mem.read8(g); };
    const lines = disassembleLines(this.decoder, this.scratch, read, address >>> 0, count, size);
    const syms = this.symbols;
    for (const l of lines) {
      const s = syms.find((x) => x.address === l.address);
      if (s) l.symbol = s.name;
    }
    return lines;
  }

  /** Keyboard input (ASCII; the 8042 turns it into scancode set 1), through the same input log as serial input. */
  keyboardInput(bytes: Uint8Array): string | undefined {
    if (this.timeline) return this.timeline.input(KEYBOARD_INPUT, bytes);
    this.deliverInput(KEYBOARD_INPUT, bytes);
    return undefined;
  }
  private deliverInput(port: number, bytes: Uint8Array): void {
    if (port === KEYBOARD_INPUT) this.platform.kbd.keyboardInput(bytes);
    else if (port === 1) this.uart2.receive(bytes);
    else this.uart.receive(bytes);
  }
  /** Device register views for the Devices scope: the PC platform's devices, then each local APIC and the I/O APIC. */
  devices(): GroupView[] { return [...this.platform.devices(), ...apicDevices(this.vmm)]; }
  /** The 80x25 text screen at guest-physical 0xB8000. */
  textScreen(): string[] { return this.platform.vga.textScreen(); }

  /** Serial input (the input log stamps it with icount when recording). Returns a message if it changed the past. */
  serialInput(port: number, bytes: Uint8Array): string | undefined {
    if (this.timeline) return this.timeline.input(port, bytes);
    this.deliverInput(port, bytes);
    return undefined;
  }

  // ------------------------------------------------------------------ time travel (time/)
  /** Recording history (checkpoints + input log); null when off. */
  timeline: Timeline | null = null;
  private savedBreakpoints: number[] | null = null;
  private readonly vmComponent: Snapshotable = {
    stateName: 'vm',
    saveState: (w: StateWriter) => { w.begin('vm', 1); w.str(this.final ? JSON.stringify(this.final) : ''); },
    loadState: (r: StateReader) => { r.begin('vm', 1); const f = r.str(); this.final = f ? JSON.parse(f) as StopEvent : null; },
  };
  private timeHost(): TimelineHost {
    return {
    vmm: this.vmm,
    host: this.vmm.host,
    icount: () => this.icount,
    components: () => this.stateComponents(),
    runChunk: (budget, resume) => this.safely(0, () => this.runVcpus(budget), resume),
    deliverInput: (port, bytes) => this.deliverInput(port, bytes),
    ended: () => this.final !== null,
    runBookkeeping: () => this.stopped,
    setRunBookkeeping: (v) => { this.stopped = v as boolean; },
    setStopsEnabled: (on) => {
      if (this.watchpoints) this.watchpoints.enabled = on;
      if (!on) {
        this.savedBreakpoints = [...this.vmm.vcpus[0].cpu.breakpoints];
        for (const v of this.vmm.vcpus) v.cpu.breakpoints.clear();
        this.vmm.exitFilter = () => undefined;
        installInsnStops(this.vmm, this.filters, false);
      } else {
        if (this.savedBreakpoints) this.setInstructionBreakpoints(this.savedBreakpoints);
        this.savedBreakpoints = null;
        this.vmm.exitFilter = (e) => this.filters.match(e);
        installInsnStops(this.vmm, this.filters);
      }
    },
    };
  }

  /** Every stateful component, in restore order (memory is saved separately). */
  stateComponents(): Snapshotable[] { return [...this.vmm.stateComponents(), this.irqState, this.vmComponent]; }
  /** Deterministic hash of memory, CPUs, VMCSs, devices and bookkeeping. */
  stateHash(): string { return stateHash(this.stateComponents(), this.vmm.host); }
  /** Start recording history from this moment (idempotent). */
  startRecording(opts: RecordingOptions = {}): Timeline {
    if (!this.timeline) {
      const v = this.vmm.vcpus[0];
      this.timeline = new Timeline(this.timeHost(), opts, v.inGuest && !v.pendingExit && !this.final);
    }
    return this.timeline;
  }
  private recorded(): Timeline {
    if (!this.timeline) throw new VmOptionError('time travel needs recording: it is off for this VM');
    return this.timeline;
  }
  /** Back one instruction (replay from the nearest checkpoint). */
  stepBack(vcpu = 0): TravelResult { this.guard(vcpu); return this.recorded().stepBack(vcpu); }
  /** Back to the last breakpoint / exit-filter hit before now, or to the start of history. */
  reverseContinue(vcpu = 0): TravelResult { this.guard(vcpu); return this.recorded().reverseContinue(vcpu); }
  /** The same, one checkpoint interval per step() (progress, cancel). */
  reverseSearch(vcpu = 0, opts?: ReverseSearchOptions): ReverseSearch { this.guard(vcpu); return this.recorded().reverseSearch(vcpu, opts); }
  /** To instruction count `n` of recorded history. */
  gotoIcount(n: number, vcpu = 0): TravelResult { return this.recorded().gotoIcount(n, vcpu); }

  /** Write guest memory (debugger). In the past this forks the timeline: the message says so. */
  writeMemory(vcpu: number, space: MemorySpace, address: number, data: Uint8Array): { written: number; message?: string } {
    const message = this.timeline?.fork('a memory write');
    const r = this.guestRegs(this.guard(vcpu));
    let k = 0;
    for (; k < data.length; k++) {
      const a = (address + k) >>> 0;
      const g = space === 'gpa' ? a : gvaToGpa(this.vmm.memory, r, a);
      if (g < 0 || !this.vmm.memory.write8(g, data[k])) break;
      // A write to a guest page table the shadow MMU shadows updates its shadow entries.
      this.vmm.shadow?.guestWritten(this.vmm.vcpus[vcpu], g, 1);
    }
    this.timeline?.outsideChange();
    return { written: k, message };
  }

  /** Data breakpoints (debug/dataBreakpoints.ts); one error message (or undefined) per spec. */
  private watchpoints: Watchpoints | null = null;
  setDataBreakpoints(specs: DataBreakpointSpec[]): (string | undefined)[] {
    if (!this.watchpoints && specs.length === 0) return [];
    this.watchpoints ??= new Watchpoints(this.vmm);
    return this.watchpoints.set(specs);
  }

  /** Guest-virtual → guest-physical through the vCPU's current page tables; -1 when not mapped. */
  translate(vcpu: number, gva: number): number {
    return gvaToGpa(this.vmm.memory, this.guestRegs(this.guard(vcpu)), gva >>> 0);
  }

  /** Write a general register, eip or eflags (debugger, e.g. the GDB stub). In the past this forks the timeline. */
  writeRegister(vcpu: number, name: string, value: number): { message?: string } {
    const v = this.guard(vcpu);
    const gpr = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'].indexOf(name);
    if (gpr < 0 && name !== 'eip' && name !== 'eflags') throw new VmOptionError(`register "${name}" cannot be written (general registers, eip and eflags can)`);
    const message = this.timeline?.fork('a register write');
    const c = v.cpu;
    if (v.inGuest) {
      if (gpr >= 0) c.reg[gpr] = value | 0;
      else if (name === 'eip') c.eip = value >>> 0;
      else c.setEflags((value | 2) >>> 0);
    } else if (gpr >= 0) {
      v.regs[gpr] = value | 0;
      if (gpr === 4) v.vmcs.write(VMCS.GUEST_RSP, value >>> 0);
    } else v.vmcs.write(name === 'eip' ? VMCS.GUEST_RIP : VMCS.GUEST_RFLAGS, name === 'eip' ? value >>> 0 : (value | 2) >>> 0);
    this.timeline?.outsideChange();
    return { message };
  }

  /** The whole VM as a snapshot file's bytes. */
  saveSnapshot(note = ''): Uint8Array { return saveSnapshot({ host: this.vmm.host, vmm: this.vmm, components: () => this.stateComponents() }, note); }
  /** Replace this VM's state with a snapshot's (SnapshotError, VM unchanged, when it does not fit). History restarts there. */
  loadSnapshot(bytes: Uint8Array): { note: string } {
    const r = loadSnapshot({ host: this.vmm.host, vmm: this.vmm, components: () => this.stateComponents() }, bytes);
    this.vmm.exitLog.restartAtCursor(); // history begins at the snapshot: so does the exit log
    if (this.timeline) { const o = { budgetBytes: this.timeline.budgetBytes }; this.timeline = null; this.startRecording(o); }
    return r;
  }
}

import { disassembleRange } from '../isa/disassembler';
function disassembleLines(_d: Decoder, _i: Insn, read: (a: number) => number | undefined, address: number, count: number, size: number): DisasmLine[] {
  return disassembleRange(read, address, count, size as 16 | 32);
}
