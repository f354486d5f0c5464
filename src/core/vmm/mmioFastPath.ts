// The MMIO fast path under EPT (KVM's: arch/x86/kvm/mmu/spte.h "MMIO SPTEs", handle_ept_misconfig).
// The first access to an emulated MMIO page (the local and I/O APIC) is an EPT violation; the VMM
// then installs a deliberately misconfigured leaf entry for the page: write-only (bits 2:0 = 010b),
// an encoding the processor refuses (SDM 29.3.3.1). Every later access to the page is an EPT
// misconfiguration (exit 49), which the hardware reports without walking the permission logic and
// which needs no "is this page RAM?" lookup in the VMM: the exit itself says "MMIO", and the handler
// goes straight to the instruction emulator. The entry points at the all-ones page, never at RAM, so
// the isolation property holds whatever the entry's bits. EPT tables live in host memory, so time
// travel and snapshots capture the marks like any other entry.
import type { Vmm } from './vmm';
import { EPT_W } from './ept';

/** Mark the MMIO page of `gpa` with the misconfigured (write-only) entry. */
export function markMmioPage(vmm: Vmm, gpa: number): void {
  vmm.ept.map((gpa & ~0xfff) >>> 0, vmm.emptyBusPage, EPT_W);
}

/** Is the EPT leaf for `gpa` the VMM's MMIO mark (write-only, the all-ones page)? */
export function isMmioMark(vmm: Vmm, gpa: number): boolean {
  const e = vmm.ept.lookup(gpa);
  return (e & 7) === EPT_W && ((e & ~0xfff) >>> 0) === vmm.emptyBusPage;
}
