// Address translation: segmentation has already produced a linear address (Gva); here the guest's
// paging structures map it to a guest-physical address (Gpa, SDM Vol. 3A 4.3), and in VMX non-root
// operation with EPT enabled every guest-physical address, including those of the guest's own paging
// structures, goes through the EPT (SDM Vol. 3C 29.3) to a host-physical address (Hpa).
//
// The TLB caches linear page -> host page with the combined permissions, like hardware's combined
// mappings (SDM 29.4.1). It is flushed only when the architecture says so: a guest that forgets
// INVLPG sees stale translations, exactly as on hardware.
import type { Cpu } from './cpu';
import type { Hpa } from '../../types';
import { ACC_WRITE } from './cpuSignals';
import { CR0_PG, CR0_WP, CR4_PGE, CR4_PSE, PFV } from './regs';

// TLB entry: host page address (bits 31:12) | permission bits. 0 = invalid.
export const TLB_SR = 1, TLB_SW = 2, TLB_UR = 4, TLB_UW = 8, TLB_GLOBAL = 16;
const TLB_TRACK = 4096;

/** Result of an EPT walk that failed: the exit to take. */
export interface EptFault {
  misconfig: boolean;
  /** EPT-violation qualification bits 3-5: R/W/X permitted by the walk so far. */
  perms: number;
}

/** What the MMU needs from VMX non-root operation (hw/vmx implements it). */
export interface EptWalker {
  /** Translate a guest-physical address; throws VM_EXIT (EPT violation / misconfiguration) when it cannot. */
  translateGpa(gpa: number, access: number, gla: number, glaValid: boolean, isFinal: boolean): number;
}

export class Mmu {
  readonly tlb = new Int32Array(1 << 20);
  private readonly tracked = new Int32Array(TLB_TRACK);
  private nTracked = 0;
  private overflow = false;
  /** Set while in VMX non-root operation with "enable EPT". */
  ept: EptWalker | null = null;
  /** Statistics: TLB misses (page walks). */
  walks = 0;

  constructor(private readonly cpu: Cpu) {}

  flushAll(): void {
    if (this.overflow) this.tlb.fill(0);
    else for (let k = 0; k < this.nTracked; k++) this.tlb[this.tracked[k]] = 0;
    this.nTracked = 0;
    this.overflow = false;
  }

  /** MOV to CR3 without PCIDs: flush all but global entries (SDM 4.10.4.1). */
  flushNonGlobal(): void {
    if (this.overflow) { this.flushAll(); return; }
    let keep = 0;
    for (let k = 0; k < this.nTracked; k++) {
      const p = this.tracked[k];
      if (this.tlb[p] & TLB_GLOBAL) this.tracked[keep++] = p;
      else this.tlb[p] = 0;
    }
    this.nTracked = keep;
  }

  flushPage(lin: number): void {
    this.tlb[lin >>> 12] = 0;
  }

  private fill(page: number, entry: number): void {
    if (this.tlb[page] === 0) {
      if (this.nTracked < TLB_TRACK) this.tracked[this.nTracked++] = page;
      else this.overflow = true;
    }
    this.tlb[page] = entry;
  }

  /** Guest-physical -> host-physical: through the EPT when enabled, else the identity. */
  gpaToHpa(gpa: number, access: number, gla: number, isFinal: boolean): Hpa {
    if (this.ept) return this.ept.translateGpa(gpa, access, gla, true, isFinal) as Hpa;
    if (!this.cpu.mem.contains(gpa, 4)) throw new RangeError(`physical address 0x${(gpa >>> 0).toString(16)} outside host memory without EPT`);
    return gpa as Hpa;
  }

  /**
   * Translate for an access that missed the TLB: walk, set A/D bits, check permissions, fill the TLB.
   * Returns the host-physical address; raises #PF (GUEST_FAULT) or a VM exit (VM_EXIT) on failure.
   */
  translate(lin: number, access: number): number {
    const cpu = this.cpu;
    this.walks++;
    const user = cpu.cpl === 3;
    const page = lin >>> 12;
    if (!(cpu.cr0 & CR0_PG)) {
      const hpa = this.gpaToHpa(lin & ~0xfff, access, lin, true);
      this.fill(page, (hpa & ~0xfff) | TLB_SR | TLB_SW | TLB_UR | TLB_UW);
      return hpa | (lin & 0xfff);
    }
    // 32-bit paging (SDM 4.3). PAE paging arrives with issue 3.
    const mem = cpu.mem;
    const write = access === ACC_WRITE;
    const pdeGpa = ((cpu.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0;
    const pdeHpa = this.gpaToHpa(pdeGpa, ACC_WRITE /* may set A */, lin, false);
    let pde = mem.read32(pdeHpa);
    if (!(pde & 1)) return this.pageFault(lin, access, user, false);
    let frameGpa: number;
    let rw: number, us: number, global: number, dirty: boolean;
    if ((pde & 0x80) && (cpu.cr4 & CR4_PSE)) {
      rw = pde & 2; us = pde & 4; global = pde & 0x100;
      if (!this.permitted(rw, us, user, write)) return this.pageFault(lin, access, user, true);
      const upd = pde | 0x20 | (write ? 0x40 : 0);
      if (upd !== pde) { mem.write32(pdeHpa, upd); pde = upd; }
      dirty = (pde & 0x40) !== 0;
      frameGpa = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
    } else {
      const pteGpa = ((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
      const pteHpa = this.gpaToHpa(pteGpa, ACC_WRITE, lin, false);
      let pte = mem.read32(pteHpa);
      if (!(pte & 1)) return this.pageFault(lin, access, user, false);
      rw = pde & pte & 2; us = pde & pte & 4; global = pte & 0x100;
      if (!this.permitted(rw, us, user, write)) return this.pageFault(lin, access, user, true);
      if (!(pde & 0x20)) mem.write32(pdeHpa, pde | 0x20);
      const upd = pte | 0x20 | (write ? 0x40 : 0);
      if (upd !== pte) { mem.write32(pteHpa, upd); pte = upd; }
      dirty = (pte & 0x40) !== 0;
      frameGpa = (pte & ~0xfff) >>> 0;
    }
    const hpa = this.gpaToHpa(frameGpa, access, lin, true);
    // Write permission is cached only once the dirty bit is set, so the first write walks again.
    const wp = (cpu.cr0 & CR0_WP) !== 0;
    let e = (hpa & ~0xfff) | TLB_SR;
    if (dirty && (rw || !wp)) e |= TLB_SW;
    if (us) { e |= TLB_UR; if (dirty && rw) e |= TLB_UW; }
    if (global && (cpu.cr4 & CR4_PGE)) e |= TLB_GLOBAL;
    this.fill(page, e);
    return hpa | (lin & 0xfff);
  }

  private permitted(rw: number, us: number, user: boolean, write: boolean): boolean {
    if (user && !us) return false;
    if (write && !rw && (user || (this.cpu.cr0 & CR0_WP))) return false;
    return true;
  }

  /** #PF with the SDM error code (Vol. 3A 4.7): P, W/R, U/S. CR2 gets the linear address. */
  private pageFault(lin: number, access: number, user: boolean, present: boolean): never {
    const err = (present ? 1 : 0) | (access === ACC_WRITE ? 2 : 0) | (user ? 4 : 0);
    this.cpu.raisePageFault(lin, err);
  }

  /**
   * Side-effect-free translation for the debugger (like Bochs's debug walks): no A/D updates, no
   * TLB fill, no faults. Returns the guest-physical address or -1.
   */
  debugLinearToGpa(lin: number, gpaRead: (gpa: number) => number | undefined): number {
    const cpu = this.cpu;
    if (!(cpu.cr0 & CR0_PG)) return lin >>> 0;
    const pde = gpaRead(((cpu.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0);
    if (pde === undefined || !(pde & 1)) return -1;
    if ((pde & 0x80) && (cpu.cr4 & CR4_PSE)) return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
    const pte = gpaRead(((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0);
    if (pte === undefined || !(pte & 1)) return -1;
    return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
  }
}

export { PFV };
