// The VM facade: the one object the CLI, the DAP adapter, tests and benchmarks drive. It builds the
// machine (hypervisor, memory, devices, vCPUs), loads the image, and exposes running, stepping,
// breakpoints and the debugger's views as plain data.
import type { HostServices } from '../host';
import type {
  DisasmLine, ExitEvent, ExitFilterInfo, ExitFilterSetting, ExitStatRow, GroupView, StopEvent,
} from '../debug/debugApi';
import { Vmm } from '../vmm/vmm';
import { Uart16550 } from '../devices/uart16550';
import { loadImage } from './loadImage';
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

export type MmuMode = 'ept' | 'shadow';

export interface VmOptions {
  /** Guest RAM in MiB (default 32). */
  memMiB?: number;
  /** Number of vCPUs (default 1). */
  smp?: number;
  /** Memory virtualization: EPT (default) or shadow page tables. */
  mmu?: MmuMode;
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
  if (mmu === 'shadow') throw new VmOptionError('mmu "shadow": shadow page tables are not implemented yet in this build; use "ept"');
  const smp = o.smp ?? 1;
  if (!Number.isInteger(smp) || smp < 1 || smp > 8) throw new VmOptionError(`smp must be an integer from 1 to 8, got ${String(smp)}`);
  if (smp > 1) throw new VmOptionError('smp > 1: application processors (INIT/SIPI) are not implemented yet in this build; use smp 1');
  const memMiB = o.memMiB ?? 32;
  if (!Number.isInteger(memMiB) || memMiB < 2 || memMiB > 1536) throw new VmOptionError(`memory must be an integer number of MiB from 2 to 1536, got ${String(memMiB)}`);
  return { mmu, smp, memMiB };
}

export class Vm {
  readonly vmm: Vmm;
  readonly imageKind: string;
  readonly symbols: SymbolInfo[];
  readonly uart: Uart16550;
  private readonly filters = new ActiveFilters();
  private final: StopEvent | null = null;
  private readonly decoder = new Decoder();
  private readonly scratch = new Insn();

  /** Build a VM and load `image`. Throws ImageError / VmOptionError with a clear message. */
  static fromImage(image: Uint8Array, imageName: string, opts: VmOptions, host: HostServices): Vm {
    return new Vm(image, imageName, validateOptions(opts), host);
  }
  static exitFilters(): ExitFilterInfo[] { return filterInfos(); }

  private constructor(image: Uint8Array, name: string, o: Required<VmOptions>, host: HostServices) {
    this.vmm = new Vmm({ memMiB: o.memMiB, smp: o.smp });
    const com1 = new Uint8Array(1);
    this.uart = new Uart16550(0, 0x3f8, (b) => { com1[0] = b; host.serialOut(0, com1); });
    this.vmm.ports.register(this.uart, 0x3f8, 8);
    this.vmm.consoleOut = (b) => { com1[0] = b; host.serialOut(0, com1); };
    let loaded;
    try {
      loaded = loadImage(image, name, this.vmm.memory);
    } catch (e) {
      if (e instanceof ImageFormatError) throw new ImageError(e.message);
      throw e;
    }
    this.imageKind = loaded.kind;
    this.symbols = loaded.symbols.map((s) => ({ name: s.name, address: s.address, size: s.size }));
    for (const v of this.vmm.vcpus) this.vmm.setupVcpu(v, loaded.boot);
    this.vmm.exitFilter = (e) => this.filters.match(e);
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
  private safely(vcpu: number, f: () => StopEvent | null): StopEvent | null {
    if (this.final) return this.final;
    const v = this.guard(vcpu);
    v.cpu.bpSkip = this.pc(vcpu) | 0; // resuming from a breakpoint executes that instruction
    try {
      return this.finish(f());
    } catch (e) {
      return { kind: 'error', vcpu, text: `internal error in the VMM (the VM is paused, state intact): ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Run up to `budget` instructions. Returns why it stopped, or null when the budget ran out first. */
  run(budget: number): StopEvent | null {
    return this.safely(0, () => this.vmm.run(this.vmm.vcpus[0], budget));
  }
  /** One guest instruction on `vcpu`; when stopped at a VM exit, finish handling it and stop at the next guest instruction. */
  step(vcpu: number): StopEvent {
    // A step retires one guest instruction: exits handled on the way (an EPT violation mapping the
    // code page on first touch) are part of it, unless a filter stops there.
    const v = this.guard(vcpu);
    const start = v.cpu.icount;
    let s: StopEvent | null = null;
    for (let k = 0; k < 64; k++) {
      s = this.safely(vcpu, () => this.vmm.run(v, 1, true));
      if (!s || s.kind !== 'step' || v.cpu.icount !== start) break;
    }
    return s ?? { kind: 'step', vcpu };
  }

  setInstructionBreakpoints(addresses: number[]): void {
    for (const v of this.vmm.vcpus) {
      v.cpu.breakpoints.clear();
      for (const a of addresses) v.cpu.breakpoints.add(a >>> 0);
    }
  }
  setExitFilters(settings: ExitFilterSetting[]): (string | undefined)[] {
    const errs = this.filters.set(settings);
    const bitmap = this.filters.exceptionBitmap;
    for (const v of this.vmm.vcpus) {
      v.vmcs.write(VMCS.EXCEPTION_BITMAP, bitmap);
      // The bitmap is latched at VM entry: re-enter so the change takes effect (as KVM's update_exception_bitmap does).
      if (v.inGuest) v.vmx.reloadExceptionBitmap();
    }
    return errs;
  }

  /** Guest register state: live in the CPU while in the guest, else from the VMCS and the saved GPRs. */
  private guestRegs(v: VCpu): GuestRegs {
    const c = v.cpu;
    if (v.inGuest) {
      return {
        gpr: c.reg, eip: c.eip, eflags: c.getEflags(), segSel: c.segSel, segBase: c.segBase, segLimit: c.segLimit, segAr: c.segAr,
        cr0: c.cr0, cr2: c.cr2, cr3: c.cr3, cr4: c.cr4, dr: c.dr, gdtrBase: c.gdtrBase, gdtrLimit: c.gdtrLimit,
        idtrBase: c.idtrBase, idtrLimit: c.idtrLimit, efer: c.efer, cpl: c.cpl,
      };
    }
    const m = v.vmcs;
    const seg = (f: number): number[] => [0, 1, 2, 3, 4, 5, 6, 7].map((s) => m.read(f + 2 * s));
    const ar = seg(0x4814);
    return {
      gpr: v.regs, eip: m.read(VMCS.GUEST_RIP), eflags: m.read(VMCS.GUEST_RFLAGS),
      segSel: seg(0x0800), segBase: seg(0x6806), segLimit: seg(0x4800), segAr: ar,
      cr0: (m.read(VMCS.GUEST_CR0) & ~m.read(VMCS.CR0_GUEST_HOST_MASK)) | (m.read(VMCS.CR0_READ_SHADOW) & m.read(VMCS.CR0_GUEST_HOST_MASK)),
      cr2: c.cr2, cr3: m.read(VMCS.GUEST_CR3),
      cr4: (m.read(VMCS.GUEST_CR4) & ~m.read(VMCS.CR4_GUEST_HOST_MASK)) | (m.read(VMCS.CR4_READ_SHADOW) & m.read(VMCS.CR4_GUEST_HOST_MASK)),
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
  registers(vcpu: number): GroupView[] { return registersView(this.guestRegs(this.guard(vcpu))); }
  vmcs(vcpu: number): GroupView[] { return vmcsView(this.guard(vcpu).vmcs); }
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

  serialInput(_port: number, bytes: Uint8Array): void { this.uart.receive(bytes); }
}

import { disassembleRange } from '../isa/disassembler';
function disassembleLines(_d: Decoder, _i: Insn, read: (a: number) => number | undefined, address: number, count: number, size: number): DisasmLine[] {
  return disassembleRange(read, address, count, size as 16 | 32);
}
