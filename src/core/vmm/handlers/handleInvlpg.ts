// INVLPG exits (reason 14, SDM 26.1.3 "INVLPG exiting"; KVM's handle_invlpg -> kvm_mmu_invlpg): the
// exit qualification is the linear address. The shadow MMU syncs that page's shadow entry if its
// shadow page is unsync (lazy policy) and invalidates the guest's translation (INVVPID, one address).
import type { ExitHandler } from '../exitHandler';
import { skipInstruction } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';

export const handleInvlpg: ExitHandler = (vmm, vcpu) => {
  const gva = vcpu.vmcs.read(VMCS.EXIT_QUALIFICATION) >>> 0;
  if (vmm.shadow) vmm.shadow.invlpg(vcpu, gva);
  else vcpu.vmx.invvpid(0, gva);
  skipInstruction(vcpu);
  return undefined;
};
