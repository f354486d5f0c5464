// Protected-mode far transfers through gates and across privilege levels (SDM Vol. 3A 5.8):
// far JMP/CALL to code segments and through call gates (5.8.3-5.8.5), the inner stack from the TSS
// with parameter copy (5.8.5, Figure 5-13), and the checks on the new stack segment (#TS). Task
// gates and TSS descriptors go to the task switch (../taskSwitch.ts).
import type { Cpu } from '../cpu';
import { Cpu as CpuClass } from '../cpu';
import { GUEST_FAULT } from '../cpuSignals';
import { farTaskTransfer } from '../taskSwitch';
import { AR_P, AR_S, CS, NP, SS, SSF, TS } from '../regs';

export const descAr = (hi: number): number => ((hi >> 8) & 0xff) | ((hi >> 8) & 0xf000);
const descLimit = (lo: number, hi: number): number => {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return hi & 0x800000 ? (((raw << 12) | 0xfff) >>> 0) : raw;
};
const sysType = (ar: number): number => ar & 0x1f; // S = 0 plus the 4-bit type
const CALL_GATE16 = 0x04, CALL_GATE32 = 0x0c, TASK_GATE = 0x05, TSS16 = 0x01, TSS32 = 0x09;

/** Run `f`; on a guest fault, put CPL, CS, SS and ESP back as they were (faults leave no trace). */
export function atomically(cpu: Cpu, f: () => void): void {
  const cpl = cpu.cpl, esp = cpu.reg[4];
  const ss = [cpu.segSel[SS], cpu.segBase[SS], cpu.segLimit[SS], cpu.segAr[SS]];
  const cs = [cpu.segSel[CS], cpu.segBase[CS], cpu.segLimit[CS], cpu.segAr[CS]];
  try { f(); } catch (e) {
    if (e === GUEST_FAULT) {
      cpu.cpl = cpl; cpu.reg[4] = esp;
      cpu.setSegCache(SS, ss[0], ss[1], ss[2], ss[3]);
      cpu.setSegCache(CS, cs[0], cs[1], cs[2], cs[3]);
    }
    throw e;
  }
}

/**
 * The stack for privilege level `dpl` from the current TSS, with the checks of SDM 5.8.5 / 6.12.1:
 * #TS(SS selector) unless it is a present... writable data segment with RPL = DPL = the new CPL;
 * #SS(SS selector) if not present. `ext` is the EXT bit for the error code. Returns the loaded
 * stack pointer (SS is loaded into the cache, CPL is not changed).
 */
export function switchToInnerStack(cpu: Cpu, dpl: number, ext: number): number {
  const [ssSel, esp] = cpu.tssStack(dpl);
  const err = (ssSel & 0xfffc) | ext;
  if ((ssSel & 0xfffc) === 0) cpu.raise(TS, ext);
  if (!descriptorInLimits(cpu, ssSel)) cpu.raise(TS, err);
  const [lo, hi] = cpu.readDescriptor(ssSel);
  const ar = descAr(hi);
  if ((ssSel & 3) !== dpl || ((ar >> 5) & 3) !== dpl || !(ar & AR_S) || (ar & 8) || !(ar & 2)) cpu.raise(TS, err);
  if (!(ar & AR_P)) cpu.raise(SSF, err);
  cpu.setDescriptorAccessed(ssSel, hi);
  cpu.setSegCache(SS, ssSel, CpuClass.descBase(lo, hi), CpuClass.descLimit(lo, hi), ar | 1);
  return esp;
}

function descriptorInLimits(cpu: Cpu, sel: number): boolean {
  const limit = sel & 4 ? cpu.segLimit[6] : cpu.gdtrLimit;
  return (sel & 0xfff8) + 7 <= (limit >>> 0);
}

/** Checks on the target code segment of a far JMP/CALL (direct or from a call gate). */
function checkCode(cpu: Cpu, sel: number, viaGate: boolean, isCall: boolean): [number, number, number] {
  if ((sel & 0xfffc) === 0) cpu.raiseGP(0);
  const [lo, hi] = cpu.readDescriptor(sel);
  const ar = descAr(hi);
  if (!(ar & AR_S) || !(ar & 8)) cpu.raiseGP(sel & 0xfffc);
  const dpl = (ar >> 5) & 3, rpl = sel & 3;
  const conforming = (ar & 4) !== 0;
  if (conforming) { if (dpl > cpu.cpl) cpu.raiseGP(sel & 0xfffc); }
  else if (viaGate) { if (isCall ? dpl > cpu.cpl : dpl !== cpu.cpl) cpu.raiseGP(sel & 0xfffc); }
  else if (rpl > cpu.cpl || dpl !== cpu.cpl) cpu.raiseGP(sel & 0xfffc);
  if (!(ar & AR_P)) cpu.raise(NP, sel & 0xfffc);
  return [lo, hi, ar];
}

/** Far JMP or CALL in protected mode (SDM JMP / CALL operation). `retEip` for CALL, -1 for JMP. */
export function farTransfer(cpu: Cpu, sel: number, off: number, size: number, retEip: number): void {
  const isCall = retEip !== -1;
  if ((sel & 0xfffc) === 0) cpu.raiseGP(0);
  const [glo, ghi] = cpu.readDescriptor(sel);
  const gar = descAr(ghi);
  if (gar & AR_S) {
    const [lo, hi] = checkCode(cpu, sel, false, isCall);
    const t = size === 16 ? off & 0xffff : off >>> 0;
    if (t > descLimit(lo, hi)) cpu.raiseGP(0);
    atomically(cpu, () => {
      if (isCall) { const rc = cpu.segSel[CS]; cpu.push(size, rc); cpu.push(size, retEip); }
      cpu.loadCs(sel, lo, hi, cpu.cpl);
    });
    cpu.eip = t | 0;
    return;
  }
  const type = sysType(gar);
  const gdpl = (gar >> 5) & 3;
  if (type === TASK_GATE || type === TSS16 || type === TSS32) {
    // Task switches (SDM Vol. 3A 7.3): the EIP saved in the old TSS is the next instruction.
    farTaskTransfer(cpu, sel, glo, ghi, isCall, isCall ? retEip : (cpu.eip + cpu.insn.length) | 0);
    return;
  }
  if (type !== CALL_GATE16 && type !== CALL_GATE32) cpu.raiseGP(sel & 0xfffc);
  if (gdpl < cpu.cpl || gdpl < (sel & 3)) cpu.raiseGP(sel & 0xfffc);
  if (!(gar & AR_P)) cpu.raise(NP, sel & 0xfffc);
  const gate32 = type === CALL_GATE32;
  const codeSel = glo >>> 16;
  const target = gate32 ? ((glo & 0xffff) | (ghi & 0xffff0000)) >>> 0 : glo & 0xffff;
  const [lo, hi, ar] = checkCode(cpu, codeSel, true, isCall);
  const dpl = (ar >> 5) & 3;
  if (target > descLimit(lo, hi)) cpu.raiseGP(0);
  const gsize = gate32 ? 32 : 16;
  if (!isCall) {
    cpu.loadCs(codeSel, lo, hi, cpu.cpl);
    cpu.eip = target | 0;
    return;
  }
  if (!(ar & 4) && dpl < cpu.cpl) {
    // CALL to a more privileged level: inner stack from the TSS, parameters copied (SDM Figure 5-13).
    const count = ghi & 0x1f;
    atomically(cpu, () => {
      const oldSs = cpu.segSel[SS], oldEsp = cpu.reg[4];
      const oldMask = cpu.stackSize32 ? -1 : 0xffff;
      const params: number[] = [];
      for (let k = 0; k < count; k++) {
        params.push(cpu.readLin(cpu.linear(SS, (oldEsp + k * (gsize >> 3)) & oldMask, gsize >> 3), gsize));
      }
      const retCs = cpu.segSel[CS];
      const esp = switchToInnerStack(cpu, dpl, 0);
      cpu.cpl = dpl;
      cpu.reg[4] = esp;
      try {
        cpu.push(gsize, oldSs);
        cpu.push(gsize, oldEsp);
        for (let k = count - 1; k >= 0; k--) cpu.push(gsize, params[k]);
        cpu.push(gsize, retCs);
        cpu.push(gsize, retEip);
      } catch (e) {
        // A push that does not fit the new stack is #SS(new SS selector) (SDM CALL: "stack limit").
        if (e === GUEST_FAULT && (cpu.excVector === SSF)) cpu.raise(SSF, cpu.segSel[SS] & 0xfffc);
        throw e;
      }
      cpu.loadCs(codeSel, lo, hi, dpl);
    });
  } else {
    atomically(cpu, () => {
      const rc = cpu.segSel[CS];
      cpu.push(gsize, rc);
      cpu.push(gsize, retEip);
      cpu.loadCs(codeSel, lo, hi, cpu.cpl);
    });
  }
  cpu.eip = target | 0;
}
