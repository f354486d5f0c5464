// MSRs as the guest sees them (RDMSR/WRMSR always exit: no MSR bitmap). The SYSENTER MSRs live in
// the VMCS guest-state area; the TSC is the instruction count.
import type { VCpu } from './vcpu';
import { VMCS } from '../hw/vmx/vmcsFields';
import { guestTsc, setGuestTsc } from './exitPolicy';

export class VirtualMsrs {
  read(vcpu: VCpu, msr: number): boolean {
    const r = vcpu.regs, v = vcpu.vmcs;
    let lo = 0, hi = 0;
    switch (msr) {
      case 0x10: { const t = guestTsc(v, vcpu.cpu.icount); hi = Math.floor(t / 0x100000000); lo = t - hi * 0x100000000; break; } // TSC + TSC_OFFSET
      case 0x1b: lo = vcpu.irq ? vcpu.irq.apicBase() : 0xfee00000 | (vcpu.id === 0 ? 0x100 : 0); break; // IA32_APIC_BASE (SDM 10.4.4)
      case 0xfe: lo = 0; break; // MTRRcap: no variable ranges
      case 0x174: lo = v.read(VMCS.GUEST_SYSENTER_CS); break;
      case 0x175: lo = v.read(VMCS.GUEST_SYSENTER_ESP); break;
      case 0x176: lo = v.read(VMCS.GUEST_SYSENTER_EIP); break;
      case 0x277: lo = v.read(VMCS.GUEST_IA32_PAT); hi = v.read(VMCS.GUEST_IA32_PAT_HIGH); break;
      case 0x1d9: lo = v.read(VMCS.GUEST_IA32_DEBUGCTL); break; // IA32_DEBUGCTL (load/save debug controls)
      case 0x2ff: lo = 0x806; break;
      case 0xc0000080: lo = v.read(VMCS.GUEST_IA32_EFER); break; // IA32_EFER (loaded on VM entry)
      default: return false;
    }
    r[0] = lo | 0; r[2] = hi | 0;
    return true;
  }

  write(vcpu: VCpu, msr: number, lo: number, hi: number): boolean {
    const v = vcpu.vmcs;
    switch (msr) {
      case 0x1b: if (vcpu.irq) vcpu.irq.writeApicBase(lo); return true;
      case 0x10: setGuestTsc(v, vcpu.cpu.icount, (hi >>> 0) * 0x100000000 + (lo >>> 0)); return true; // moves TSC_OFFSET (KVM's kvm_write_tsc)
      case 0x2ff: return true;
      case 0x174: v.write(VMCS.GUEST_SYSENTER_CS, lo & 0xffff); return true;
      case 0x175: v.write(VMCS.GUEST_SYSENTER_ESP, lo >>> 0); return true;
      case 0x176: v.write(VMCS.GUEST_SYSENTER_EIP, lo >>> 0); return true;
      case 0x277: v.write(VMCS.GUEST_IA32_PAT, lo >>> 0); v.write(VMCS.GUEST_IA32_PAT_HIGH, hi >>> 0); return true;
      case 0x1d9: if ((lo & ~3) || hi) return false; v.write(VMCS.GUEST_IA32_DEBUGCTL, lo >>> 0); return true; // LBR, BTF
      case 0xc0000080: // IA32_EFER: only NXE (CPUID.80000001H:EDX.NX); no LME/SCE on this CPU model
        if ((lo & ~0x800) || hi) return false;
        v.write(VMCS.GUEST_IA32_EFER, lo >>> 0);
        return true;
      default: return false;
    }
  }
}
