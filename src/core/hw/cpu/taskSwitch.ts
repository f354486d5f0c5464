// Hardware task switching (SDM Vol. 3A 7.3 "Task Switching", 7.4 "Task Linking"; the JMP, CALL,
// IRET and INT n pseudo-code of Vol. 2): far JMP/CALL to a TSS descriptor or a task gate, an interrupt
// or exception through a task gate in the IDT, and IRET with EFLAGS.NT = 1 back through the previous-task
// link. 32-bit (type 9/11) and 16-bit (type 1/3) TSS formats, the busy bit, CR3 (32-bit TSS) and LDTR
// loads from the new TSS, CR0.TS, and the checks of Table 7-1 with their #TS/#NP/#SS/#GP error codes.
//
// The switch has a commit point (SDM 7.3 step 8 onwards): every check before it faults in the context
// of the old task with nothing changed (the fault EIP is the instruction); after it, the old task's
// state is in its TSS and a fault while loading the new task's segments is delivered in the new task.
//
// In VMX non-root operation a task switch always causes a VM exit (SDM Vol. 3C 25.4.2 / 26.1.2,
// reason 9, qualification Table 27-2): the checks the processor makes before the exit are done here,
// then `cpu.vmx.taskSwitch` exits; the hypervisor emulates the switch (vmm/handlers/handleTaskSwitch.ts)
// with this same code on a scratch processor.
import type { Cpu } from './cpu';
import { writeCr } from './exec/system';
import { AR_P, AR_S, AR_UNUSABLE, CR0_TS, CS, DS, ES, FS, GP, GS, LDTR, NP, SS, SSF, TR, TS, VM } from './regs';

/** Source of the task switch as the VM-exit qualification encodes it (SDM Vol. 3C Table 27-2, bits 31:30). */
export const TS_SOURCE_CALL = 0, TS_SOURCE_IRET = 1, TS_SOURCE_JMP = 2, TS_SOURCE_IDT = 3;

const NT = 0x4000;
const TYPE_TSS16 = 1, TYPE_TSS16_BUSY = 3, TYPE_TSS32 = 9, TYPE_TSS32_BUSY = 11;
/** Minimum TSS limits (SDM 7.2.2 / 7.6: 104 bytes for a 32-bit TSS, 44 for a 16-bit one). */
const MIN_LIMIT32 = 0x67, MIN_LIMIT16 = 0x2b;

/** Offsets of the dynamic fields (SDM Figure 7-2, 32-bit TSS; Figure 7-11, 16-bit TSS). */
const T32 = { link: 0, cr3: 0x1c, eip: 0x20, eflags: 0x24, gpr: 0x28, seg: 0x48, ldt: 0x60, trap: 0x64 } as const;
const T16 = { link: 0, ip: 0x0e, flags: 0x10, gpr: 0x12, seg: 0x22, ldt: 0x2a } as const;

function sysRead16(cpu: Cpu, lin: number): number {
  const c = cpu.cpl; cpu.cpl = 0;
  try { return cpu.readLin16(lin | 0); } finally { cpu.cpl = c; }
}
function sysWrite16(cpu: Cpu, lin: number, v: number): void {
  const c = cpu.cpl; cpu.cpl = 0;
  try { cpu.writeLin16(lin | 0, v); } finally { cpu.cpl = c; }
}

/** A TSS descriptor read from the GDT, with its checks (the "#GP/#TS(selector)" family). */
interface TssDesc { sel: number; lo: number; hi: number; type: number; base: number; limit: number }

function descBase(lo: number, hi: number): number { return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0; }
function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? ((raw << 12) | 0xfff) | 0 : raw;
}

/**
 * Read the TSS descriptor `sel` from the GDT. `vector`: the exception for a selector that does not name a
 * GDT TSS descriptor (#GP for JMP/CALL/INT, #TS for IRET); `busyWanted`: IRET needs a busy TSS, the
 * others an available one (a busy one is #GP, SDM JMP/CALL/INT pseudo-code; #TS for IRET).
 */
function readTssDescriptor(cpu: Cpu, sel: number, vector: number, busyWanted: boolean, ext: number): TssDesc {
  const err = (sel & 0xfffc) | ext;
  if ((sel & 4) || (sel & 0xfff8) + 7 > (cpu.gdtrLimit >>> 0) || (sel & 0xfffc) === 0) cpu.raise(vector, err);
  const at = cpu.gdtrBase + (sel & 0xfff8);
  const lo = cpu.readLinSystem32(at), hi = cpu.readLinSystem32(at + 4);
  const type = (hi >> 8) & 0x1f; // S = 0 and the system type
  const isTss = type === TYPE_TSS16 || type === TYPE_TSS16_BUSY || type === TYPE_TSS32 || type === TYPE_TSS32_BUSY;
  if (!isTss) cpu.raise(vector, err);
  const busy = (type & 2) !== 0;
  if (busy !== busyWanted) cpu.raise(busyWanted ? TS : GP, err);
  if (!(hi & 0x8000)) cpu.raise(NP, err);
  return { sel: sel & 0xffff, lo, hi, type, base: descBase(lo, hi), limit: descLimit(lo, hi) };
}

/**
 * Far JMP or CALL to a system descriptor that names a task (SDM JMP / CALL "TASK-GATE" and
 * "TASK-STATE-SEGMENT"): the privilege checks on the task gate (its TSS descriptor's DPL is not
 * checked) or on the TSS descriptor, then the switch. `nextEip` is the EIP saved in the old TSS.
 */
export function farTaskTransfer(cpu: Cpu, sel: number, glo: number, ghi: number, isCall: boolean, nextEip: number): void {
  const type = (ghi >> 8) & 0x1f;
  const dpl = (ghi >> 13) & 3;
  if (dpl < cpu.cpl || dpl < (sel & 3)) cpu.raise(GP, sel & 0xfffc);
  if (!(ghi & 0x8000)) cpu.raise(NP, sel & 0xfffc);
  // Through a task gate: the TSS selector is in the gate (bits 31:16 of the low dword).
  const tssSel = type === 5 ? glo >>> 16 : sel;
  const source = isCall ? TS_SOURCE_CALL : TS_SOURCE_JMP;
  const desc = readTssDescriptor(cpu, tssSel, GP, false, 0);
  if (cpu.nonRoot && cpu.vmx?.taskSwitch) cpu.vmx.taskSwitch(cpu, desc.sel, source);
  switchTasks(cpu, desc, source, nextEip, -1, 0);
}

/**
 * An interrupt or exception through a task gate in the IDT (SDM 6.11 / INT n "TASK-GATE"): `lo`/`hi` are the
 * gate, whose DPL and P the caller checked. The error code, if any, is pushed on the new task's stack.
 */
export function idtTaskGate(cpu: Cpu, lo: number, errorCode: number, ext: number): void {
  const desc = readTssDescriptor(cpu, lo >>> 16, GP, false, ext);
  if (cpu.nonRoot && cpu.vmx?.taskSwitch) cpu.vmx.taskSwitch(cpu, desc.sel, TS_SOURCE_IDT);
  switchTasks(cpu, desc, TS_SOURCE_IDT, cpu.eip, errorCode, ext);
}

/** IRET with EFLAGS.NT = 1 (SDM IRET "TASK-RETURN"): back to the task in the previous-task link of the current TSS. */
export function iretTaskReturn(cpu: Cpu, nextEip: number): void {
  const link = sysRead16(cpu, cpu.segBase[TR] + 0);
  const desc = readTssDescriptor(cpu, link, TS, true, 0);
  if (cpu.nonRoot && cpu.vmx?.taskSwitch) cpu.vmx.taskSwitch(cpu, desc.sel, TS_SOURCE_IRET);
  switchTasks(cpu, desc, TS_SOURCE_IRET, nextEip, -1, 0);
}

/** The new task's state, read from its TSS before the commit point. */
interface NewState { eip: number; eflags: number; gpr: number[]; seg: number[]; ldt: number; cr3: number; trap: boolean }

function readNewState(cpu: Cpu, d: TssDesc): NewState {
  const b = d.base;
  if (d.type & 8) {
    const gpr: number[] = [], seg: number[] = [];
    for (let k = 0; k < 8; k++) gpr.push(cpu.readLinSystem32(b + T32.gpr + 4 * k));
    for (let k = 0; k < 6; k++) seg.push(cpu.readLinSystem32(b + T32.seg + 4 * k) & 0xffff);
    return {
      eip: cpu.readLinSystem32(b + T32.eip), eflags: cpu.readLinSystem32(b + T32.eflags), gpr, seg,
      ldt: cpu.readLinSystem32(b + T32.ldt) & 0xffff, cr3: cpu.readLinSystem32(b + T32.cr3),
      trap: (sysRead16(cpu, b + T32.trap) & 1) !== 0,
    };
  }
  const gpr: number[] = [], seg: number[] = [];
  for (let k = 0; k < 8; k++) gpr.push(sysRead16(cpu, b + T16.gpr + 2 * k));
  for (let k = 0; k < 4; k++) seg.push(sysRead16(cpu, b + T16.seg + 2 * k));
  seg.push(0, 0); // no FS/GS in a 16-bit TSS: the selectors become null (as Bochs and QEMU do)
  return { eip: sysRead16(cpu, b + T16.ip), eflags: sysRead16(cpu, b + T16.flags), gpr, seg, ldt: sysRead16(cpu, b + T16.ldt), cr3: -1, trap: false };
}

/** Set or clear the busy bit (type bit 1) of the TSS descriptor `sel` in the GDT (SDM 7.2.2). */
function setBusy(cpu: Cpu, sel: number, busy: boolean): void {
  const at = cpu.gdtrBase + (sel & 0xfff8) + 4;
  const hi = cpu.readLinSystem32(at);
  cpu.writeLinSystem32(at, busy ? hi | 0x200 : hi & ~0x200);
}

/** Save the current task's dynamic state into its TSS (SDM 7.3 step 7). */
function saveOldState(cpu: Cpu, eip: number, eflags: number): void {
  const b = cpu.segBase[TR];
  const is32 = (cpu.segAr[TR] & 8) !== 0;
  if (is32) {
    cpu.writeLinSystem32(b + T32.eip, eip);
    cpu.writeLinSystem32(b + T32.eflags, eflags);
    for (let k = 0; k < 8; k++) cpu.writeLinSystem32(b + T32.gpr + 4 * k, cpu.reg[k]);
    for (let k = 0; k < 6; k++) sysWrite16(cpu, b + T32.seg + 4 * k, cpu.segSel[k]);
  } else {
    sysWrite16(cpu, b + T16.ip, eip);
    sysWrite16(cpu, b + T16.flags, eflags);
    for (let k = 0; k < 8; k++) sysWrite16(cpu, b + T16.gpr + 2 * k, cpu.reg[k]);
    for (let k = 0; k < 4; k++) sysWrite16(cpu, b + T16.seg + 2 * k, cpu.segSel[k]);
  }
}

/**
 * The switch proper, from the TSS limit check on (SDM 7.3 steps 3-12). `eip` is saved as the old
 * task's EIP; `errorCode` >= 0 is pushed on the new task's stack; `ext` is the EXT bit of error codes.
 */
function switchTasks(cpu: Cpu, d: TssDesc, source: number, eip: number, errorCode: number, ext: number): void {
  const is32 = (d.type & 8) !== 0;
  // Table 7-1: the new TSS must be large enough (#TS(new TSS selector)); the current TSS too, since it is written.
  if ((d.limit >>> 0) < (is32 ? MIN_LIMIT32 : MIN_LIMIT16)) cpu.raise(TS, (d.sel & 0xfffc) | ext);
  const oldIs32 = (cpu.segAr[TR] & 8) !== 0;
  if ((cpu.segAr[TR] & AR_UNUSABLE) || (cpu.segLimit[TR] >>> 0) < (oldIs32 ? MIN_LIMIT32 : MIN_LIMIT16)) cpu.raise(TS, (cpu.segSel[TR] & 0xfffc) | ext);
  // Everything the switch reads or writes is touched first, so a #PF comes before the commit point.
  const ns = readNewState(cpu, d);
  const oldBase = cpu.segBase[TR];
  const probe = oldIs32 ? [T32.eip, T32.seg + 20] : [T16.ip, T16.seg + 6];
  for (const off of probe) { const v = sysRead16(cpu, oldBase + off); sysWrite16(cpu, oldBase + off, v); }
  if (source === TS_SOURCE_CALL || source === TS_SOURCE_IDT) { const v = sysRead16(cpu, d.base); sysWrite16(cpu, d.base, v); }

  // ---- commit point: from here on faults belong to the new task.
  const oldSel = cpu.segSel[TR];
  let oldFlags = cpu.getEflags();
  if (source === TS_SOURCE_JMP || source === TS_SOURCE_IRET) setBusy(cpu, oldSel, false);
  if (source === TS_SOURCE_IRET) oldFlags &= ~NT; // the returning task is no longer nested (SDM 7.4.1)
  saveOldState(cpu, eip, oldFlags);
  let newFlags = ns.eflags;
  if (source === TS_SOURCE_CALL || source === TS_SOURCE_IDT) {
    sysWrite16(cpu, d.base + 0, oldSel); // previous-task link (SDM 7.4)
    newFlags |= NT;
  }
  if (source !== TS_SOURCE_IRET) setBusy(cpu, d.sel, true);
  cpu.setSegCache(TR, d.sel, d.base, d.limit, ((d.hi >> 8) & 0xff | 2 | ((d.hi >> 8) & 0xf000)) & ~0x10);
  cpu.cr0 |= CR0_TS;
  // CR3 from a 32-bit TSS (SDM 7.3 step 10: "if paging is enabled", but the field is loaded regardless on P6).
  if (ns.cr3 !== -1 && (cpu.cr0 & 0x80000000)) writeCr(cpu, 3, ns.cr3);
  cpu.setEflags(is32 ? newFlags : (cpu.getEflags() & 0xffff0000) | (newFlags & 0xffff));
  if (!is32) cpu.eflags &= ~VM;
  cpu.eip = is32 ? ns.eip : ns.eip & 0xffff;
  // A fault from here on is taken with the new task's EIP as the return address (SDM 7.3 step 12).
  cpu.insnEip = cpu.eip;
  for (let k = 0; k < 8; k++) cpu.reg[k] = is32 ? ns.gpr[k] : (cpu.reg[k] & ~0xffff) | (ns.gpr[k] & 0xffff);
  // Selectors first with unusable caches, so a fault below leaves a consistent new-task context.
  for (let s = 0; s < 6; s++) cpu.setSegCache(s, ns.seg[s], 0, 0, s === CS ? cpu.segAr[CS] : AR_UNUSABLE);
  cpu.setSegCache(LDTR, ns.ldt, 0, 0, AR_UNUSABLE);
  loadNewTaskSegments(cpu, ns, ext);
  // EIP beyond the new code segment's limit: #GP(0) in the new task (Table 7-1).
  if (!(cpu.eflags & VM) && (cpu.eip >>> 0) > (cpu.segLimit[CS] >>> 0)) cpu.raise(GP, 0);
  if (errorCode >= 0) cpu.push(is32 ? 32 : 16, errorCode);
  cpu.interruptibility &= ~3;
}

/** Load LDTR and the segment registers of the new task with the checks of SDM Table 7-1. */
function loadNewTaskSegments(cpu: Cpu, ns: NewState, ext: number): void {
  // LDTR: null is allowed; else a present LDT descriptor in the GDT, else #TS(LDT selector).
  const ldt = ns.ldt;
  if ((ldt & 0xfffc) !== 0) {
    const err = (ldt & 0xfffc) | ext;
    if ((ldt & 4) || (ldt & 0xfff8) + 7 > (cpu.gdtrLimit >>> 0)) cpu.raise(TS, err);
    const lo = cpu.readLinSystem32(cpu.gdtrBase + (ldt & 0xfff8)), hi = cpu.readLinSystem32(cpu.gdtrBase + (ldt & 0xfff8) + 4);
    if (((hi >> 8) & 0x1f) !== 2 || !(hi & 0x8000)) cpu.raise(TS, err);
    cpu.setSegCache(LDTR, ldt, descBase(lo, hi), descLimit(lo, hi), (hi >> 8) & 0xff | ((hi >> 8) & 0xf000));
  }
  if (cpu.eflags & VM) {
    // Virtual-8086 task: real-mode style segments at CPL 3.
    cpu.cpl = 3;
    for (const s of [CS, SS, DS, ES, FS, GS]) cpu.loadSeg(s, ns.seg[s]);
    return;
  }
  const csSel = ns.seg[CS];
  const cpl = csSel & 3;
  // CS: a present code segment; non-conforming with DPL = RPL, conforming with DPL <= RPL.
  {
    const [lo, hi, ar] = taskDescriptor(cpu, csSel, ext);
    const dpl = (ar >> 5) & 3;
    if (!(ar & AR_S) || !(ar & 8) || ((ar & 4) ? dpl > cpl : dpl !== cpl)) cpu.raise(TS, (csSel & 0xfffc) | ext);
    if (!(ar & AR_P)) cpu.raise(NP, (csSel & 0xfffc) | ext);
    cpu.cpl = cpl;
    cpu.setDescriptorAccessed(csSel, hi);
    cpu.setSegCache(CS, csSel, descBase(lo, hi), descLimit(lo, hi), ar | 1);
  }
  // SS: a writable data segment with RPL = DPL = CPL (#TS), present (#SS).
  {
    const ssSel = ns.seg[SS];
    const [lo, hi, ar] = taskDescriptor(cpu, ssSel, ext);
    const err = (ssSel & 0xfffc) | ext;
    if (!(ar & AR_S) || (ar & 8) || !(ar & 2) || (ssSel & 3) !== cpl || ((ar >> 5) & 3) !== cpl) cpu.raise(TS, err);
    if (!(ar & AR_P)) cpu.raise(SSF, err);
    cpu.setDescriptorAccessed(ssSel, hi);
    cpu.setSegCache(SS, ssSel, descBase(lo, hi), descLimit(lo, hi), ar | 1);
  }
  for (const s of [ES, DS, FS, GS]) {
    const sel = ns.seg[s];
    if ((sel & 0xfffc) === 0) { cpu.setSegCache(s, sel, 0, 0, AR_UNUSABLE); continue; }
    const [lo, hi, ar] = taskDescriptor(cpu, sel, ext);
    const err = (sel & 0xfffc) | ext;
    const isCode = (ar & 8) !== 0;
    if (!(ar & AR_S) || (isCode && !(ar & 2))) cpu.raise(TS, err);
    const dpl = (ar >> 5) & 3;
    if (!(isCode && (ar & 4)) && ((sel & 3) > dpl || cpl > dpl)) cpu.raise(TS, err);
    if (!(ar & AR_P)) cpu.raise(NP, err);
    cpu.setDescriptorAccessed(sel, hi);
    cpu.setSegCache(s, sel, descBase(lo, hi), descLimit(lo, hi), ar | 1);
  }
}

/** A segment descriptor named by the new task: #TS(selector) when null or beyond its table (Table 7-1). */
function taskDescriptor(cpu: Cpu, sel: number, ext: number): [number, number, number] {
  const err = (sel & 0xfffc) | ext;
  if ((sel & 0xfffc) === 0) cpu.raise(TS, err);
  const ti = sel & 4;
  if (ti && (cpu.segAr[LDTR] & AR_UNUSABLE)) cpu.raise(TS, err);
  const base = ti ? cpu.segBase[LDTR] : cpu.gdtrBase;
  const limit = ti ? cpu.segLimit[LDTR] : cpu.gdtrLimit;
  if ((sel & 0xfff8) + 7 > (limit >>> 0)) cpu.raise(TS, err);
  const lo = cpu.readLinSystem32(base + (sel & 0xfff8)), hi = cpu.readLinSystem32(base + (sel & 0xfff8) + 4);
  return [lo, hi, ((hi >> 8) & 0xff) | ((hi >> 8) & 0xf000)];
}

/**
 * The hypervisor's task-switch emulation (KVM's emulator_task_switch, after a VM exit with reason 9):
 * switch to the TSS `tssSel` from `source` on a processor in root operation loaded with the guest's
 * state. The gate and privilege checks were made by the processor before it exited.
 */
export function emulateTaskSwitch(cpu: Cpu, tssSel: number, source: number, nextEip: number, errorCode: number, ext: number): void {
  const desc = readTssDescriptor(cpu, tssSel, source === TS_SOURCE_IRET ? TS : GP, source === TS_SOURCE_IRET, ext);
  switchTasks(cpu, desc, source, nextEip, errorCode, ext);
}
