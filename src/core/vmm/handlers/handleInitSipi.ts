// INIT (exit 3) and SIPI (exit 4): the multiprocessor start-up protocol (SDM Vol. 3A 8.4.4,
// INIT-SIPI-SIPI) as a VMM sees it in VMX non-root operation. An INIT signal always exits (SDM Vol. 3C
// 25.2); the VMM emulates it by putting the vCPU into the processor's INIT state (SDM Vol. 3A Table
// 9-1: real mode, CS.base 0xFFFF0000, EIP 0xFFF0, EDX = the processor signature) in the wait-for-SIPI
// activity state (VMCS guest activity state 3, SDM 24.4.2). A SIPI exits only in that state (SDM 25.2,
// qualification = the vector, 27.2.1); the VMM starts the vCPU in real mode at vector << 12
// (CS = vector << 8, IP = 0), which needs "unrestricted guest" (and so EPT): under shadow paging the
// vCPU runs its real-mode start-up on EPT until it sets CR0.PE (realModeHandoff.ts).
import type { ExitHandler } from '../exitHandler';
import type { VCpu } from '../vcpu';
import type { Vmm } from '../vmm';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { ActivityState } from '../../hw/vmx/vmxControls';
import { CR0_HOST_OWNED, CR4_HOST_OWNED } from '../vmcsSetup';
import { enterRealModeOnEpt } from '../realModeHandoff';

/** The processor signature INIT leaves in EDX (CPUID.1:EAX of the virtual CPU, cpuidPolicy.ts). */
const INIT_EDX = 0x000006f1;

/** Load the real-mode INIT state into the VMCS: CS selector/base per `cs`, everything else per Table 9-1. */
export function loadRealModeState(vmm: Vmm, vcpu: VCpu, csSel: number, csBase: number, rip: number, activity: number): void {
  const v = vcpu.vmcs;
  const w = (enc: number, val: number): void => v.write(enc, val >>> 0);
  if (vmm.shadow) enterRealModeOnEpt(vmm, vcpu);
  const cr0 = 0x10; // ET; CD/NW are left clear (this model has no caches to disable)
  w(VMCS.GUEST_CR0, cr0 | CR0_HOST_OWNED); w(VMCS.CR0_READ_SHADOW, cr0 & v.read(VMCS.CR0_GUEST_HOST_MASK));
  w(VMCS.GUEST_CR3, 0); w(VMCS.GUEST_CR4, CR4_HOST_OWNED); w(VMCS.CR4_READ_SHADOW, 0);
  w(VMCS.GUEST_DR7, 0x400);
  w(VMCS.GUEST_RSP, 0); w(VMCS.GUEST_RIP, rip); w(VMCS.GUEST_RFLAGS, 2);
  const seg = (s: number, sel: number, base: number, ar: number): void => {
    w(0x0800 + 2 * s, sel); w(0x6806 + 2 * s, base); w(0x4800 + 2 * s, 0xffff); w(0x4814 + 2 * s, ar);
  };
  seg(1, csSel, csBase, 0x9b);
  for (const s of [0, 2, 3, 4, 5]) seg(s, 0, 0, 0x93);
  w(0x080c, 0); w(0x680c, 0); w(0x480c, 0xffff); w(0x4820, 0x82); // LDTR
  w(0x080e, 0); w(0x680e, 0); w(0x480e, 0xffff); w(0x4822, 0x8b); // TR (busy TSS, as VM entry requires)
  w(VMCS.GUEST_GDTR_BASE, 0); w(VMCS.GUEST_GDTR_LIMIT, 0xffff);
  w(VMCS.GUEST_IDTR_BASE, 0); w(VMCS.GUEST_IDTR_LIMIT, 0xffff);
  w(VMCS.GUEST_IA32_EFER, 0);
  w(VMCS.GUEST_ACTIVITY_STATE, activity);
  w(VMCS.GUEST_INTERRUPTIBILITY_INFO, 0);
  w(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0);
  w(VMCS.GUEST_PDPTR0, 0);
  vcpu.regs.fill(0);
  vcpu.regs[2] = INIT_EDX;
  vcpu.cpu.cr2 = 0;
  vcpu.cpu.mmu.flushAll();
}

/** INIT (3): the INIT state, waiting for a SIPI. */
export const handleInitSignal: ExitHandler = (vmm, vcpu) => {
  loadRealModeState(vmm, vcpu, 0xf000, 0xffff0000, 0xfff0, ActivityState.WAIT_FOR_SIPI);
  return undefined;
};

/** SIPI (4): start in real mode at vector << 12. */
export const handleSipi: ExitHandler = (vmm, vcpu) => {
  const vector = vcpu.vmcs.read(VMCS.EXIT_QUALIFICATION) & 0xff;
  loadRealModeState(vmm, vcpu, vector << 8, vector << 12, 0, ActivityState.ACTIVE);
  vcpu.started = true;
  return undefined;
};
