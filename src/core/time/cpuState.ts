// Save / restore of one processor (hw/cpu Cpu): general registers, EIP and EFLAGS with the lazy-flag
// state, segment registers with their descriptor caches, descriptor-table registers, control and
// debug registers, the MSR-backed fields, PAE PDPTE registers, activity and interruptibility state,
// the instruction count and the per-instruction exception bookkeeping. The TLB and the decoded-
// instruction cache are caches, not state: restoring flushes the TLB (the caller drops stale decodes
// of the pages it rewrites). Whether the processor is in VMX non-root operation is restored by the
// vCPU component (vmm/vcpu + hw/vmx VmxCpu.restoreOperation), which owns the latched controls.
import type { Cpu } from '../hw/cpu/cpu';
import { armDebugRegisters } from '../hw/cpu/debugExceptions';
import { LF_NONE, materialize } from '../hw/cpu/lazyFlags';
import type { Snapshotable, StateReader, StateWriter } from './stateIo';

/** Bump when the layout below changes (test/unit/time/layout.test.ts pins the byte length per version). */
export const CPU_STATE_VERSION = 3;

export class CpuState implements Snapshotable {
  readonly stateName: string;
  constructor(private readonly cpu: Cpu) { this.stateName = `cpu${cpu.id}`; }

  saveState(w: StateWriter): void {
    const c = this.cpu;
    w.begin(this.stateName, CPU_STATE_VERSION);
    w.i32s(c.reg);
    // EFLAGS is saved materialized, with an empty lazy-flag record: how the flags were last computed
    // (a translated block, a handler, a replayed step) is not machine state, and two runs that reach
    // the same architectural state must save the same bytes (state hashes, compare-two-moments).
    w.i32(c.eip); w.i32(c.lfOp !== LF_NONE ? materialize(c) : c.eflags);
    w.i32(LF_NONE); w.i32(0); w.i32(0); w.i32(0); w.i32(0); w.i32(0);
    w.i32s(c.segSel); w.i32s(c.segBase); w.i32s(c.segLimit); w.i32s(c.segAr);
    w.i32(c.gdtrBase); w.i32(c.gdtrLimit); w.i32(c.idtrBase); w.i32(c.idtrLimit);
    w.i32(c.cr0); w.i32(c.cr2); w.i32(c.cr3); w.i32(c.cr4); w.i32(c.efer);
    w.i32s(c.dr);
    w.i32(c.cpl);
    w.i32(c.sysenterCs); w.i32(c.sysenterEsp); w.i32(c.sysenterEip); w.i32(c.patLo); w.i32(c.patHi);
    w.i32(c.activity); w.i32(c.interruptibility);
    w.f64(c.icount);
    w.i32(c.dbgHits); w.i32(c.dbgHeld);
    w.bool(c.nonRoot);
    w.i32(c.insnEip);
    w.i32(c.excVector); w.i32(c.excError); w.bool(c.excHasError); w.i32(c.pfAddress); w.f64(c.softIntAt);
    w.i32s(c.mmu.pdpte);
    w.i32(c.debugCtl); // version 2
    w.i32(c.nmiBlocked ? 1 : 0); // version 3
  }

  loadState(r: StateReader): void {
    const c = this.cpu;
    r.begin(this.stateName, CPU_STATE_VERSION);
    r.i32sInto(c.reg);
    c.eip = r.i32(); c.eflags = r.i32();
    c.lfOp = r.i32(); c.lfDst = r.i32(); c.lfSrc = r.i32(); c.lfRes = r.i32(); c.lfSize = r.i32(); c.lfCin = r.i32();
    r.i32sInto(c.segSel); r.i32sInto(c.segBase); r.i32sInto(c.segLimit); r.i32sInto(c.segAr);
    c.gdtrBase = r.i32(); c.gdtrLimit = r.i32(); c.idtrBase = r.i32(); c.idtrLimit = r.i32();
    c.cr0 = r.i32(); c.cr2 = r.i32(); c.cr3 = r.i32(); c.cr4 = r.i32(); c.efer = r.i32();
    r.i32sInto(c.dr);
    c.cpl = r.i32();
    c.sysenterCs = r.i32(); c.sysenterEsp = r.i32(); c.sysenterEip = r.i32(); c.patLo = r.i32(); c.patHi = r.i32();
    c.activity = r.i32(); c.interruptibility = r.i32();
    c.icount = r.f64();
    c.dbgHits = r.i32(); c.dbgHeld = r.i32();
    c.nonRoot = r.bool();
    c.insnEip = r.i32();
    c.excVector = r.i32(); c.excError = r.i32(); c.excHasError = r.bool(); c.pfAddress = r.i32(); c.softIntAt = r.f64();
    r.i32sInto(c.mmu.pdpte);
    c.debugCtl = r.i32();
    c.nmiBlocked = r.i32() !== 0;
    c.bpSkip = -1;
    armDebugRegisters(c); // DR7 -> armed instruction / data breakpoints, watched pages
    c.mmu.flushAll();
  }
}
