// Would this decoded instruction cause a VM exit if it ran now, and if not, why not? Answers from the
// opcode table's exit data (OpcodeDef.exit: reason and controlling VMCS control) and the vCPU's
// current VM-execution controls, the way the processor decides (SDM Vol. 3C 26.1 "Instructions That
// Cause VM Exits Unconditionally", 26.1.3 "Instructions That Cause VM Exits Conditionally").
// Side-effect free: used to describe a privileged / sensitive instruction stop before it executes.
import type { Insn } from '../isa/insn';
import type { Vmcs } from '../hw/vmx/vmcs';
import { VMCS } from '../hw/vmx/vmcsFields';
import { CpuBasedControls as P, SecondaryExecControls as S } from '../hw/vmx/vmxControls';

export interface ExitOutlook {
  /** True when the instruction exits under the current controls. */
  exits: boolean;
  /** SDM Appendix C name of the exit it causes or could cause ('' when it never exits). */
  reason: string;
  /** One sentence: why it exits, or why it does not. */
  why: string;
}

/** What the outlook needs of the vCPU: its VMCS, guest GPRs and host-physical bytes (I/O and MSR bitmaps). */
export interface OutlookContext {
  vmcs: Vmcs;
  reg: ArrayLike<number>;
  hostByte(hpa: number): number;
}

const hx = (n: number): string => '0x' + (n >>> 0).toString(16);

export function exitOutlook(i: Insn, c: OutlookContext): ExitOutlook {
  const def = i.def;
  const ex = def.exit;
  if (!ex) {
    return {
      exits: false, reason: '',
      why: 'VT-x has no exit for it: the guest kernel runs at its real CPL 0 in VMX non-root operation, so it executes natively (and behaves correctly)',
    };
  }
  const v = c.vmcs;
  const proc = v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = proc & P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS ? v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) : 0;
  const ctl = (on: boolean, name: string): ExitOutlook => ({
    exits: on, reason: ex.reason,
    why: on ? `${name} is set in the VM-execution controls` : `${name} is clear in the VM-execution controls, so it runs in the guest without an exit`,
  });
  switch (ex.reason) {
    case 'HLT': return ctl((proc & P.CPU_BASED_HLT_EXITING) !== 0, '"HLT exiting"');
    case 'INVLPG': return ctl((proc & P.CPU_BASED_INVLPG_EXITING) !== 0, '"INVLPG exiting"');
    case 'RDTSC': case 'RDTSCP': return ctl((proc & P.CPU_BASED_RDTSC_EXITING) !== 0, '"RDTSC exiting"');
    case 'RDPMC': return ctl((proc & P.CPU_BASED_RDPMC_EXITING) !== 0, '"RDPMC exiting"');
    case 'PAUSE_INSTRUCTION': return ctl((proc & P.CPU_BASED_PAUSE_EXITING) !== 0, '"PAUSE exiting"');
    case 'MWAIT_INSTRUCTION': return ctl((proc & P.CPU_BASED_MWAIT_EXITING) !== 0, '"MWAIT exiting"');
    case 'MONITOR_INSTRUCTION': return ctl((proc & P.CPU_BASED_MONITOR_EXITING) !== 0, '"MONITOR exiting"');
    case 'DR_ACCESS': return ctl((proc & P.CPU_BASED_MOV_DR_EXITING) !== 0, '"MOV-DR exiting"');
    case 'WBINVD': return ctl((proc2 & S.SECONDARY_EXEC_WBINVD_EXITING) !== 0, '"WBINVD exiting" (secondary)');
    case 'GDTR_IDTR': case 'LDTR_TR': return ctl((proc2 & S.SECONDARY_EXEC_DESC) !== 0, '"descriptor-table exiting" (secondary)');
    case 'IO_INSTRUCTION': return ioOutlook(i, c, proc);
    case 'CR_ACCESS': return crOutlook(i, c, proc);
    case 'MSR_READ': case 'MSR_WRITE': return msrOutlook(c, proc, ex.reason === 'MSR_WRITE');
    case 'EXCEPTION_NMI': {
      if (def.mnemonic !== 'int3') return { exits: false, reason: ex.reason, why: `software interrupts (INT n) are not subject to the exception bitmap (SDM 25.2)` };
      const on = ((v.read(VMCS.EXCEPTION_BITMAP) >>> 3) & 1) === 1;
      return { exits: on, reason: ex.reason, why: on ? 'exception bitmap bit 3 (#BP) is set' : 'exception bitmap bit 3 (#BP) is clear: #BP goes through the guest IDT' };
    }
    default:
      if (ex.when === 'always' || /^always/.test(ex.when)) return { exits: true, reason: ex.reason, why: 'it exits unconditionally in VMX non-root operation (SDM 26.1.2)' };
      return { exits: false, reason: ex.reason, why: `it exits only with ${ex.when}` };
  }
}

function ioOutlook(i: Insn, c: OutlookContext, proc: number): ExitOutlook {
  const op = i.opcode;
  const port = op === 0xe4 || op === 0xe5 || op === 0xe6 || op === 0xe7 ? i.imm & 0xff : c.reg[2] & 0xffff;
  if (proc & P.CPU_BASED_USE_IO_BITMAPS) {
    // I/O bitmap A covers ports 0-0x7fff, B 0x8000-0xffff (SDM 25.6.4); one byte checked per port.
    const bm = port < 0x8000 ? VMCS.IO_BITMAP_A : VMCS.IO_BITMAP_B;
    const base = c.vmcs.read(bm) & ~0xfff;
    const on = ((c.hostByte(base + ((port & 0x7fff) >> 3)) >> (port & 7)) & 1) === 1;
    return { exits: on, reason: 'IO_INSTRUCTION', why: `the I/O bitmap bit for port ${hx(port)} is ${on ? 'set' : 'clear'}` };
  }
  const on = (proc & P.CPU_BASED_UNCOND_IO_EXITING) !== 0;
  return { exits: on, reason: 'IO_INSTRUCTION', why: on ? '"unconditional I/O exiting" is set' : 'no I/O bitmaps and "unconditional I/O exiting" is clear' };
}

function crOutlook(i: Insn, c: OutlookContext, proc: number): ExitOutlook {
  const v = c.vmcs;
  const r = 'CR_ACCESS';
  if (i.opcode === 0x0f20) { // MOV from CR (SDM 26.1.3)
    const cr = i.reg;
    if (cr === 3) {
      const on = (proc & P.CPU_BASED_CR3_STORE_EXITING) !== 0;
      return { exits: on, reason: r, why: on ? '"CR3-store exiting" is set' : '"CR3-store exiting" is clear' };
    }
    return { exits: false, reason: r, why: `MOV from CR${cr} never exits: bits the host owns read from the CR${cr} read shadow` };
  }
  if (i.opcode === 0x0f22) { // MOV to CR
    const cr = i.reg, value = c.reg[i.rm] >>> 0;
    if (cr === 0 || cr === 4) {
      const mask = v.read(cr === 0 ? VMCS.CR0_GUEST_HOST_MASK : VMCS.CR4_GUEST_HOST_MASK);
      const shadow = v.read(cr === 0 ? VMCS.CR0_READ_SHADOW : VMCS.CR4_READ_SHADOW);
      const diff = ((value ^ shadow) & mask) >>> 0;
      return {
        exits: diff !== 0, reason: r,
        why: diff !== 0
          ? `the value ${hx(value)} differs from the CR${cr} read shadow in host-owned bits ${hx(diff)} (guest/host mask ${hx(mask)})`
          : `the value agrees with the CR${cr} read shadow in every host-owned bit (guest/host mask ${hx(mask)})`,
      };
    }
    if (cr === 3) {
      const on = (proc & P.CPU_BASED_CR3_LOAD_EXITING) !== 0;
      return { exits: on, reason: r, why: on ? '"CR3-load exiting" is set (no CR3-target value matches)' : '"CR3-load exiting" is clear: under EPT the guest owns CR3' };
    }
    return { exits: false, reason: r, why: `MOV to CR${cr} does not exit` };
  }
  const mask = v.read(VMCS.CR0_GUEST_HOST_MASK);
  return { exits: (mask & 0xf) !== 0, reason: r, why: `CLTS / LMSW exit only for CR0 bits 0-3 the host owns (guest/host mask ${hx(mask)})` };
}

function msrOutlook(c: OutlookContext, proc: number, write: boolean): ExitOutlook {
  const msr = c.reg[1] >>> 0;
  const r = write ? 'MSR_WRITE' : 'MSR_READ';
  if (!(proc & P.CPU_BASED_USE_MSR_BITMAPS)) return { exits: true, reason: r, why: 'no MSR bitmaps: every RDMSR / WRMSR exits' };
  // MSR bitmap layout (SDM 25.6.9): read-low, read-high, write-low, write-high, 1 KiB each.
  const base = c.vmcs.read(VMCS.MSR_BITMAP) & ~0xfff;
  let off = -1;
  if (msr <= 0x1fff) off = (write ? 2048 : 0) + (msr >> 3);
  else if (msr >= 0xc0000000 && msr <= 0xc0001fff) off = (write ? 3072 : 1024) + ((msr - 0xc0000000) >> 3);
  if (off < 0) return { exits: true, reason: r, why: `MSR ${hx(msr)} is outside the bitmap ranges: it always exits` };
  const on = ((c.hostByte(base + off) >> (msr & 7)) & 1) === 1;
  return { exits: on, reason: r, why: `the MSR bitmap bit for ${hx(msr)} is ${on ? 'set' : 'clear'}` };
}
