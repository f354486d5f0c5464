// MOV DR (exit reason 29) with MOV-DR exiting (KVM's handle_dr): the VMM emulates the access to the
// guest's debug registers. DR0-DR3 and DR6 stay on the processor across exits (only DR7 and
// IA32_DEBUGCTL are switched, by the save/load debug controls: SDM 27.3.1, 26.3.2.1, 27.5.1), so they
// are read and written there; DR7 lives in GUEST_DR7 while the guest is out. Qualification (SDM
// Table 28-4): DR number in bits 2:0, direction in bit 4 (1 = MOV from DR), the GPR in bits 11:8.
// The checks MOV DR makes itself are the handler's (the exit comes first, as in KVM): DR4/DR5 with
// CR4.DE = 1 is #UD; DR7.GD = 1 is a general-detect #DB with DR6.BD set and GD cleared (SDM 17.2.4).
import type { ExitHandler } from '../exitHandler';
import { queueException, skipInstruction } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';

const DR6_FIXED1 = 0xffff0ff0, DR6_BD = 0x2000, DR7_GD = 0x2000, CR4_DE = 8;

export const handleDrAccess: ExitHandler = (_vmm, vcpu) => {
  const v = vcpu.vmcs, cpu = vcpu.cpu;
  const q = v.read(VMCS.EXIT_QUALIFICATION);
  const dr = q & 7, fromDr = (q & 0x10) !== 0, gpr = (q >>> 8) & 15;
  if ((dr === 4 || dr === 5) && (v.read(VMCS.GUEST_CR4) & CR4_DE)) { queueException(vcpu, 6); return undefined; }
  const dr7 = v.read(VMCS.GUEST_DR7);
  if (dr7 & DR7_GD) {
    v.write(VMCS.GUEST_DR7, dr7 & ~DR7_GD);
    cpu.dr[6] = (cpu.dr[6] & ~0xf) | DR6_BD | DR6_FIXED1;
    queueException(vcpu, 1);
    return undefined;
  }
  const n = dr === 4 ? 6 : dr === 5 ? 7 : dr;
  if (fromDr) {
    const val = n === 7 ? v.read(VMCS.GUEST_DR7) : cpu.dr[n];
    if (gpr === 4) v.write(VMCS.GUEST_RSP, val >>> 0); else vcpu.regs[gpr] = val | 0;
  } else {
    const val = gpr === 4 ? v.read(VMCS.GUEST_RSP) : vcpu.regs[gpr];
    // DR6 bits 31:16, 11:4 read as 1 and bit 12 as 0; DR7 bits 15:14 and 12 as 0, bit 10 as 1 (SDM Figures 17-1, 17-2).
    if (n === 7) v.write(VMCS.GUEST_DR7, ((val & ~0xd000) | 0x400) >>> 0);
    else if (n === 6) cpu.dr[6] = (val & ~0x1000) | DR6_FIXED1;
    else cpu.dr[n] = val | 0; // armed for the guest by the next VM entry (armDebugRegisters)
  }
  skipInstruction(vcpu);
  return undefined;
};
