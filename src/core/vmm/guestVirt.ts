// Guest-virtual accesses made by the hypervisor itself (string I/O emulation, the debugger's memory
// view): a side-effect-free software walk of the guest's page tables (like Bochs's debug walks),
// reading guest-physical memory through the memslots. No A/D updates, no TLB, no faults.
import type { GuestMemory } from './memslots';

export interface GuestPagingState {
  cr0: number; cr3: number; cr4: number;
  /** The PDPTE registers (lo, hi pairs) when PAE paging is in use; read from the table at CR3 if absent. */
  pdpte?: ArrayLike<number>;
}

/** Guest-virtual to guest-physical, or -1 when not mapped. 32-bit paging (SDM 4.3) or PAE paging (4.4). */
export function gvaToGpa(mem: GuestMemory, p: GuestPagingState, gva: number): number {
  if (!(p.cr0 & 0x80000000)) return gva >>> 0;
  if (p.cr4 & 0x20) return paeGvaToGpa(mem, p, gva);
  const pde = mem.read32(((p.cr3 & ~0xfff) + ((gva >>> 22) << 2)) >>> 0);
  if (pde === undefined || !(pde & 1)) return -1;
  if ((pde & 0x80) && (p.cr4 & 0x10)) return ((pde & 0xffc00000) | (gva & 0x3fffff)) >>> 0;
  const pte = mem.read32(((pde & ~0xfff) + (((gva >>> 12) & 0x3ff) << 2)) >>> 0);
  if (pte === undefined || !(pte & 1)) return -1;
  return ((pte & ~0xfff) | (gva & 0xfff)) >>> 0;
}

/** PAE: PDPTE (bits 31:30) -> 64-bit PDE (29:21; PS = 2-MiB page) -> 64-bit PTE (20:12). MAXPHYADDR is 32. */
function paeGvaToGpa(mem: GuestMemory, p: GuestPagingState, gva: number): number {
  const k = gva >>> 30;
  const pdpte = p.pdpte ? p.pdpte[2 * k] : mem.read32((((p.cr3 & ~0x1f) >>> 0) + 8 * k) >>> 0);
  if (pdpte === undefined || !(pdpte & 1)) return -1;
  const pde = mem.read32(((pdpte & ~0xfff) + (((gva >>> 21) & 0x1ff) << 3)) >>> 0);
  if (pde === undefined || !(pde & 1)) return -1;
  if (pde & 0x80) return ((pde & 0xffe00000) | (gva & 0x1fffff)) >>> 0;
  const pte = mem.read32(((pde & ~0xfff) + (((gva >>> 12) & 0x1ff) << 3)) >>> 0);
  if (pte === undefined || !(pte & 1)) return -1;
  return ((pte & ~0xfff) | (gva & 0xfff)) >>> 0;
}

export function readGuestVirt8(mem: GuestMemory, p: GuestPagingState, gva: number): number | undefined {
  const g = gvaToGpa(mem, p, gva);
  return g < 0 ? undefined : mem.read8(g);
}
