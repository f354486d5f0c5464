// VMX instructions executed by the guest (exit reasons 18-27 but VMCALL, 50 INVEPT, 53 INVVPID): they
// always exit (SDM Vol. 3C 26.1.2). This VMM offers no nested VMX (CPUID.1:ECX.VMX = 0 and CR4.VMXE is
// host-owned), so the guest is outside VMX operation and the instruction raises #UD, as it would on a
// processor without VMX (SDM Vol. 3C 31.3; KVM with nested=0: kvm_queue_exception(vcpu, UD_VECTOR)).
import type { ExitHandler } from '../exitHandler';
import { queueException } from '../exitHandler';

export const handleVmxInstruction: ExitHandler = (_vmm, vcpu) => {
  queueException(vcpu, 6);
  return undefined;
};
