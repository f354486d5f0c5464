// Small instruction exits the VMM turns on (vmm/exitPolicy.ts), each emulated as KVM does:
//   INVD (13, always exits) and WBINVD (54, WBINVD exiting): NOPs; no non-coherent DMA, so there is
//     nothing to write back (KVM's handle_invd / kvm_emulate_wbinvd);
//   MWAIT (36) and MONITOR (39): NOPs (KVM's default, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS); MWAIT may
//     return at any time architecturally (SDM MWAIT "implementation-dependent events");
//   PAUSE (40, PAUSE exiting, optional): a NOP; the exit itself yields (pause-loop exiting is not modelled);
//   RDPMC (15): the virtual CPU has no performance counters (CPUID.0AH is not reported), so every
//     counter index is invalid: #GP(0) (SDM RDPMC; KVM's kvm_emulate_rdpmc with no vPMU);
//   RDTSC (16, RDTSC exiting, optional): EDX:EAX = icount + TSC_OFFSET, the value the processor would
//     have returned with TSC offsetting (SDM 26.3), so trapping changes no result.
import type { ExitHandler } from '../exitHandler';
import { queueException, skipInstruction } from '../exitHandler';
import { guestTsc } from '../exitPolicy';

export const handleNopInstruction: ExitHandler = (_vmm, vcpu) => { skipInstruction(vcpu); return undefined; };

export const handleRdpmc: ExitHandler = (_vmm, vcpu) => { queueException(vcpu, 13, 0); return undefined; };

export const handleRdtsc: ExitHandler = (_vmm, vcpu) => {
  const t = guestTsc(vcpu.vmcs, vcpu.cpu.icount);
  const hi = Math.floor(t / 0x100000000);
  vcpu.regs[0] = (t - hi * 0x100000000) | 0;
  vcpu.regs[2] = hi | 0;
  skipInstruction(vcpu);
  return undefined;
};
