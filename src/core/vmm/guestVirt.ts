// Guest-virtual accesses made by the hypervisor itself (string I/O emulation, the debugger's memory
// view): a side-effect-free software walk of the guest's page tables (like Bochs's debug walks),
// reading guest-physical memory through the memslots. No A/D updates, no TLB, no faults.
import type { GuestMemory } from './memslots';

export interface GuestPagingState { cr0: number; cr3: number; cr4: number; }

/** Guest-virtual to guest-physical, or -1 when not mapped. */
export function gvaToGpa(mem: GuestMemory, p: GuestPagingState, gva: number): number {
  if (!(p.cr0 & 0x80000000)) return gva >>> 0;
  const pde = mem.read32(((p.cr3 & ~0xfff) + ((gva >>> 22) << 2)) >>> 0);
  if (pde === undefined || !(pde & 1)) return -1;
  if ((pde & 0x80) && (p.cr4 & 0x10)) return ((pde & 0xffc00000) | (gva & 0x3fffff)) >>> 0;
  const pte = mem.read32(((pde & ~0xfff) + (((gva >>> 12) & 0x3ff) << 2)) >>> 0);
  if (pte === undefined || !(pte & 1)) return -1;
  return ((pte & ~0xfff) | (gva & 0xfff)) >>> 0;
}

export function readGuestVirt8(mem: GuestMemory, p: GuestPagingState, gva: number): number | undefined {
  const g = gvaToGpa(mem, p, gva);
  return g < 0 ? undefined : mem.read8(g);
}
