// Initial VMCS for a vCPU (what KVM's vmx_vcpu_setup / init_vmcs does), written only with VMWRITE-
// equivalent operations. Every guest device access is made a visible VM exit: I/O bitmaps with all
// bits set, HLT exiting, and EPT built lazily from the memslots (unrestricted guest, so real-mode
// code runs too).
import type { Vmcs } from '../hw/vmx/vmcs';
import { VMCS } from '../hw/vmx/vmcsFields';
import { adjustControls, VMX_MSR } from '../hw/vmx/vmxCapabilities';
import { PinBasedControls as Pin, CpuBasedControls as P, SecondaryExecControls as S, VmExitControls as Ex, VmEntryControls as En } from '../hw/vmx/vmxControls';
import type { HostPhysMem } from '../hw/physMem';

/** Guest register state at VM start (from the loader). */
export interface BootState {
  eip: number;
  esp: number;
  eax: number;
  ebx: number;
  eflags: number;
  cr0: number;
  /** Flat 32-bit protected mode (multiboot / ELF) or real mode at 0000:7c00 (boot sectors). */
  mode: 'protected' | 'real';
  gdtBase: number;
  gdtLimit: number;
  /** Real mode only: CS selector and base (default 0 / 0; the reset vector uses F000 / FFFF0000). */
  csSel?: number;
  csBase?: number;
  /** EDX at start (boot sectors: DL = boot drive; reset: the processor signature). */
  edx?: number;
}

export const HOST_CS = 0x08, HOST_DS = 0x10, HOST_TR = 0x18;
/** Host-owned CR0/CR4 bits: NE (IA32_VMX_CR0_FIXED0) and VMXE (IA32_VMX_CR4_FIXED0). */
export const CR0_HOST_OWNED = 0x20, CR4_HOST_OWNED = 0x2000;

export function setupVmcs(v: Vmcs, caps: Map<number, bigint>, mem: HostPhysMem, eptp: number, boot: BootState, ioBitmaps: [number, number]): void {
  const w = (enc: number, val: number): void => v.write(enc, val >>> 0);
  // External-interrupt exiting: a host interrupt (the VMM's kick after user input) exits the guest, as under KVM.
  w(VMCS.PIN_BASED_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_PINBASED_CTLS)!, Pin.PIN_BASED_EXT_INTR_MASK));
  w(VMCS.CPU_BASED_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS)!,
    P.CPU_BASED_HLT_EXITING | P.CPU_BASED_USE_IO_BITMAPS | P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS));
  w(VMCS.SECONDARY_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_PROCBASED_CTLS2)!,
    S.SECONDARY_EXEC_ENABLE_EPT | S.SECONDARY_EXEC_UNRESTRICTED_GUEST));
  // Save / load debug controls: the guest's DR7 and IA32_DEBUGCTL survive every exit (SDM 27.3.1, 26.3.2.1).
  w(VMCS.VM_EXIT_CONTROLS, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_EXIT_CTLS)!, Ex.VM_EXIT_SAVE_IA32_PAT | Ex.VM_EXIT_LOAD_IA32_PAT | Ex.VM_EXIT_SAVE_IA32_EFER | Ex.VM_EXIT_SAVE_DEBUG_CONTROLS));
  w(VMCS.VM_ENTRY_CONTROLS, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS)!, En.VM_ENTRY_LOAD_IA32_PAT | En.VM_ENTRY_LOAD_IA32_EFER | En.VM_ENTRY_LOAD_DEBUG_CONTROLS));
  w(VMCS.EXCEPTION_BITMAP, 0);
  w(VMCS.IO_BITMAP_A, ioBitmaps[0]);
  w(VMCS.IO_BITMAP_B, ioBitmaps[1]);
  w(VMCS.EPT_POINTER, eptp);
  w(VMCS.CR0_GUEST_HOST_MASK, CR0_HOST_OWNED);
  w(VMCS.CR0_READ_SHADOW, boot.cr0 & CR0_HOST_OWNED);
  w(VMCS.CR4_GUEST_HOST_MASK, CR4_HOST_OWNED);
  w(VMCS.CR4_READ_SHADOW, 0);
  w(VMCS.VMCS_LINK_POINTER, 0xffffffff);
  w(VMCS.VMCS_LINK_POINTER_HIGH, 0xffffffff);

  // Host state: the hypervisor's own flat segments. Our host is TypeScript, so HOST_RIP/RSP name the
  // notional exit stub; they are loaded as hardware would and never executed.
  w(VMCS.HOST_CR0, 0x80000031); w(VMCS.HOST_CR3, 0); w(VMCS.HOST_CR4, 0x2000);
  w(VMCS.HOST_ES_SELECTOR, HOST_DS); w(VMCS.HOST_CS_SELECTOR, HOST_CS); w(VMCS.HOST_SS_SELECTOR, HOST_DS);
  w(VMCS.HOST_DS_SELECTOR, HOST_DS); w(VMCS.HOST_FS_SELECTOR, HOST_DS); w(VMCS.HOST_GS_SELECTOR, HOST_DS);
  w(VMCS.HOST_TR_SELECTOR, HOST_TR);
  w(VMCS.HOST_RIP, 0xfffff000); w(VMCS.HOST_RSP, 0xffffe000);
  void mem;

  // Guest state (SDM 25.4) from the boot state.
  const cr0 = boot.cr0 | CR0_HOST_OWNED;
  w(VMCS.GUEST_CR0, cr0); w(VMCS.GUEST_CR3, 0); w(VMCS.GUEST_CR4, CR4_HOST_OWNED);
  w(VMCS.GUEST_DR7, 0x400);
  w(VMCS.GUEST_RSP, boot.esp); w(VMCS.GUEST_RIP, boot.eip); w(VMCS.GUEST_RFLAGS, boot.eflags | 2);
  const seg = (s: number, sel: number, base: number, limit: number, ar: number): void => {
    w(0x0800 + 2 * s, sel); w(0x6806 + 2 * s, base); w(0x4800 + 2 * s, limit); w(0x4814 + 2 * s, ar);
  };
  if (boot.mode === 'protected') {
    seg(1, 0x08, 0, 0xffffffff, 0xc09b);
    for (const s of [0, 2, 3, 4, 5]) seg(s, 0x10, 0, 0xffffffff, 0xc093);
  } else {
    seg(1, boot.csSel ?? 0, boot.csBase ?? 0, 0xffff, 0x9b);
    for (const s of [0, 2, 3, 4, 5]) seg(s, 0, 0, 0xffff, 0x93);
  }
  seg(6, 0, 0, 0, 0x10000);      // LDTR unusable
  seg(7, 0, 0, 0x67, 0x8b);      // TR: a busy 32-bit TSS is required by VM entry (SDM 26.3.1.2)
  w(VMCS.GUEST_GDTR_BASE, boot.gdtBase); w(VMCS.GUEST_GDTR_LIMIT, boot.gdtLimit);
  w(VMCS.GUEST_IDTR_BASE, 0); w(VMCS.GUEST_IDTR_LIMIT, boot.mode === 'real' ? 0x3ff : 0);
  w(VMCS.GUEST_ACTIVITY_STATE, 0);
  w(VMCS.GUEST_INTERRUPTIBILITY_INFO, 0);
  w(VMCS.GUEST_IA32_PAT, 0x00070406); w(VMCS.GUEST_IA32_PAT_HIGH, 0x00070406);
  w(VMCS.GUEST_IA32_EFER, 0); w(VMCS.GUEST_IA32_EFER_HIGH, 0);
}

/**
 * Shadow paging (launch `mmu: "shadow"`): what KVM's vmx sets with enable_ept = 0. No EPT and no
 * unrestricted guest; CR3-load / CR3-store exiting (no CR3-target values) and INVLPG exiting; every #PF
 * exits (exception bitmap bit 14 with PFEC mask = match = 0, SDM 25.6.3); CR0.PE/WP/PG/NE and
 * CR4.PSE/PAE/PGE/VMXE host-owned, so the guest's view lives in the read shadows while the processor
 * runs with paging on (identity shadow tables while the guest's paging is off); a VPID so VM entries
 * and exits keep the guest's TLB (SDM 29.4.3.3). GUEST_CR3 is the shadow root (shadow/shadowMmu.ts).
 */
export function setupShadowVmcs(v: Vmcs, caps: Map<number, bigint>, boot: BootState, vpid: number): void {
  const w = (enc: number, val: number): void => v.write(enc, val >>> 0);
  w(VMCS.CPU_BASED_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS)!,
    v.read(VMCS.CPU_BASED_VM_EXEC_CONTROL) | P.CPU_BASED_CR3_LOAD_EXITING | P.CPU_BASED_CR3_STORE_EXITING | P.CPU_BASED_INVLPG_EXITING));
  w(VMCS.SECONDARY_VM_EXEC_CONTROL, adjustControls(caps.get(VMX_MSR.IA32_VMX_PROCBASED_CTLS2)!,
    (v.read(VMCS.SECONDARY_VM_EXEC_CONTROL) & ~(S.SECONDARY_EXEC_ENABLE_EPT | S.SECONDARY_EXEC_UNRESTRICTED_GUEST)) | S.SECONDARY_EXEC_ENABLE_VPID));
  w(VMCS.VIRTUAL_PROCESSOR_ID, vpid);
  // DR7 across exits (SDM 27.3.1 / 26.3.2.1): shadow #PF exits land between any two guest instructions.
  w(VMCS.VM_EXIT_CONTROLS, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_EXIT_CTLS)!, v.read(VMCS.VM_EXIT_CONTROLS) | Ex.VM_EXIT_SAVE_DEBUG_CONTROLS));
  w(VMCS.VM_ENTRY_CONTROLS, adjustControls(caps.get(VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS)!, v.read(VMCS.VM_ENTRY_CONTROLS) | En.VM_ENTRY_LOAD_DEBUG_CONTROLS));
  w(VMCS.EPT_POINTER, 0);
  w(VMCS.CR3_TARGET_COUNT, 0);
  w(VMCS.EXCEPTION_BITMAP, v.read(VMCS.EXCEPTION_BITMAP) | (1 << 14));
  w(VMCS.PAGE_FAULT_ERROR_CODE_MASK, 0);
  w(VMCS.PAGE_FAULT_ERROR_CODE_MATCH, 0);
  const CR0_OWNED = 0x80010021, CR4_OWNED = 0x20b0; // PG|WP|NE|PE; VMXE|PGE|PAE|PSE
  w(VMCS.CR0_GUEST_HOST_MASK, CR0_OWNED);
  w(VMCS.CR0_READ_SHADOW, boot.cr0 & CR0_OWNED);
  w(VMCS.GUEST_CR0, boot.cr0 | CR0_OWNED);
  w(VMCS.CR4_GUEST_HOST_MASK, CR4_OWNED);
  w(VMCS.CR4_READ_SHADOW, 0);
  w(VMCS.GUEST_CR4, CR4_HOST_OWNED);
}
