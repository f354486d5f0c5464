// The hypervisor's walk of the guest's own page tables for one access (KVM's FNAME(walk_addr_generic)
// in arch/x86/kvm/mmu/paging_tmpl.h): 32-bit paging (SDM Vol. 3A 4.3) or PAE paging (4.4) as the guest
// configured it, reading guest-physical memory through the memslots. It decides what the guest's MMU
// would do: a translation (and then it sets the accessed / dirty flags in the guest's entries, as the
// guest's processor would) or a #PF with the SDM error code (4.7), which the VMM reflects into the guest.
import type { GuestMemory } from '../memslots';

/** #PF error-code bits (SDM Vol. 3A Figure 4-12; KVM's PFERR_*_MASK). */
export const PFERR_PRESENT = 1, PFERR_WRITE = 2, PFERR_USER = 4, PFERR_RSVD = 8, PFERR_FETCH = 16;

/** The guest's paging mode: its view of CR0/CR3/CR4/EFER (not the processor's: that runs the shadow). */
export interface GuestPagingMode {
  pg: boolean; pae: boolean; pse: boolean; wp: boolean; nxe: boolean; pge: boolean;
  cr3: number;
  /** The guest's PDPTE registers (lo, hi) x 4, loaded when it loaded CR3 (SDM 4.4.1). */
  pdpte: Int32Array;
}

export class GuestWalk {
  ok = false;
  /** #PF error code when !ok. */
  errorCode = 0;
  /** Guest-physical address of the access. */
  gpa = 0;
  /** Level of the leaf: 1 = a PTE (4 KiB page), 2 = a PDE mapping a 4-MiB / 2-MiB page. */
  level = 1;
  /** Combined permissions of all levels (SDM 4.6). */
  writable = false; user = false; nx = false;
  global = false; dirty = false;
  /** The guest PDE (lo, hi) and its guest-physical address; the PTE likewise (level 1). */
  pde = 0; pdeHi = 0; pdeGpa = 0;
  pte = 0; pteHi = 0; pteGpa = 0;
}

const rd = (mem: GuestMemory, gpa: number): number => mem.read32(gpa >>> 0) ?? -1; // unbacked: an empty bus reads all-ones

function wr(mem: GuestMemory, gpa: number, v: number): void {
  const h = mem.gpaToHpa(gpa >>> 0);
  if (h !== -1) mem.host.write32(h, v);
}

/**
 * Walk the guest tables for `gva`. `write`/`user`/`fetch` describe the access. With `setAD` the walk
 * sets A in every entry used and D in the leaf on a write, only when the access is permitted (as the
 * product's MMU does, hw/cpu/mmu.ts, so the guest sees the same bits under EPT and shadow paging).
 */
export function walkGuest(mem: GuestMemory, m: GuestPagingMode, gva: number, write: boolean, user: boolean, fetch: boolean, setAD: boolean, out: GuestWalk): GuestWalk {
  out.ok = false; out.errorCode = 0; out.level = 1; out.global = false; out.nx = false;
  const fault = (bits: number): GuestWalk => {
    let e = bits | (write ? PFERR_WRITE : 0) | (user ? PFERR_USER : 0);
    if (fetch && m.pae && m.nxe) e |= PFERR_FETCH;
    out.errorCode = e;
    return out;
  };
  const permitted = (rw: number, us: number): boolean => !((user && !us) || (write && !rw && (user || m.wp)));
  if (!m.pg) {
    out.ok = true; out.gpa = gva >>> 0; out.writable = true; out.user = true; out.dirty = true; out.level = 2;
    return out;
  }
  if (!m.pae) {
    const pdeGpa = ((m.cr3 & ~0xfff) + ((gva >>> 22) << 2)) >>> 0;
    const pde = rd(mem, pdeGpa);
    out.pde = pde; out.pdeHi = 0; out.pdeGpa = pdeGpa;
    if (!(pde & 1)) return fault(0);
    if ((pde & 0x80) && m.pse) {
      if (pde & 0x3fe000) return fault(PFERR_PRESENT | PFERR_RSVD);
      if (!permitted(pde & 2, pde & 4)) return fault(PFERR_PRESENT);
      const upd = pde | 0x20 | (write ? 0x40 : 0);
      if (setAD && upd !== pde) { wr(mem, pdeGpa, upd); out.pde = upd; }
      out.level = 2; out.writable = (pde & 2) !== 0; out.user = (pde & 4) !== 0;
      out.global = (pde & 0x100) !== 0; out.dirty = (out.pde & 0x40) !== 0;
      out.gpa = ((pde & 0xffc00000) | (gva & 0x3fffff)) >>> 0;
      out.ok = true;
      return out;
    }
    const pteGpa = ((pde & ~0xfff) + (((gva >>> 12) & 0x3ff) << 2)) >>> 0;
    const pte = rd(mem, pteGpa);
    out.pte = pte; out.pteHi = 0; out.pteGpa = pteGpa;
    if (!(pte & 1)) return fault(0);
    const rw = pde & pte & 2, us = pde & pte & 4;
    if (!permitted(rw, us)) return fault(PFERR_PRESENT);
    if (setAD) {
      if (!(pde & 0x20)) { wr(mem, pdeGpa, pde | 0x20); out.pde = pde | 0x20; }
      const upd = pte | 0x20 | (write ? 0x40 : 0);
      if (upd !== pte) { wr(mem, pteGpa, upd); out.pte = upd; }
    }
    out.writable = rw !== 0; out.user = us !== 0; out.global = (pte & 0x100) !== 0; out.dirty = (out.pte & 0x40) !== 0;
    out.gpa = ((pte & ~0xfff) | (gva & 0xfff)) >>> 0;
    out.ok = true;
    return out;
  }
  // PAE: the PDPTE registers, then 64-bit PDE / PTE; MAXPHYADDR 32, XD with IA32_EFER.NXE.
  const hiReserved = m.nxe ? 0x7fffffff : -1;
  const k = gva >>> 30;
  const pdpte = m.pdpte[2 * k];
  if (!(pdpte & 1)) return fault(0);
  const pdeGpa = ((pdpte & ~0xfff) + (((gva >>> 21) & 0x1ff) << 3)) >>> 0;
  const pde = rd(mem, pdeGpa), pdeHi = rd(mem, pdeGpa + 4);
  out.pde = pde; out.pdeHi = pdeHi; out.pdeGpa = pdeGpa;
  if (!(pde & 1)) return fault(0);
  if (pdeHi & hiReserved) return fault(PFERR_PRESENT | PFERR_RSVD);
  let xd = pdeHi < 0 && m.nxe;
  if (pde & 0x80) {
    if (pde & 0x1fe000) return fault(PFERR_PRESENT | PFERR_RSVD);
    if (!permitted(pde & 2, pde & 4) || (xd && fetch)) return fault(PFERR_PRESENT);
    const upd = pde | 0x20 | (write ? 0x40 : 0);
    if (setAD && upd !== pde) { wr(mem, pdeGpa, upd); out.pde = upd; }
    out.level = 2; out.writable = (pde & 2) !== 0; out.user = (pde & 4) !== 0; out.nx = xd;
    out.global = (pde & 0x100) !== 0; out.dirty = (out.pde & 0x40) !== 0;
    out.gpa = ((pde & 0xffe00000) | (gva & 0x1fffff)) >>> 0;
    out.ok = true;
    return out;
  }
  const pteGpa = ((pde & ~0xfff) + (((gva >>> 12) & 0x1ff) << 3)) >>> 0;
  const pte = rd(mem, pteGpa), pteHi = rd(mem, pteGpa + 4);
  out.pte = pte; out.pteHi = pteHi; out.pteGpa = pteGpa;
  if (!(pte & 1)) return fault(0);
  if (pteHi & hiReserved) return fault(PFERR_PRESENT | PFERR_RSVD);
  xd = xd || (pteHi < 0 && m.nxe);
  const rw = pde & pte & 2, us = pde & pte & 4;
  if (!permitted(rw, us) || (xd && fetch)) return fault(PFERR_PRESENT);
  if (setAD) {
    if (!(pde & 0x20)) { wr(mem, pdeGpa, pde | 0x20); out.pde = pde | 0x20; }
    const upd = pte | 0x20 | (write ? 0x40 : 0);
    if (upd !== pte) { wr(mem, pteGpa, upd); out.pte = upd; }
  }
  out.writable = rw !== 0; out.user = us !== 0; out.nx = xd; out.global = (pte & 0x100) !== 0; out.dirty = (out.pte & 0x40) !== 0;
  out.gpa = ((pte & ~0xfff) | (gva & 0xfff)) >>> 0;
  out.ok = true;
  return out;
}
