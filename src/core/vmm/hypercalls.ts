// The VMCALL hypercall ABI (documented in docs/notes/exits.md): EAX = call number, arguments in
// EBX, ECX, EDX; the result returns in EAX. Unknown numbers return -KVM_ENOSYS (-1000), as KVM does.
// CPUID leaf 0x40000001 reports the ABI version in EBX (2 since HC_MMU_UPDATE).
//   1 HC_CONSOLE_PUTC  EBX = byte: write it to the hypervisor console (shown with COM1 output)
//   2 HC_EXIT          EBX = status: end the VM like the exit device (exit status (EBX << 1) | 1)
//   3 HC_MMU_UPDATE    paravirtual page-table update (mmuUpdate.ts): EBX = guest-virtual address of
//                      ECX 8-byte requests (guest-physical address of a page-table entry, new value)
import type { StopEvent } from '../debug/debugApi';
import type { VCpu } from './vcpu';
import type { Vmm } from './vmm';
import { hcMmuUpdate } from './mmuUpdate';

export const HC_CONSOLE_PUTC = 1, HC_EXIT = 2, HC_MMU_UPDATE = 3, KVM_ENOSYS = 1000;

export function dispatchHypercall(vmm: Vmm, vcpu: VCpu): StopEvent | undefined {
  const r = vcpu.regs;
  // A VMCALL in a real-mode BIOS stub is a BIOS service (machine/firmware/biosServices.ts), not a hypercall.
  if (vmm.firmwareCall) { const fw = vmm.firmwareCall(vcpu); if (fw !== false) return fw; }
  switch (r[0]) {
    case HC_CONSOLE_PUTC: vmm.consoleOut(r[3] & 0xff); r[0] = 0; return undefined;
    case HC_EXIT: return { kind: 'exited', vcpu: vcpu.id, status: ((r[3] << 1) | 1) >>> 0 };
    case HC_MMU_UPDATE: hcMmuUpdate(vmm, vcpu); return undefined;
    default: r[0] = -KVM_ENOSYS; return undefined;
  }
}
