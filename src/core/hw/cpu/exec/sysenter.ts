// SYSENTER / SYSEXIT (SDM Vol. 2; Vol. 3A 5.8.7): fast transitions to CPL 0 and back to CPL 3 with
// flat segments derived from IA32_SYSENTER_CS, without reading any descriptor. CPUID.1:EDX.SEP.
import type { Cpu } from '../cpu';
import type { Insn } from '../../../isa/insn';
import type { ExecTable } from './execTypes';
import { CS, IF, SS, VM, RF } from '../regs';

// Access rights (VMCS format) of the fixed descriptors: 4-GiB flat, G = 1, D/B = 1, accessed.
const CODE_AR = 0xc09b, DATA_AR = 0xc093, DPL3 = 3 << 5;

function sysenter(cpu: Cpu, _i: Insn): void {
  if (!(cpu.cr0 & 1) || (cpu.sysenterCs & 0xfffc) === 0) cpu.raiseGP(0);
  cpu.setEflags(cpu.getEflags() & ~(VM | IF | RF));
  const cs = cpu.sysenterCs & 0xfffc;
  cpu.setSegCache(CS, cs, 0, -1, CODE_AR);
  cpu.setSegCache(SS, (cs + 8) & 0xffff, 0, -1, DATA_AR);
  cpu.cpl = 0;
  cpu.reg[4] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip;
}

function sysexit(cpu: Cpu, _i: Insn): void {
  if (!(cpu.cr0 & 1) || (cpu.sysenterCs & 0xfffc) === 0 || cpu.cpl !== 0) cpu.raiseGP(0);
  const cs = cpu.sysenterCs;
  cpu.setSegCache(CS, ((cs + 16) | 3) & 0xffff, 0, -1, CODE_AR | DPL3);
  cpu.setSegCache(SS, ((cs + 24) | 3) & 0xffff, 0, -1, DATA_AR | DPL3);
  cpu.cpl = 3;
  cpu.reg[4] = cpu.reg[1];
  cpu.eip = cpu.reg[2];
}

export const sysenterExec: ExecTable = { sysenter, sysexit };
