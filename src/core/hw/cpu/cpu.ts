// The IA-32 processor (P6 system architecture), interpreted. State is plain data (typed arrays and
// numbers); the fetch-decode-execute loop allocates nothing per instruction. VMX non-root behaviour
// (which instructions exit) is delegated to the `vmx` hooks that hw/vmx installs on VM entry.
import { HostPhysMem } from '../physMem';
import { Decoder, DecodeFault, type ByteSource } from '../../isa/decoder';
import { Insn } from '../../isa/insn';
import { COND, LF_NONE, materialize, type LazyFlagState } from './lazyFlags';
import { Mmu, TLB_SR, TLB_SW, TLB_SX, TLB_UR, TLB_UW, TLB_UX } from './mmu';
import { ACC_FETCH, ACC_READ, ACC_WRITE, GUEST_FAULT, INSN_STOP, VM_EXIT } from './cpuSignals';
import {
  AR_DB, AR_P, AR_S, AR_UNUSABLE, CR0_PE, CS, DB, DFV, DS, ES, FS, GP, GS, IF, LDTR, NP, PFV, RF, SS, SSF, TF, TR, TS, UD, VM,
} from './regs';
import type { ExecFn } from './exec/execTypes';
import { atomically, switchToInnerStack } from './exec/gates';
import { checkDataBreakpoints, checkInstructionBreakpoints, DR6_FIXED1, pendingDebugTraps } from './debugExceptions';
import { WATCH_HIT, WATCH_STOP, type WatchHook } from './watchHook';
import { resolveHandlers, specialize } from './exec/registry';
import { DecodeCache } from './decodeCache';
import { HOT, translateBlock } from './exec/block';
import { idtTaskGate } from './taskSwitch';

/**
 * Fault-class exceptions: the EFLAGS image they push has RF set, so the IRET back to the faulting
 * instruction does not hit its instruction breakpoint again (SDM Vol. 3B 17.3.1.1). #DB, #BP, #OF,
 * #DF and #MC are not (traps, aborts, or a #DB that leaves RF as it was).
 */
const RF_FAULT_VECTORS = 0xffffffff & ~((1 << 1) | (1 << 3) | (1 << 4) | (1 << 8) | (1 << 18));

/** What VMX non-root operation installs into the CPU (hw/vmx/vmxNonRoot.ts). */
export interface NonRootHooks {
  /** Called for an instruction whose table entry says it can exit; throws VM_EXIT if it does. */
  instruction(cpu: Cpu, insn: Insn): void;
  /** An exception or NMI about to be delivered: exits (reason 0) when the exception bitmap says so. */
  exception(cpu: Cpu, vector: number, errorCode: number, hasError: boolean, insnLength: number, software: boolean): void;
  /** Triple fault: VM exit reason 2 in non-root operation. */
  tripleFault(cpu: Cpu): never;
  /** I/O instruction: exits per the I/O bitmaps / unconditional I/O exiting. */
  io(cpu: Cpu, insn: Insn, port: number, size: number, isIn: boolean, isString: boolean): void;
  /** MOV to CR0/CR3/CR4, CLTS, LMSW: exit per the guest/host masks and CR3-load exiting; else returns the value the CR really receives. */
  crWrite(cpu: Cpu, insn: Insn, cr: number, value: number): number;
  /** MOV from CR3 (CR3-store exiting); CR0/CR4 reads return the read shadows for host-owned bits. */
  crRead(cpu: Cpu, insn: Insn, cr: number, value: number): number;
  /** RDMSR / WRMSR: exit per the MSR bitmaps. */
  msr(cpu: Cpu, insn: Insn, write: boolean): void;
  /** Events at an instruction boundary (VMX-preemption timer, interrupt window, external interrupt): may exit. */
  instructionBoundary(cpu: Cpu): void;
  /** A task switch to the TSS `sel` (source: Table 27-2 encoding): always a VM exit, reason 9 (SDM 26.1.2). */
  taskSwitch?(cpu: Cpu, sel: number, source: number): void;
  /** "Use TSC offsetting" (SDM 25.6.5): added to the TSC that RDTSC / RDMSR return in non-root operation. */
  readonly tscOffset?: number;
}

/** Port I/O that reaches devices without a VM exit (root mode, or ports the I/O bitmap passes through). */
export interface PortIo {
  portIn(port: number, size: number): number;
  portOut(port: number, size: number, value: number): void;
}

/** Exception classes for the double-fault rules (SDM Vol. 3A Table 6-4). */
const BENIGN = 0, CONTRIBUTORY = 1, PAGE_FAULT = 2;
/** #DE, #TS, #NP, #SS, #GP are contributory; #PF is its own class; the rest (and interrupts) are benign. */
function exceptionClass(v: number): number {
  return v === 0 || (v >= 10 && v <= 13) ? CONTRIBUTORY : v === 14 ? PAGE_FAULT : BENIGN;
}

/**
 * Accesses each code/data descriptor type allows (index: access-rights bits 4:0 = S and the type;
 * SDM Vol. 3A Table 3-1): SEG_R reads (data, readable code), SEG_W writes (writable data only).
 * System types (S = 0) allow nothing through a data segment register.
 */
const SEG_R = 1, SEG_W = 2;
const SEG_ACCESS = Uint8Array.from({ length: 32 }, (_, t) =>
  !(t & 0x10) ? 0 : (t & 8) ? ((t & 2) ? SEG_R : 0) : SEG_R | ((t & 2) ? SEG_W : 0));

/** Why runNonRoot returned. */
export const RUN_BUDGET = 0, RUN_VMEXIT = 1, RUN_BREAKPOINT = 2, RUN_HALTED = 3, RUN_SHUTDOWN = 4, RUN_WATCH = 5;
/** The debugger's stop-before-instruction predicate (`insnStop`) matched the next instruction; nothing of it ran. */
export const RUN_INSN_STOP = 6;

export class Cpu implements LazyFlagState, ByteSource {
  // --- architectural state (SDM Vol. 3A chapter 2, Vol. 1 chapter 3) ---
  readonly reg = new Int32Array(8);
  eip = 0;
  eflags = 2;
  lfOp = LF_NONE; lfDst = 0; lfSrc = 0; lfRes = 0; lfSize = 32; lfCin = 0;
  /** Segment registers ES..GS, LDTR, TR: selector and descriptor cache (VMCS access-rights format). */
  readonly segSel = new Int32Array(8);
  readonly segBase = new Int32Array(8);
  readonly segLimit = new Int32Array(8);
  readonly segAr = new Int32Array(8);
  gdtrBase = 0; gdtrLimit = 0xffff; idtrBase = 0; idtrLimit = 0xffff;
  cr0 = 0x60000010; cr2 = 0; cr3 = 0; cr4 = 0;
  efer = 0;
  readonly dr = new Int32Array(8);
  cpl = 0;
  sysenterCs = 0; sysenterEsp = 0; sysenterEip = 0;
  patLo = 0x00070406; patHi = 0x00070406;
  /** IA32_DEBUGCTL (MSR 0x1d9, SDM Vol. 3B 17.4.1): LBR and BTF are kept, not acted on. */
  debugCtl = 0;
  /** 0 active, 1 HLT, 2 shutdown, 3 wait-for-SIPI (the VMCS activity-state encoding). */
  activity = 0;
  /** Interruptibility (VMCS encoding): bit 0 blocking by STI, bit 1 blocking by MOV SS. */
  interruptibility = 0;
  /**
   * Blocking by NMI (SDM Vol. 3A 6.7.1): set when an NMI is delivered, cleared by the next IRET, so a
   * second NMI waits until the handler returns. Kept apart from `interruptibility`, which is cleared
   * after every instruction; VM exits save it as interruptibility-state bit 3 (SDM 24.4.2).
   */
  nmiBlocked = false;
  /** Instructions retired: the machine's clock (invariant 1). */
  icount = 0;
  /** Debug registers armed by DR7 (bit n = DRn): instruction and data breakpoints (debugExceptions.ts). */
  dbgInsnBps = 0; dbgDataBps = 0;
  /** Data-breakpoint matches of the current instruction; debug traps held over a MOV SS shadow (DR6 bits). */
  dbgHits = 0; dbgHeld = 0;
  /** The debugger's data watches (watchHook.ts); null when none are set. */
  dbgWatch: WatchHook | null = null;

  // --- VMX ---
  nonRoot = false;
  vmx: NonRootHooks | null = null;
  /** icount at which VMX non-root operation wants `vmx.instructionBoundary` called (Infinity: never; set by VmxCpu). */
  vmxEventAt = Infinity;
  /** Bytes of the instruction being executed (for VM-exit instruction length). */
  insn = new Insn();
  /** Decoded instructions by host-physical address (decodeCache.ts). */
  readonly icache: DecodeCache;
  private readonly spareInsn = new Insn();
  /** Start of the current instruction (EIP), for faults that restart it. */
  insnEip = 0;

  // --- fault being delivered ---
  excVector = 0; excError = 0; excHasError = false;
  /** Linear address of the pending #PF. */
  pfAddress = 0;
  private faultDepth = 0;
  /** icount of the last INT n / INT3 / INTO that delivered through the IDT (no single-step trap after it). */
  softIntAt = -1;
  /**
   * The event being delivered, in the IDT-vectoring information format (SDM 25.9.3; bit 31 valid), and
   * its error code: a VM exit during delivery reports it (27.2.4) so the VMM can re-inject it.
   * `injectType` is the interruption type of an event VM entry injects (set by VmxCpu, used once).
   */
  vectoring = 0; vectoringError = 0; injectType = -1;

  // --- plumbing ---
  readonly mmu: Mmu;
  readonly decoder = new Decoder();
  ports: PortIo | null = null;
  private readonly handlers: ExecFn[];
  /** Set RF in the EFLAGS image the event being delivered pushes (a fault, SDM 17.3.1.1). */
  private frameRf = false;
  /** I/O breakpoints armed by DR7 (R/W = 10b; they fire only with CR4.DE, SDM 17.2.4). */
  dbgIoBps = 0;
  /** Instruction breakpoints (guest linear addresses); checked only when non-empty. */
  readonly breakpoints = new Set<number>();
  /** Skip the breakpoint at this address once (resuming from it). */
  bpSkip = -1;
  /** Translate and run hot blocks (exec/block.ts); false runs every instruction on its own (tests, comparisons). */
  translate = true;
  /**
   * The debugger's stop before a decoded instruction (privileged / sensitive instruction filters,
   * debug/insnStops.ts): checked in step() after decode, before the privilege check and any VM exit.
   * null when unused, so the fast loop is untouched.
   */
  insnStop: ((i: Insn) => boolean) | null = null;
  /** The address whose insnStop is skipped once (resuming from that stop), set by run() from bpSkip. */
  private insnStopSkip = -1;

  constructor(readonly id: number, readonly mem: HostPhysMem) {
    this.mmu = new Mmu(this);
    this.icache = new DecodeCache(mem);
    this.handlers = resolveHandlers();
    this.reset();
  }

  /** Power-on / RESET state (SDM Vol. 3A Table 9-1). */
  reset(): void {
    this.reg.fill(0);
    this.reg[2] = 0x600; // EDX: family 6
    this.eip = 0xfff0;
    this.eflags = 2; this.lfOp = LF_NONE;
    for (let s = 0; s < 8; s++) this.setSegCache(s, 0, 0, 0xffff, 0x93);
    this.setSegCache(CS, 0xf000, 0xffff0000 | 0, 0xffff, 0x9b);
    this.setSegCache(LDTR, 0, 0, 0xffff, 0x82);
    this.setSegCache(TR, 0, 0, 0xffff, 0x8b);
    this.gdtrBase = 0; this.gdtrLimit = 0xffff; this.idtrBase = 0; this.idtrLimit = 0xffff;
    this.cr0 = 0x60000010; this.cr2 = 0; this.cr3 = 0; this.cr4 = 0; this.efer = 0;
    this.dr.fill(0); this.dr[6] = 0xffff0ff0 | 0; this.dr[7] = 0x400; this.debugCtl = 0;
    this.cpl = 0; this.activity = 0; this.interruptibility = 0; this.nmiBlocked = false;
    this.mmu.flushAll();
  }

  setSegCache(s: number, sel: number, base: number, limit: number, ar: number): void {
    this.segSel[s] = sel & 0xffff;
    this.segBase[s] = base | 0;
    this.segLimit[s] = limit | 0;
    this.segAr[s] = ar;
  }

  // ------------------------------------------------------------------ flags
  getEflags(): number {
    if (this.lfOp !== LF_NONE) { this.eflags = materialize(this); this.lfOp = LF_NONE; }
    return this.eflags | 2;
  }
  /** Replace EFLAGS wholesale (bits the caller is allowed to change are its business). */
  setEflags(v: number): void {
    this.lfOp = LF_NONE;
    this.eflags = (v & 0x003f7fd5) | 2;
  }
  getCF(): number { return this.getEflags() & 1; }

  /** Condition codes in Jcc/SETcc/CMOVcc order (SDM Vol. 1 Table B-1). */
  cond(cc: number): boolean {
    // Evaluated from the recorded lazy operation where cheap (lazyFlags.ts COND), else materialized.
    return COND[cc & 15](this);
  }

  get protectedMode(): boolean { return (this.cr0 & CR0_PE) !== 0 && !(this.eflags & VM); }
  /** Default operand/address size of the code segment: 32 or 16 (CS.D). */
  get codeSize(): number { return this.protectedMode && (this.segAr[CS] & AR_DB) ? 32 : 16; }
  get stackSize32(): boolean { return this.protectedMode && (this.segAr[SS] & AR_DB) !== 0; }
  get iopl(): number { return (this.eflags >> 12) & 3; }

  // ------------------------------------------------------------------ registers
  getReg8(r: number): number { return r < 4 ? this.reg[r] & 0xff : (this.reg[r - 4] >> 8) & 0xff; }
  setReg8(r: number, v: number): void {
    if (r < 4) this.reg[r] = (this.reg[r] & ~0xff) | (v & 0xff);
    else this.reg[r - 4] = (this.reg[r - 4] & ~0xff00) | ((v & 0xff) << 8);
  }
  getReg16(r: number): number { return this.reg[r] & 0xffff; }
  setReg16(r: number, v: number): void { this.reg[r] = (this.reg[r] & ~0xffff) | (v & 0xffff); }
  getReg(r: number, size: number): number {
    return size === 32 ? this.reg[r] : size === 16 ? this.reg[r] & 0xffff : this.getReg8(r);
  }
  setReg(r: number, size: number, v: number): void {
    if (size === 32) this.reg[r] = v; else if (size === 16) this.setReg16(r, v); else this.setReg8(r, v);
  }

  // ------------------------------------------------------------------ faults
  /** Raise an exception for the current instruction (fault: EIP stays at the instruction). */
  raise(vector: number, errorCode = -1): never {
    this.excVector = vector;
    this.excHasError = errorCode >= 0;
    this.excError = errorCode >= 0 ? errorCode : 0;
    throw GUEST_FAULT;
  }
  raiseGP(err = 0): never { return this.raise(GP, err); }
  raiseUD(): never { return this.raise(UD); }
  /** #PF: CR2 is written only when the fault is delivered to the guest (a #PF VM exit leaves it, SDM 27.1). */
  raisePageFault(lin: number, err: number): never {
    this.pfAddress = lin | 0;
    return this.raise(PFV, err);
  }

  // ------------------------------------------------------------------ linear memory (through the TLB)
  private need(write: boolean): number {
    return this.cpl === 3 ? (write ? TLB_UW : TLB_UR) : (write ? TLB_SW : TLB_SR);
  }
  private hpa(lin: number, access: number, size = 1): number {
    const e = this.mmu.tlb[lin >>> 12];
    if (e & this.need(access === ACC_WRITE)) {
      const hit = (e & ~0xfff) | (lin & 0xfff);
      // A write to a page with decoded instructions drops them (self-modifying code stays correct);
      // every write marks its host page dirty (time travel's checkpoints copy only those).
      if (access === ACC_WRITE) { this.mem.dirty[hit >>> 12] = 1; if (this.mem.codePages[hit >>> 12] !== 0) this.mem.codeWritten(hit >>> 12); }
      return hit;
    }
    const h = this.mmu.translate(lin, access);
    if (access === ACC_WRITE) { this.mem.dirty[h >>> 12] = 1; if (this.mem.codePages[h >>> 12] !== 0) this.mem.codeWritten(h >>> 12); }
    // Pages holding a data breakpoint are never cached in the TLB, so every access to them lands here.
    if (this.dbgDataBps) checkDataBreakpoints(this, lin, size, access === ACC_WRITE);
    if (this.dbgWatch !== null && this.dbgWatch.check(lin, h, size, access === ACC_WRITE)) this.dbgHits |= WATCH_HIT;
    return h;
  }
  // Fast paths: a TLB hit with the permission bit for the current privilege (TLB_SR << 2 is TLB_UR,
  // TLB_SW << 2 is TLB_UW: CPL 3 is a user access, CPL 0-2 supervisor) and no page crossing reads or
  // writes host memory directly; anything else takes the general path through hpa().
  readLin8(lin: number): number {
    const e = this.mmu.tlb[lin >>> 12];
    if ((e & (TLB_SR << (this.cpl & 2))) !== 0) return this.mem.u8[(e & ~0xfff) | (lin & 0xfff)];
    return this.mem.u8[this.hpa(lin, ACC_READ)];
  }
  readLin16(lin: number): number {
    const e = this.mmu.tlb[lin >>> 12];
    if ((e & (TLB_SR << (this.cpl & 2))) !== 0 && (lin & 0xfff) !== 0xfff) {
      const h = (e & ~0xfff) | (lin & 0xfff), u8 = this.mem.u8;
      return u8[h] | (u8[h + 1] << 8);
    }
    if ((lin & 0xfff) === 0xfff) return this.readLin8(lin) | (this.readLin8(lin + 1) << 8);
    const h = this.hpa(lin, ACC_READ, 2);
    return this.mem.u8[h] | (this.mem.u8[h + 1] << 8);
  }
  readLin32(lin: number): number {
    const e = this.mmu.tlb[lin >>> 12];
    if ((e & (TLB_SR << (this.cpl & 2))) !== 0 && (lin & 0xfff) <= 0xffc) {
      const h = (e & ~0xfff) | (lin & 0xfff);
      return (h & 3) === 0 ? this.mem.i32[h >> 2] : this.mem.read32(h as never);
    }
    if ((lin & 0xfff) > 0xffc) return this.readLin16(lin) | (this.readLin16(lin + 2) << 16);
    return this.mem.read32(this.hpa(lin, ACC_READ, 4) as never);
  }
  writeLin8(lin: number, v: number): void {
    const e = this.mmu.tlb[lin >>> 12];
    if ((e & (TLB_SW << (this.cpl & 2))) !== 0) {
      const h = (e & ~0xfff) | (lin & 0xfff);
      this.mem.dirty[h >>> 12] = 1;
      if (this.mem.codePages[h >>> 12] !== 0) this.mem.codeWritten(h >>> 12);
      this.mem.u8[h] = v;
      return;
    }
    this.mem.u8[this.hpa(lin, ACC_WRITE)] = v;
  }
  writeLin16(lin: number, v: number): void {
    if ((lin & 0xfff) === 0xfff) {
      // Check both pages before writing either, so a fault leaves memory unchanged.
      const a = this.hpa(lin, ACC_WRITE), b = this.hpa(lin + 1, ACC_WRITE);
      this.mem.u8[a] = v; this.mem.u8[b] = v >> 8;
      return;
    }
    const h = this.hpa(lin, ACC_WRITE, 2);
    this.mem.u8[h] = v; this.mem.u8[h + 1] = v >> 8;
  }
  writeLin32(lin: number, v: number): void {
    const e = this.mmu.tlb[lin >>> 12];
    if ((e & (TLB_SW << (this.cpl & 2))) !== 0 && (lin & 0xfff) <= 0xffc) {
      const h = (e & ~0xfff) | (lin & 0xfff);
      this.mem.dirty[h >>> 12] = 1;
      if (this.mem.codePages[h >>> 12] !== 0) this.mem.codeWritten(h >>> 12);
      if ((h & 3) === 0) this.mem.i32[h >> 2] = v;
      else { const u8 = this.mem.u8; u8[h] = v; u8[h + 1] = v >> 8; u8[h + 2] = v >> 16; u8[h + 3] = v >> 24; }
      return;
    }
    if ((lin & 0xfff) > 0xffc) {
      for (let k = 0; k < 4; k++) this.hpa(lin + k, ACC_WRITE);
      for (let k = 0; k < 4; k++) this.mem.u8[this.hpa(lin + k, ACC_WRITE)] = v >> (8 * k);
      return;
    }
    this.mem.write32(this.hpa(lin, ACC_WRITE, 4) as never, v);
  }
  readLin(lin: number, size: number): number {
    return size === 32 ? this.readLin32(lin) : size === 16 ? this.readLin16(lin) : this.readLin8(lin);
  }
  writeLin(lin: number, size: number, v: number): void {
    if (size === 32) this.writeLin32(lin, v); else if (size === 16) this.writeLin16(lin, v); else this.writeLin8(lin, v);
  }
  /** Instruction fetch (ByteSource for the decoder): offset from the start of the instruction. */
  byteAt(offset: number): number {
    const lin = (this.segBase[CS] + ((this.insnEip + offset) & (this.codeSize === 32 ? -1 : 0xffff))) | 0;
    const e = this.mmu.tlb[lin >>> 12];
    if (e & (this.cpl === 3 ? TLB_UX : TLB_SX)) return this.mem.u8[(e & ~0xfff) | (lin & 0xfff)];
    return this.mem.u8[this.mmu.translate(lin, ACC_FETCH)];
  }

  // ------------------------------------------------------------------ segmentation
  /**
   * Linear address of seg:offset for an access of `size` bytes, with the limit check
   * (SDM Vol. 3A 5.3). #GP(0), or #SS(0) for SS. An expand-down data segment (type bit 2) holds the
   * offsets above its limit up to 0xffff, or 0xffffffff when its B flag is set (SDM 5.3).
   */
  linear(seg: number, offset: number, size: number, write = false): number {
    const ar = this.segAr[seg];
    if (this.protectedMode) {
      if (ar & AR_UNUSABLE) this.raise(seg === SS ? SSF : GP, 0);
      // Type check (SDM 5.4.1, 6.15 #GP): writes only to writable data segments, reads not from
      // execute-only code segments. SEG_ACCESS is per descriptor type (S bit and type field).
      if ((SEG_ACCESS[ar & 0x1f] & (write ? SEG_W : SEG_R)) === 0) this.raise(seg === SS ? SSF : GP, 0);
      const last = (offset >>> 0) + size - 1;
      if ((ar & 0x1c) === 0x14) {
        const upper = ar & AR_DB ? 0xffffffff : 0xffff;
        if ((offset >>> 0) <= (this.segLimit[seg] >>> 0) || last > upper) this.raise(seg === SS ? SSF : GP, 0);
      } else if (last > (this.segLimit[seg] >>> 0)) this.raise(seg === SS ? SSF : GP, 0);
    }
    return (this.segBase[seg] + offset) | 0;
  }

  /** Effective address (offset) of the ModRM memory operand. */
  eaOffset(i: Insn): number {
    let a = i.disp;
    if (i.base >= 0) a += this.reg[i.base];
    if (i.index >= 0) a += this.reg[i.index] * i.scale;
    return i.adSize === 32 ? a | 0 : a & 0xffff;
  }
  eaSeg(i: Insn): number { return i.seg >= 0 ? i.seg : i.defaultSeg; }
  /** Linear address of the ModRM memory operand; `write` for a destination (read-modify-write included). */
  eaLinear(i: Insn, size: number, write = false): number { return this.linear(this.eaSeg(i), this.eaOffset(i), size, write); }

  /** r/m operand read/write by size (8/16/32). */
  readE(i: Insn, size: number): number {
    if (i.mod === 3) return this.getReg(i.rm, size);
    return this.readLin(this.eaLinear(i, size >> 3), size);
  }
  writeE(i: Insn, size: number, v: number): void {
    if (i.mod === 3) this.setReg(i.rm, size, v);
    else this.writeLin(this.eaLinear(i, size >> 3, true), size, v);
  }

  /** Read a descriptor (8 bytes) from the GDT or LDT by selector; #GP(selector) beyond the limit. */
  readDescriptor(sel: number): [number, number] {
    const ti = sel & 4;
    const base = ti ? this.segBase[LDTR] : this.gdtrBase;
    const limit = ti ? this.segLimit[LDTR] : this.gdtrLimit;
    if (ti && (this.segAr[LDTR] & AR_UNUSABLE)) this.raiseGP(sel & 0xfffc);
    const off = sel & 0xfff8;
    if (off + 7 > (limit >>> 0)) this.raiseGP(sel & 0xfffc);
    return [this.readLinSystem32(base + off), this.readLinSystem32(base + off + 4)];
  }
  /** Accesses to system structures (GDT, IDT, TSS) are supervisor accesses (SDM 4.6). */
  readLinSystem32(lin: number): number {
    const c = this.cpl; this.cpl = 0;
    try { return this.readLin32(lin | 0); } finally { this.cpl = c; }
  }
  writeLinSystem32(lin: number, v: number): void {
    const c = this.cpl; this.cpl = 0;
    try { this.writeLin32(lin | 0, v); } finally { this.cpl = c; }
  }
  setDescriptorAccessed(sel: number, hi: number): void {
    if (hi & 0x100) return;
    const base = (sel & 4) ? this.segBase[LDTR] : this.gdtrBase;
    this.writeLinSystem32(base + (sel & 0xfff8) + 4, hi | 0x100);
  }

  /** Descriptor → VMCS-format cache fields. */
  static descBase(lo: number, hi: number): number { return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0; }
  static descLimit(lo: number, hi: number): number {
    const raw = (lo & 0xffff) | (hi & 0xf0000);
    return hi & 0x800000 ? ((raw << 12) | 0xfff) | 0 : raw;
  }
  static descAr(hi: number): number { return ((hi >> 8) & 0xff) | ((hi >> 8) & 0xf000); }

  /**
   * Load a data/stack segment register (MOV/POP/LxS) with the protected-mode checks of SDM Vol. 2
   * "MOV—Move" and Vol. 3A 5.5-5.6. Real mode: base = selector << 4.
   */
  loadSeg(s: number, sel: number): void {
    sel &= 0xffff;
    if (!this.protectedMode) {
      this.segSel[s] = sel;
      this.segBase[s] = sel << 4;
      if (s === CS) this.segAr[s] = (this.segAr[s] & ~0x6000) | 0x9b; else this.segAr[s] = this.segAr[s] & ~AR_UNUSABLE | AR_P | AR_S | 3;
      if (this.eflags & VM) { this.segLimit[s] = 0xffff; this.segAr[s] = s === CS ? 0xfb : 0xf3; }
      return;
    }
    if ((sel & 0xfffc) === 0) {
      if (s === SS) this.raiseGP(0);
      this.setSegCache(s, sel, 0, 0, AR_UNUSABLE);
      return;
    }
    const [lo, hi] = this.readDescriptor(sel);
    const ar = Cpu.descAr(hi);
    const rpl = sel & 3, dpl = (ar >> 5) & 3;
    const type = ar & 0xf;
    const isCode = (type & 8) !== 0;
    if (!(ar & AR_S)) this.raiseGP(sel & 0xfffc);
    if (s === SS) {
      if (isCode || !(type & 2) || rpl !== this.cpl || dpl !== this.cpl) this.raiseGP(sel & 0xfffc);
      if (!(ar & AR_P)) this.raise(SSF, sel & 0xfffc);
    } else {
      if (isCode && !(type & 2)) this.raiseGP(sel & 0xfffc); // execute-only code
      const conforming = isCode && (type & 4) !== 0;
      if (!conforming && (rpl > dpl || this.cpl > dpl)) this.raiseGP(sel & 0xfffc);
      if (!(ar & AR_P)) this.raise(NP, sel & 0xfffc);
    }
    this.setDescriptorAccessed(sel, hi);
    this.setSegCache(s, sel, Cpu.descBase(lo, hi), Cpu.descLimit(lo, hi), ar | 1);
    if (s === SS) this.interruptibility |= 2;
  }

  /** Load CS for a far JMP/CALL/RET/IRET to a code segment (same privilege or as the caller checked). */
  loadCs(sel: number, lo: number, hi: number, cpl: number): void {
    this.setDescriptorAccessed(sel, hi);
    this.setSegCache(CS, (sel & 0xfffc) | cpl, Cpu.descBase(lo, hi), Cpu.descLimit(lo, hi), Cpu.descAr(hi) | 1);
    this.cpl = cpl;
  }

  // ------------------------------------------------------------------ stack
  private spMask(): number { return this.stackSize32 ? -1 : 0xffff; }
  push(size: number, v: number): void {
    const m = this.spMask();
    const sp = (this.reg[4] - (size >> 3)) & m;
    this.writeLin(this.linear(SS, sp, size >> 3), size, v);
    this.reg[4] = m === -1 ? sp : (this.reg[4] & ~0xffff) | sp;
  }
  pop(size: number): number {
    const m = this.spMask();
    const sp = this.reg[4] & m;
    const v = this.readLin(this.linear(SS, sp, size >> 3), size);
    this.reg[4] = m === -1 ? (sp + (size >> 3)) | 0 : (this.reg[4] & ~0xffff) | ((sp + (size >> 3)) & 0xffff);
    return v;
  }
  /** Read the stack at ESP + offset without popping. */
  peek(size: number, offset: number): number {
    const m = this.spMask();
    return this.readLin(this.linear(SS, (this.reg[4] + offset) & m, size >> 3), size);
  }

  // ------------------------------------------------------------------ execution
  /** Execute one instruction (or deliver the fault it raises). Throws VM_EXIT out to the caller. */
  step(): void {
    this.insnEip = this.eip;
    // EFLAGS.TF as the instruction begins (single step) and RF (suppresses instruction breakpoints);
    // RF is cleared once the instruction completes (SDM 17.3.1.1), IRET may load it again.
    const dbg = this.eflags & (TF | RF);
    try {
      const address = (this.segBase[CS] + this.eip) | 0;
      if (this.dbgInsnBps && !(dbg & RF)) checkInstructionBreakpoints(this, address);
      if (dbg & RF) this.eflags &= ~RF;
      const i = this.fetchDecoded(address);
      i.address = address;
      if (this.insnStop !== null) {
        if (this.insnStopSkip !== address && this.insnStop(i)) { if (dbg & RF) this.eflags |= RF; throw INSN_STOP; }
        this.insnStopSkip = -1;
      }
      const shadow = this.interruptibility;
      const def = i.def;
      if (def.privileged && this.cpl !== 0) this.raiseGP(0);
      if (this.nonRoot && def.exit) this.vmx!.instruction(this, i);
      i.exec(this, i);
      // STI / MOV SS blocking lasts for one instruction (SDM Vol. 3A 6.8.3).
      if (shadow) this.interruptibility &= ~shadow;
      this.icount++;
      this.faultDepth = 0;
      if ((dbg & TF) || this.dbgHits || this.dbgHeld) this.debugTrap((dbg & TF) !== 0);
    } catch (e) {
      if (e !== GUEST_FAULT) throw e;
      this.eip = this.insnEip;
      this.dbgHits = 0;
      if (dbg & RF) this.eflags |= RF;
      this.deliverException(this.excVector, this.excHasError ? this.excError : -1, 0, false);
    }
  }

  /**
   * The decoded instruction at `lin` (= CS:EIP): from the decoded-instruction cache when the page was
   * seen before, else decoded now (and cached when the instruction lies within one page).
   */
  private fetchDecoded(lin: number): Insn {
    const size = this.codeSize;
    const e = this.mmu.tlb[lin >>> 12];
    const h = (e & (this.cpl === 3 ? TLB_UX : TLB_SX)) ? (e & ~0xfff) | (lin & 0xfff) : this.mmu.translate(lin, ACC_FETCH);
    const cached = this.icache.lookup(h, size);
    if (cached !== undefined) { this.insn = cached; return cached; }
    const cacheable = (lin & 0xfff) <= 0x1000 - 15;
    const i = cacheable ? new Insn() : this.spareInsn;
    if (!this.decoder.decode(this, size, i)) {
      if (this.decoder.fault === DecodeFault.TooLong) this.raiseGP(0);
      this.raiseUD();
    }
    i.decodedFor = size;
    specialize(i);
    if (cacheable) this.icache.store(h, i);
    this.insn = i;
    return i;
  }

  /**
   * The fast loop: instructions already in the decoded-instruction cache whose handlers are fast-loop
   * safe (Insn.fast) run back to back, each as `i.exec(cpu, i)`, until `limit` (an icount). The caller
   * has checked what step() checks per instruction (TF, RF, interruptibility, debug registers,
   * breakpoints) and fast instructions cannot change it. Anything else (a miss in the TLB or the
   * cache, a system instruction) goes through one step() and back to the caller. A fault propagates
   * (GUEST_FAULT) with insnEip at the faulting instruction.
   */
  private runFast(limit: number): void {
    const tlb = this.mmu.tlb, icache = this.icache;
    // Fast instructions change neither CS, the CPL nor the mode: the fetch permission (TLB_SX << 1
    // is TLB_UX, CPL 3 fetches are user accesses), CS.base and the code size hold for the whole loop.
    const fetchBit = TLB_SX << ((this.cpl & 2) >> 1), csBase = this.segBase[CS];
    const codeSize = (this.cr0 & CR0_PE) !== 0 && (this.eflags & VM) === 0 && (this.segAr[CS] & AR_DB) !== 0 ? 32 : 16;
    while (this.icount < limit) {
      const eip = this.eip;
      const lin = (csBase + eip) | 0;
      const e = tlb[lin >>> 12];
      const h = (e & ~0xfff) | (lin & 0xfff);
      const i = (e & fetchBit) !== 0 ? icache.lookup(h, codeSize) : undefined;
      if (i === undefined || !i.fast) { this.step(); return; }
      // A translated block when it fits before the limit (exec/block.ts); hot starts get translated.
      const block = i.block;
      if (!this.translate) { /* plain interpreter: tests compare blocks against it */ } else if (block !== null) {
        if (this.icount + i.blockLength <= limit) { block(this, limit); continue; }
      } else if (i.hot >= 0 && ++i.hot >= HOT) {
        const b = translateBlock(icache, i, h);
        if (b === null) i.hot = -1; else { i.block = b.fn; i.blockLength = b.length; }
      }
      this.insnEip = eip;
      this.insn = i;
      i.exec(this, i);
      this.icount++;
      this.faultDepth = 0;
    }
  }

  /** Debug traps after a completed instruction (single step, data breakpoints): #DB with DR6 (SDM 17.3). */
  private debugTrap(tf: boolean): void {
    // An instruction that delivered a software interrupt entered its handler with TF clear: the
    // single-step trap is taken after the handler's IRET, not before its first instruction.
    if (tf && this.softIntAt === this.icount - 1) tf = false;
    const watch = (this.dbgHits & WATCH_HIT) !== 0;
    const bits = pendingDebugTraps(this, tf, (this.interruptibility & 2) !== 0);
    if (watch && !bits) throw WATCH_STOP; // the debugger's data watch: stop after the instruction
    if (!bits) return;
    this.dr[6] = (this.dr[6] & ~0x400f) | bits | DR6_FIXED1;
    this.insnEip = this.eip; // a trap: the saved EIP (and a VM exit's GUEST_RIP) is the next instruction
    this.deliverException(DB, -1, 0, false);
  }

  /**
   * Run guest instructions until `budget` are retired, a VM exit, an instruction breakpoint, HLT or
   * shutdown. Returns a RUN_* code. The architectural state is always consistent on return.
   */
  run(budget: number): number {
    const stopAt = this.icount + budget;
    const bps = this.breakpoints;
    for (;;) {
      try {
        while (this.icount < stopAt) {
          if (this.activity !== 0) return this.activity === 2 ? RUN_SHUTDOWN : RUN_HALTED;
          if (bps.size || this.insnStop !== null) {
            const pc = (this.segBase[CS] + this.eip) | 0;
            if (bps.has(pc >>> 0) && this.bpSkip !== pc) return RUN_BREAKPOINT;
            this.insnStopSkip = this.bpSkip === pc ? pc : -1;
            this.bpSkip = -1;
          }
          if (this.icount >= this.vmxEventAt) this.vmx!.instructionBoundary(this);
          // Nothing that step() checks per instruction is armed: run the fast loop up to the budget or
          // the next VMX boundary event, else one instruction the general way.
          const limit = stopAt < this.vmxEventAt ? stopAt : this.vmxEventAt;
          if ((this.eflags & (TF | RF)) === 0 && (this.interruptibility | this.dbgInsnBps | this.dbgDataBps | this.dbgHeld | this.dbgIoBps) === 0
            && bps.size === 0 && this.dbgWatch === null && this.insnStop === null && limit > this.icount) this.runFast(limit);
          else this.step();
        }
        return RUN_BUDGET;
      } catch (e) {
        if (e === VM_EXIT) return RUN_VMEXIT;
        if (e === WATCH_STOP) return RUN_WATCH;
        if (e === INSN_STOP) return RUN_INSN_STOP;
        if (e !== GUEST_FAULT) throw e;
      }
      // A fault raised in the fast loop: restart the instruction and deliver it, as step() does.
      try {
        this.eip = this.insnEip;
        this.dbgHits = 0;
        this.deliverException(this.excVector, this.excHasError ? this.excError : -1, 0, false);
      } catch (e) {
        if (e === VM_EXIT) return RUN_VMEXIT;
        throw e;
      }
    }
  }

  // ------------------------------------------------------------------ exceptions and interrupts
  /**
   * Deliver an exception or interrupt (SDM Vol. 3A 6.12-6.15): VM exit if the exception bitmap says so,
   * double fault on a contributory pair, triple fault (shutdown / VM exit 2) beyond that.
   * `insnLength` > 0 marks a software interrupt (INT n/INT3/INTO): EIP is past the instruction.
   */
  deliverException(vector: number, errorCode: number, insnLength: number, software: boolean): void {
    if (this.vmx && this.nonRoot) this.vmx.exception(this, vector, errorCode, errorCode >= 0, insnLength, software);
    // Safety net only: the class rules below end every chain in #DF and then a triple fault.
    if (++this.faultDepth > 8) { this.faultDepth = 0; this.tripleFault(); return; }
    if (vector === PFV && !software) this.cr2 = this.pfAddress;
    const type = this.injectType >= 0 ? this.injectType : software ? (vector === 3 || vector === 4 ? 6 : 4) : vector === 2 ? 2 : 3;
    this.injectType = -1;
    this.vectoring = (0x80000000 | vector | (type << 8) | (errorCode >= 0 ? 0x800 : 0)) >>> 0;
    this.vectoringError = errorCode >= 0 ? errorCode : 0;
    this.frameRf = type === 3 && ((RF_FAULT_VECTORS >>> vector) & 1) === 1 && vector < 32;
    try {
      if (this.protectedMode) this.deliverProtected(vector, errorCode, software);
      else this.deliverReal(vector);
    } catch (e) {
      if (e !== GUEST_FAULT) throw e;
      const second = this.excVector, secondError = this.excHasError ? this.excError : -1;
      if (software) this.eip = this.insnEip; // a fault delivering INT n points at the INT
      // In VMX non-root operation the nested exception is subject to the exception bitmap (a #PF exit
      // while delivering, under shadow paging), with the first event in IDT-vectoring information.
      if (this.vmx && this.nonRoot) this.vmx.exception(this, second, secondError, secondError >= 0, 0, false);
      // SDM Table 6-5: a fault while delivering #DF shuts the processor down (triple fault);
      // contributory then contributory, and page fault then contributory or page fault, become #DF;
      // any other pair is handled serially (the second exception is delivered).
      if (vector === DFV) { this.faultDepth = 0; this.tripleFault(); return; }
      const c1 = exceptionClass(vector), c2 = exceptionClass(second);
      if ((c1 === CONTRIBUTORY && c2 === CONTRIBUTORY) || (c1 === PAGE_FAULT && c2 !== BENIGN)) {
        this.deliverException(DFV, 0, 0, false);
      } else {
        this.deliverException(second, secondError, 0, false);
      }
    }
    this.faultDepth = 0;
    this.vectoring = 0;
  }

  /** Triple fault: shutdown, or VM exit reason 2 in VMX non-root operation (SDM Vol. 3C 27.2). */
  tripleFault(): void {
    if (this.vmx && this.nonRoot) this.vmx.tripleFault(this);
    this.activity = 2;
  }

  private deliverReal(vector: number): void {
    const ent = this.readLin32(this.idtrBase + vector * 4);
    this.push(16, this.getEflags());
    this.push(16, this.segSel[CS]);
    this.push(16, this.eip);
    this.eflags &= ~(IF | TF | 0x40000 /* AC */);
    this.loadSeg(CS, ent >>> 16);
    this.eip = ent & 0xffff;
  }

  private deliverProtected(vector: number, errorCode: number, software: boolean): void {
    const gateOff = vector * 8;
    const ext = software ? 0 : 1;
    if (gateOff + 7 > (this.idtrLimit >>> 0)) this.raiseGP(gateOff + 2 + ext);
    const lo = this.readLinSystem32(this.idtrBase + gateOff);
    const hi = this.readLinSystem32(this.idtrBase + gateOff + 4);
    const type = (hi >> 8) & 0x1f;
    const gdpl = (hi >> 13) & 3;
    if (software && gdpl < this.cpl) this.raiseGP(gateOff + 2);
    if (!(hi & 0x8000)) this.raise(NP, gateOff + 2 + ext);
    if (type === 5) { idtTaskGate(this, lo, errorCode, ext); return; } // task gate (SDM 6.11.1, 7.3)
    const is32 = (type & 8) !== 0;
    const trap = (type & 1) !== 0;
    if ((type & 0x16) !== 0x06) this.raiseGP(gateOff + 2 + ext);
    const sel = lo >>> 16;
    const offset = is32 ? ((lo & 0xffff) | (hi & 0xffff0000)) : lo & 0xffff;
    if ((sel & 0xfffc) === 0) this.raiseGP(ext);
    const [clo, chi] = this.readDescriptor(sel);
    const car = Cpu.descAr(chi);
    if (!(car & AR_S) || !(car & 8)) this.raiseGP((sel & 0xfffc) + ext);
    const dpl = (car >> 5) & 3;
    if (dpl > this.cpl) this.raiseGP((sel & 0xfffc) + ext);
    if (!(car & AR_P)) this.raise(NP, (sel & 0xfffc) + ext);
    const conforming = (car & 4) !== 0;
    const size = is32 ? 32 : 16;
    const oldFlags = this.getEflags() | (this.frameRf ? RF : 0);
    if (offset >>> 0 > Cpu.descLimit(clo, chi) >>> 0) this.raiseGP(ext);
    atomically(this, () => {
      const oldCs = this.segSel[CS];
      if (!conforming && dpl < this.cpl) {
        // Inner-privilege: switch to the stack in the TSS for the new CPL (SDM 6.12.1), #TS/#SS checks.
        const oldSs = this.segSel[SS], oldEsp = this.reg[4];
        const esp = switchToInnerStack(this, dpl, ext);
        this.cpl = dpl;
        this.reg[4] = esp;
        try {
          this.push(size, oldSs);
          this.push(size, oldEsp);
          this.push(size, oldFlags);
          this.push(size, oldCs);
          this.push(size, this.eip);
          if (errorCode >= 0) this.push(size, errorCode);
        } catch (e) {
          // The new stack has no room for the frame: #SS(new SS selector + EXT) (SDM INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT").
          if (e === GUEST_FAULT && this.excVector === SSF) this.raise(SSF, (this.segSel[SS] & 0xfffc) | ext);
          throw e;
        }
      } else {
        this.push(size, oldFlags);
        this.push(size, oldCs);
        this.push(size, this.eip);
        if (errorCode >= 0) this.push(size, errorCode);
      }
      this.loadCs(sel, clo, chi, conforming ? this.cpl : dpl);
    });
    this.eip = offset;
    this.eflags &= ~(TF | 0x4000 /* NT */ | VM | 0x10000 /* RF */);
    if (!trap) this.eflags &= ~IF;
  }

  /** SS:ESP for privilege level `pl` from the current TSS (SDM Figure 7-2; 16-bit TSS: SP/SS pairs, Figure 7-11). */
  tssStack(pl: number): [number, number] {
    const trType = this.segAr[TR] & 0xf;
    if (!(this.segAr[TR] & AR_UNUSABLE) && (trType === 1 || trType === 3)) {
      const off16 = 2 + pl * 4;
      if (off16 + 3 > (this.segLimit[TR] >>> 0)) this.raise(TS, this.segSel[TR] & 0xfffc);
      const w = this.readLinSystem32(this.segBase[TR] + off16);
      return [w >>> 16, w & 0xffff];
    }
    if (this.segAr[TR] & AR_UNUSABLE || (this.segAr[TR] & 0xf) !== 0xb && (this.segAr[TR] & 0xf) !== 0x9) this.raise(TS, this.segSel[TR] & 0xfffc);
    const off = 4 + pl * 8;
    if (off + 7 > (this.segLimit[TR] >>> 0)) this.raise(TS, this.segSel[TR] & 0xfffc);
    const esp = this.readLinSystem32(this.segBase[TR] + off);
    const ss = this.readLinSystem32(this.segBase[TR] + off + 4) & 0xffff;
    return [ss, esp];
  }
}

export { ES, CS, SS, DS, FS, GS, ACC_FETCH };
