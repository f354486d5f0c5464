// System instructions (SDM Vol. 2 and Vol. 3A): HLT, CLI/STI, PUSHF/POPF, IN/OUT, MOV CRn/DRn, LGDT/LIDT
// and their stores, LLDT/LTR/SLDT/STR, SMSW/LMSW/CLTS, INVLPG, RDMSR/WRMSR, RDTSC, CPUID (outside VMX
// non-root operation, where it always exits), VMX instructions outside VMX operation (#UD), x87
// escapes without an FPU (#NM/#UD).
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import { next, type ExecTable } from './execTypes';
import { checkIoPermission } from './string';
import {
  AR_P, AR_S, CR0_EM, CR0_PE, CR0_PG, CR0_TS, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, CR4_TSD, IF, LDTR, NM, TR, VM,
} from '../regs';
import { Cpu as CpuClass } from '../cpu';
import { cpuidHardware } from '../cpuidHardware';
import { rdmsrHw, wrmsrHw } from '../msrs';
import { descriptorCheckExec } from './descriptorChecks';
import { sysenterExec } from './sysenter';
import { armDebugRegisters, DR6_BD, DR6_FIXED1, DR7_GD } from '../debugExceptions';

function hlt(cpu: Cpu, i: Insn): void {
  next(cpu, i);
  cpu.activity = 1;
}
function cli(cpu: Cpu, i: Insn): void {
  if (cpu.protectedMode && cpu.cpl > cpu.iopl) cpu.raiseGP(0);
  cpu.setEflags(cpu.getEflags() & ~IF);
  next(cpu, i);
}
function sti(cpu: Cpu, i: Insn): void {
  if (cpu.protectedMode && cpu.cpl > cpu.iopl) cpu.raiseGP(0);
  const f = cpu.getEflags();
  if (!(f & IF)) cpu.interruptibility |= 1;
  cpu.setEflags(f | IF);
  next(cpu, i);
}
function pushf(cpu: Cpu, i: Insn): void {
  if ((cpu.eflags & VM) && cpu.iopl < 3) cpu.raiseGP(0);
  cpu.push(i.opSize, cpu.getEflags() & ~0x30000); // VM and RF are not pushed
  next(cpu, i);
}
/** POPF: which bits change depends on CPL and IOPL, silently (SDM POPF) — the Popek-Goldberg problem. */
function popf(cpu: Cpu, i: Insn): void {
  if ((cpu.eflags & VM) && cpu.iopl < 3) cpu.raiseGP(0);
  const v = cpu.pop(i.opSize);
  let changeable = 0x254dd5; // CF PF AF ZF SF TF DF OF NT AC ID (+ IF/IOPL below)
  if (cpu.cpl === 0 || !cpu.protectedMode) changeable |= 0x3000;
  if (cpu.cpl <= cpu.iopl || !cpu.protectedMode) changeable |= IF;
  if (i.opSize === 16) changeable &= 0xffff;
  cpu.setEflags((cpu.getEflags() & ~changeable) | (v & changeable));
  next(cpu, i);
}

function ioPort(cpu: Cpu, i: Insn): number {
  return i.opcode === 0xe4 || i.opcode === 0xe5 || i.opcode === 0xe6 || i.opcode === 0xe7 ? i.imm & 0xff : cpu.reg[2] & 0xffff;
}
function inInsn(cpu: Cpu, i: Insn): void {
  const size = (i.opcode & 1) === 0 ? 8 : i.opSize, port = ioPort(cpu, i);
  checkIoPermission(cpu, port, size >> 3);
  if (cpu.nonRoot) cpu.vmx!.io(cpu, i, port, size >> 3, true, false);
  cpu.setReg(0, size, cpu.ports ? cpu.ports.portIn(port, size >> 3) : -1);
  next(cpu, i);
}
function outInsn(cpu: Cpu, i: Insn): void {
  const size = (i.opcode & 1) === 0 ? 8 : i.opSize, port = ioPort(cpu, i);
  checkIoPermission(cpu, port, size >> 3);
  if (cpu.nonRoot) cpu.vmx!.io(cpu, i, port, size >> 3, false, false);
  cpu.ports?.portOut(port, size >> 3, cpu.getReg(0, size));
  next(cpu, i);
}

/**
 * Load a control register with the architectural checks and TLB effects (SDM Vol. 3A 2.5, 4.10.4).
 * With PAE paging the PDPTE registers are loaded first (SDM 4.4.1), so a bad PDPTE leaves the
 * register unchanged (#GP(0)).
 */
export function writeCr(cpu: Cpu, cr: number, v: number): void {
  switch (cr) {
    case 0: {
      if ((v & CR0_PG) && !(v & CR0_PE)) cpu.raiseGP(0);
      if ((v & 0x20000000) && !(v & 0x40000000)) cpu.raiseGP(0); // NW without CD
      const old = cpu.cr0;
      if ((v & CR0_PG) && !(old & CR0_PG) && (cpu.cr4 & CR4_PAE)) cpu.mmu.loadPdptes(cpu.cr3);
      cpu.cr0 = v | 0x10; // ET is hardwired to 1 on P6
      if ((old ^ cpu.cr0) & (CR0_PG | CR0_WP | CR0_PE)) cpu.mmu.flushAll();
      break;
    }
    case 2: cpu.cr2 = v; break;
    case 3:
      if (cpu.mmu.paePaging()) cpu.mmu.loadPdptes(v);
      cpu.cr3 = v;
      cpu.mmu.flushNonGlobal();
      break;
    case 4: {
      if (v & ~0x27ff) cpu.raiseGP(0); // bits beyond VMXE (13) and the P6 set
      const old = cpu.cr4;
      const paging = (old ^ v) & (CR4_PGE | CR4_PSE | CR4_PAE);
      if (paging && (v & CR4_PAE) && (cpu.cr0 & CR0_PG)) cpu.mmu.loadPdptes(cpu.cr3);
      cpu.cr4 = v;
      // Changing PGE, PSE or PAE invalidates all TLB entries, global ones included (SDM 4.10.4.1).
      if (paging) cpu.mmu.flushAll();
      break;
    }
    default: cpu.raiseUD();
  }
}
function movToCr(cpu: Cpu, i: Insn): void {
  if (i.reg === 1 || i.reg > 4) cpu.raiseUD();
  let v = cpu.reg[i.rm];
  if (cpu.nonRoot) v = cpu.vmx!.crWrite(cpu, i, i.reg, v);
  writeCr(cpu, i.reg, v);
  next(cpu, i);
}
function movFromCr(cpu: Cpu, i: Insn): void {
  if (i.reg === 1 || i.reg > 4) cpu.raiseUD();
  let v = i.reg === 0 ? cpu.cr0 : i.reg === 2 ? cpu.cr2 : i.reg === 3 ? cpu.cr3 : cpu.cr4;
  if (cpu.nonRoot) v = cpu.vmx!.crRead(cpu, i, i.reg, v);
  cpu.reg[i.rm] = v;
  next(cpu, i);
}
/** DR7.GD: any MOV DRn is a general-detect #DB fault, with DR6.BD set and GD cleared (SDM 17.2.4). */
function generalDetect(cpu: Cpu): void {
  if (!(cpu.dr[7] & DR7_GD)) return;
  cpu.dr[7] &= ~DR7_GD;
  cpu.dr[6] = (cpu.dr[6] & ~0xf) | DR6_BD | DR6_FIXED1;
  armDebugRegisters(cpu);
  cpu.raise(1);
}
function movToDr(cpu: Cpu, i: Insn): void {
  const r = i.reg;
  if ((r === 4 || r === 5) && (cpu.cr4 & 8)) cpu.raiseUD();
  generalDetect(cpu);
  const n = r === 4 ? 6 : r === 5 ? 7 : r;
  // DR6 bits 31:16, 11:4 read as 1 and bit 12 as 0; DR7 bits 15:14 and 12 as 0, bit 10 as 1 (Figure 17-1/2).
  cpu.dr[n] = n === 6 ? ((cpu.reg[i.rm] & ~0x1000) | DR6_FIXED1) : n === 7 ? ((cpu.reg[i.rm] & ~0xd000) | 0x400) : cpu.reg[i.rm];
  if (n === 7 || n < 4) armDebugRegisters(cpu);
  next(cpu, i);
}
function movFromDr(cpu: Cpu, i: Insn): void {
  const r = i.reg;
  if ((r === 4 || r === 5) && (cpu.cr4 & 8)) cpu.raiseUD();
  generalDetect(cpu);
  cpu.reg[i.rm] = cpu.dr[r === 4 ? 6 : r === 5 ? 7 : r];
  next(cpu, i);
}
function clts(cpu: Cpu, i: Insn): void {
  const v = cpu.nonRoot ? cpu.vmx!.crWrite(cpu, i, 0, cpu.cr0 & ~CR0_TS) : cpu.cr0 & ~CR0_TS;
  writeCr(cpu, 0, v);
  next(cpu, i);
}
function smsw(cpu: Cpu, i: Insn): void {
  let v = cpu.cr0;
  if (cpu.nonRoot) v = cpu.vmx!.crRead(cpu, i, 0, v);
  if (i.mod === 3) cpu.setReg(i.rm, i.opSize, v); else cpu.writeE(i, 16, v);
  next(cpu, i);
}
function lmsw(cpu: Cpu, i: Insn): void {
  const src = cpu.readE(i, 16);
  // LMSW changes PE (set only), MP, EM, TS (SDM LMSW).
  let v = (cpu.cr0 & ~0xe) | (src & 0xe) | (cpu.cr0 & 1) | (src & 1);
  if (cpu.nonRoot) v = cpu.vmx!.crWrite(cpu, i, 0, v);
  writeCr(cpu, 0, v);
  next(cpu, i);
}

function pseudoDescriptor(cpu: Cpu, i: Insn): [number, number] {
  const a = cpu.eaLinear(i, 6);
  const limit = cpu.readLin16(a);
  let base = cpu.readLin32(a + 2);
  if (i.opSize === 16) base &= 0xffffff;
  return [limit, base];
}
function lgdt(cpu: Cpu, i: Insn): void { const [l, b] = pseudoDescriptor(cpu, i); cpu.gdtrLimit = l; cpu.gdtrBase = b; next(cpu, i); }
function lidt(cpu: Cpu, i: Insn): void { const [l, b] = pseudoDescriptor(cpu, i); cpu.idtrLimit = l; cpu.idtrBase = b; next(cpu, i); }
function storeDt(cpu: Cpu, i: Insn, limit: number, base: number): void {
  const a = cpu.eaLinear(i, 6, true);
  cpu.readLin32(a); cpu.readLin16(a + 4);
  cpu.writeLin16(a, limit);
  cpu.writeLin32(a + 2, base);
  next(cpu, i);
}
function sgdt(cpu: Cpu, i: Insn): void { storeDt(cpu, i, cpu.gdtrLimit, cpu.gdtrBase); }
function sidt(cpu: Cpu, i: Insn): void { storeDt(cpu, i, cpu.idtrLimit, cpu.idtrBase); }
function sldt(cpu: Cpu, i: Insn): void {
  if (!cpu.protectedMode) cpu.raiseUD();
  if (i.mod === 3) cpu.setReg(i.rm, i.opSize, cpu.segSel[LDTR]); else cpu.writeE(i, 16, cpu.segSel[LDTR]);
  next(cpu, i);
}
function str(cpu: Cpu, i: Insn): void {
  if (!cpu.protectedMode) cpu.raiseUD();
  if (i.mod === 3) cpu.setReg(i.rm, i.opSize, cpu.segSel[TR]); else cpu.writeE(i, 16, cpu.segSel[TR]);
  next(cpu, i);
}
function lldt(cpu: Cpu, i: Insn): void {
  if (!cpu.protectedMode) cpu.raiseUD();
  const sel = cpu.readE(i, 16);
  if ((sel & 0xfffc) === 0) { cpu.setSegCache(LDTR, sel, 0, 0, 0x10000); next(cpu, i); return; }
  if (sel & 4) cpu.raiseGP(sel & 0xfffc);
  const [lo, hi] = cpu.readDescriptor(sel);
  const ar = CpuClass.descAr(hi);
  if ((ar & AR_S) || (ar & 0xf) !== 2) cpu.raiseGP(sel & 0xfffc);
  if (!(ar & AR_P)) cpu.raise(11, sel & 0xfffc);
  cpu.setSegCache(LDTR, sel, CpuClass.descBase(lo, hi), CpuClass.descLimit(lo, hi), ar);
  next(cpu, i);
}
function ltr(cpu: Cpu, i: Insn): void {
  if (!cpu.protectedMode) cpu.raiseUD();
  const sel = cpu.readE(i, 16);
  if ((sel & 0xfffc) === 0 || (sel & 4)) cpu.raiseGP(sel & 0xfffc);
  const [lo, hi] = cpu.readDescriptor(sel);
  const ar = CpuClass.descAr(hi);
  const type = ar & 0xf;
  if ((ar & AR_S) || (type !== 1 && type !== 9)) cpu.raiseGP(sel & 0xfffc);
  if (!(ar & AR_P)) cpu.raise(11, sel & 0xfffc);
  cpu.writeLinSystem32(cpu.gdtrBase + (sel & 0xfff8) + 4, hi | 0x200); // mark busy
  cpu.setSegCache(TR, sel, CpuClass.descBase(lo, hi), CpuClass.descLimit(lo, hi), ar | 2);
  next(cpu, i);
}
function invlpg(cpu: Cpu, i: Insn): void {
  cpu.mmu.flushPage(cpu.eaLinear(i, 1));
  next(cpu, i);
}
function wbinvd(cpu: Cpu, i: Insn): void { next(cpu, i); }

function cpuid(cpu: Cpu, i: Insn): void {
  const r = cpuidHardware(cpu.reg[0], cpu.reg[1]);
  cpu.reg[0] = r[0]; cpu.reg[3] = r[1]; cpu.reg[1] = r[2]; cpu.reg[2] = r[3];
  next(cpu, i);
}
function rdtsc(cpu: Cpu, i: Insn): void {
  if ((cpu.cr4 & CR4_TSD) && cpu.cpl !== 0 && cpu.protectedMode) cpu.raiseGP(0);
  // The TSC is derived from the instruction count (invariant 1): deterministic under replay. In VMX
  // non-root operation with "use TSC offsetting" the guest reads TSC + TSC_OFFSET (SDM 26.3 RDTSC).
  const t = cpu.icount + (cpu.nonRoot ? cpu.vmx!.tscOffset ?? 0 : 0);
  cpu.reg[0] = t % 0x100000000 | 0;
  cpu.reg[2] = Math.floor(t / 0x100000000) | 0;
  next(cpu, i);
}
function rdmsr(cpu: Cpu, i: Insn): void {
  if (cpu.nonRoot) cpu.vmx!.msr(cpu, i, false);
  const v = rdmsrHw(cpu, cpu.reg[1] >>> 0);
  if (v === undefined) cpu.raiseGP(0);
  cpu.reg[0] = v[0]; cpu.reg[2] = v[1];
  next(cpu, i);
}
function wrmsr(cpu: Cpu, i: Insn): void {
  if (cpu.nonRoot) cpu.vmx!.msr(cpu, i, true);
  if (!wrmsrHw(cpu, cpu.reg[1] >>> 0, cpu.reg[0], cpu.reg[2])) cpu.raiseGP(0);
  next(cpu, i);
}

/** VMX instructions outside VMX operation raise #UD (SDM Vol. 3C 31.3); in non-root they exit first. */
function vmx(cpu: Cpu): void { cpu.raiseUD(); }
/** x87 escape with no FPU present: #NM if CR0.EM or CR0.TS, else #UD (CPUID.1:EDX.FPU = 0). */
function fpu(cpu: Cpu): void {
  if (cpu.cr0 & (CR0_EM | CR0_TS)) cpu.raise(NM);
  cpu.raiseUD();
}
function fwait(cpu: Cpu, i: Insn): void {
  if ((cpu.cr0 & (CR0_TS | 2)) === (CR0_TS | 2)) cpu.raise(NM);
  next(cpu, i);
}
function pause(cpu: Cpu, i: Insn): void { next(cpu, i); }
function arpl(cpu: Cpu, i: Insn): void {
  if (!cpu.protectedMode) cpu.raiseUD();
  const dst = cpu.readE(i, 16), src = cpu.getReg(i.reg, 16);
  const f = cpu.getEflags();
  if ((dst & 3) < (src & 3)) { cpu.writeE(i, 16, (dst & ~3) | (src & 3)); cpu.setEflags(f | 0x40); }
  else cpu.setEflags(f & ~0x40);
  next(cpu, i);
}

export const systemExec: ExecTable = {
  hlt, cli, sti, pushf, popf, in: inInsn, out: outInsn, movToCr, movFromCr, movToDr, movFromDr, clts, smsw, lmsw,
  lgdt, lidt, sgdt, sidt, sldt, str, lldt, ltr, invlpg, wbinvd, invd: wbinvd, cpuid, rdtsc, rdmsr, wrmsr,
  vmx, vmcall: vmx, fpu, fwait, pause, arpl,
  ...descriptorCheckExec, ...sysenterExec,
};
export { CR0_PG };
