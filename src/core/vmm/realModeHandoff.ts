// Real mode under shadow paging. Without "unrestricted guest" VM entry refuses CR0.PE = 0 (SDM Vol. 3C
// 26.3.1.1), and unrestricted guest requires "enable EPT" (SDM 26.2.1.1). KVM on such hardware runs
// real mode in virtual-8086 mode or in its instruction emulator; this VMM instead runs a vCPU's
// real-mode start-up (the INIT / wait-for-SIPI state and the SIPI trampoline) on its EPT (the identity
// of the memslots it builds anyway) with unrestricted guest, owning CR0.PE so the guest's MOV to CR0
// that sets PE exits (exit 28). There it switches the vCPU's VMCS back to shadow paging (no EPT, no
// unrestricted guest, the shadow root in GUEST_CR3) and lets the shadow CR0 handler complete the MOV.
// From then on the vCPU runs on shadow page tables like the others. Documented in docs/adr/0005.
import type { Vmm } from './vmm';
import type { VCpu } from './vcpu';
import type { ExitHandler } from './exitHandler';
import { VMCS } from '../hw/vmx/vmcsFields';
import { SecondaryExecControls as S } from '../hw/vmx/vmxControls';
import { decodeCrAccess } from '../hw/vmx/exitQualification';
import { SHADOW_CR0_HOST_OWNED } from './shadow/shadowMmu';

/** Switch `vcpu` (under shadow paging) to EPT + unrestricted guest for its real-mode phase. */
export function enterRealModeOnEpt(vmm: Vmm, vcpu: VCpu): void {
  const v = vcpu.vmcs;
  v.write(VMCS.SECONDARY_VM_EXEC_CONTROL, (v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) | S.SECONDARY_EXEC_ENABLE_EPT | S.SECONDARY_EXEC_UNRESTRICTED_GUEST) >>> 0);
  v.write(VMCS.EPT_POINTER, vmm.ept.eptp);
  v.write(VMCS.CR0_GUEST_HOST_MASK, SHADOW_CR0_HOST_OWNED);
  vcpu.realModeOnEpt = true;
}

/** Back to shadow paging once the guest sets CR0.PE. */
function leaveRealModeOnEpt(vmm: Vmm, vcpu: VCpu): void {
  const v = vcpu.vmcs;
  v.write(VMCS.SECONDARY_VM_EXEC_CONTROL, (v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) & ~(S.SECONDARY_EXEC_ENABLE_EPT | S.SECONDARY_EXEC_UNRESTRICTED_GUEST)) >>> 0);
  v.write(VMCS.EPT_POINTER, 0);
  vcpu.realModeOnEpt = false;
  vcpu.cpu.mmu.flushAll();
}

/** CR-access exits: a vCPU in its real-mode phase that sets CR0.PE leaves it first. */
export function withRealModeHandoff(next: ExitHandler): ExitHandler {
  return (vmm, vcpu) => {
    if (!vcpu.realModeOnEpt || !vmm.shadow) return next(vmm, vcpu);
    const v = vcpu.vmcs;
    const q = decodeCrAccess(v.read(VMCS.EXIT_QUALIFICATION));
    const val = q.accessType === 0 ? (q.gpr === 4 ? v.read(VMCS.GUEST_RSP) : vcpu.regs[q.gpr]) : q.accessType === 3 ? q.lmswData : 0;
    const settingPe = q.cr === 0 && (q.accessType === 0 || q.accessType === 3) && (val & 1) !== 0;
    if (!settingPe) return next(vmm, vcpu);
    leaveRealModeOnEpt(vmm, vcpu);
    const stop = next(vmm, vcpu);
    vmm.shadow.initVcpu(vcpu, vmm.shadow.guestCr3(vcpu));
    return stop;
  };
}
