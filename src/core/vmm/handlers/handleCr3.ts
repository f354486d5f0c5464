// Control-register access exits under shadow paging (reason 28, KVM's handle_cr with enable_ept = 0):
// - MOV to CR3 (CR3-load exiting): the guest's new address space: the shadow MMU switches to (or finds
//   in its cache) the shadow root for it; GUEST_CR3 is that root, the guest's value is kept by the VMM.
// - MOV from CR3 (CR3-store exiting): the guest reads its own CR3, never the shadow root.
// - MOV to CR0 / CR4 / LMSW touching a host-owned bit (PE, WP, PG, NE; PSE, PAE, PGE, VMXE): the read
//   shadow gets the guest's value, the processor keeps PE/PG/WP on (paging off runs on identity
//   shadow tables), CR4.PAE follows the guest's paging, and a paging-mode change resets the shadows.
// Under EPT every CR access exit goes to the plain handler (handleSimple.ts).
import type { ExitHandler } from '../exitHandler';
import { queueException, skipInstruction } from '../exitHandler';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { decodeCrAccess } from '../../hw/vmx/exitQualification';
import { ShadowMmu, SHADOW_CR0_HOST_OWNED, SHADOW_CR4_HOST_OWNED } from '../shadow/shadowMmu';
import type { VCpu } from '../vcpu';
import type { StopEvent } from '../../debug/debugApi';

const CR0_PE = 1, CR0_WP = 0x10000, CR0_PG = 0x80000000, CR0_NE = 0x20;
const CR4_PSE = 0x10, CR4_PAE = 0x20, CR4_PGE = 0x80, CR4_VMXE = 0x2000;

export function withShadowCrAccess(plain: ExitHandler): ExitHandler {
  return (vmm, vcpu) => {
    const shadow = vmm.shadow;
    if (!shadow) return plain(vmm, vcpu);
    const v = vcpu.vmcs;
    const q = decodeCrAccess(v.read(VMCS.EXIT_QUALIFICATION));
    const gpr = (r: number): number => (r === 4 ? v.read(VMCS.GUEST_RSP) : vcpu.regs[r]) >>> 0;
    if (q.cr === 3 && q.accessType === 0) {
      if (!shadow.setCr3(vcpu, gpr(q.gpr))) { queueException(vcpu, 13, 0); return undefined; }
      skipInstruction(vcpu);
      return undefined;
    }
    if (q.cr === 3 && q.accessType === 1) {
      const val = shadow.guestCr3(vcpu);
      if (q.gpr === 4) v.write(VMCS.GUEST_RSP, val); else vcpu.regs[q.gpr] = val | 0;
      skipInstruction(vcpu);
      return undefined;
    }
    if (q.cr === 0 && (q.accessType === 0 || q.accessType === 3)) {
      const old = ShadowMmu.guestCr0(vcpu);
      // LMSW loads CR0[3:0] and cannot clear PE (SDM Vol. 2 LMSW).
      const val = q.accessType === 3 ? ((old & ~0xe) | (q.lmswData & 0xf)) >>> 0 : gpr(q.gpr);
      return setCr0(vmm.shadow!, vcpu, old, val);
    }
    if (q.cr === 4 && q.accessType === 0) return setCr4(vmm.shadow!, vcpu, gpr(q.gpr));
    return plain(vmm, vcpu);
  };
}

function setCr0(shadow: ShadowMmu, vcpu: VCpu, old: number, val: number): StopEvent | undefined {
  const v = vcpu.vmcs;
  if ((val & CR0_PG) && !(val & CR0_PE)) { queueException(vcpu, 13, 0); return undefined; }
  if (!(val & CR0_PE)) {
    return { kind: 'error', vcpu: vcpu.id, text: 'the guest left protected mode (CR0.PE = 0): real mode needs unrestricted guest, which needs EPT; launch with mmu "ept"' };
  }
  const cr4 = ShadowMmu.guestCr4(vcpu);
  const pagingOn = (val & CR0_PG) !== 0 && !(old & CR0_PG);
  if (pagingOn && (cr4 & CR4_PAE) && !shadow.loadGuestPdptes(shadow.guestCr3(vcpu), shadow.guestPdptes(vcpu))) {
    queueException(vcpu, 13, 0);
    return undefined;
  }
  v.write(VMCS.CR0_READ_SHADOW, val & SHADOW_CR0_HOST_OWNED);
  v.write(VMCS.GUEST_CR0, (val | SHADOW_CR0_HOST_OWNED | 0x10) >>> 0);
  writeHardwareCr4(vcpu, cr4, (val & CR0_PG) !== 0);
  if ((old ^ val) & (CR0_PG | CR0_WP | CR0_NE)) shadow.resetContext(vcpu);
  else shadow.flushGuestTlb(vcpu);
  skipInstruction(vcpu);
  return undefined;
}

function setCr4(shadow: ShadowMmu, vcpu: VCpu, val: number): StopEvent | undefined {
  const v = vcpu.vmcs;
  const old = ShadowMmu.guestCr4(vcpu);
  const pg = (ShadowMmu.guestCr0(vcpu) & CR0_PG) !== 0;
  if (val & ~0x7ff) { queueException(vcpu, 13, 0); return undefined; } // VMXE (no nested VMX for the guest) or reserved
  if (pg && (val & CR4_PAE) && ((old ^ val) & (CR4_PAE | CR4_PSE | CR4_PGE))
    && !shadow.loadGuestPdptes(shadow.guestCr3(vcpu), shadow.guestPdptes(vcpu))) {
    queueException(vcpu, 13, 0);
    return undefined;
  }
  v.write(VMCS.CR4_READ_SHADOW, val & SHADOW_CR4_HOST_OWNED);
  v.write(VMCS.GUEST_CR4, ((v.read(VMCS.GUEST_CR4) & SHADOW_CR4_HOST_OWNED) | (val & ~SHADOW_CR4_HOST_OWNED)) >>> 0);
  writeHardwareCr4(vcpu, val, pg);
  if ((old ^ val) & (CR4_PAE | CR4_PSE)) shadow.resetContext(vcpu);
  else shadow.flushGuestTlb(vcpu); // PGE toggles flush everything, globals included (SDM 4.10.4.1)
  skipInstruction(vcpu);
  return undefined;
}

/** The processor's CR4 in shadow mode: VMXE; PAE when the guest pages with PAE; PGE as the guest; no PSE (sptes are 4 KiB). */
function writeHardwareCr4(vcpu: VCpu, guestCr4: number, pg: boolean): void {
  const v = vcpu.vmcs;
  const keep = v.read(VMCS.GUEST_CR4) & ~SHADOW_CR4_HOST_OWNED;
  v.write(VMCS.GUEST_CR4, (keep | CR4_VMXE | (pg && (guestCr4 & CR4_PAE) ? CR4_PAE : 0) | (guestCr4 & CR4_PGE)) >>> 0);
}
