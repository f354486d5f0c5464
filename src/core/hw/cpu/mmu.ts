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
import { ACC_FETCH, ACC_READ, ACC_WRITE } from './cpuSignals';
import { CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, PFV } from './regs';

// TLB entry: host page address (bits 31:12) | permission bits. 0 = invalid. Execute permission is
// separate from read permission because PAE paging has XD (SDM 4.6.2).
export const TLB_SR = 1, TLB_SW = 2, TLB_UR = 4, TLB_UW = 8, TLB_GLOBAL = 16, TLB_SX = 32, TLB_UX = 64;
const TLB_ALL = TLB_SR | TLB_SW | TLB_UR | TLB_UW | TLB_SX | TLB_UX;
/** #PF error-code bits (SDM Vol. 3A Figure 4-12). */
export const PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 16;
/** IA32_EFER.NXE (SDM Vol. 4 Table 2-2, MSR 0xC0000080 bit 11). */
export const EFER_NXE = 0x800;
/** Entries tracked for cheap flushes before the TLB counts as overflowed (flushes then clear it all). */
export const TLB_TRACK = 4096;

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
  /** The PDPTE registers of PAE paging (SDM 4.4.1): [lo, hi] x 4. */
  readonly pdpte = new Int32Array(8);
  private readonly pdpteTmp = new Int32Array(8);
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

  /**
   * The TLB's content as data (time travel keeps it with checkpoints and replay marks): word 0 is 1
   * when untracked (then every valid entry follows, found by a scan), else the tracked pages in
   * tracking order with their entries, so a restored TLB overflows at the same fill as the original.
   */
  saveEntries(): Int32Array {
    const tlb = this.tlb;
    if (this.overflow) {
      let n = 0;
      for (let p = 0; p < tlb.length; p++) if (tlb[p] !== 0) n++;
      const out = new Int32Array(1 + 2 * n);
      out[0] = 1;
      for (let p = 0, k = 1; p < tlb.length; p++) if (tlb[p] !== 0) { out[k++] = p; out[k++] = tlb[p]; }
      return out;
    }
    const n = this.nTracked, out = new Int32Array(1 + 2 * n);
    for (let k = 0; k < n; k++) { const p = this.tracked[k]; out[1 + 2 * k] = p; out[2 + 2 * k] = tlb[p]; }
    return out;
  }

  /** Back to content saved by `saveEntries`. */
  loadEntries(a: Int32Array): void {
    this.flushAll();
    this.overflow = a[0] === 1;
    for (let k = 1; k < a.length; k += 2) {
      if (!this.overflow) this.tracked[this.nTracked++] = a[k];
      this.tlb[a[k]] = a[k + 1];
    }
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

  /** Pages that hold a data breakpoint (DR0-DR3): never cached, so each access is checked. */
  private watched: number[] = [];
  /** The debugger's data watches (Cpu.dbgWatch): pages they cover are never cached. */
  noCache: ((linPage: number, hostPage: number) => boolean) | null = null;
  setWatchedPages(pages: number[]): void {
    this.watched = pages;
    for (const p of pages) this.tlb[p] = 0;
  }

  private fill(page: number, entry: number): void {
    // No dirty marking here: every write marks its host page where it happens, the TLB-hit fast
    // paths included (Cpu.writeLin*, Cpu.hpa, exec/block.ts), so time travel's checkpoints need not
    // touch the TLB (ADR 0019).
    if (this.watched.length && this.watched.includes(page)) return;
    if (this.noCache !== null && this.noCache(page, entry >>> 12)) return;
    if (this.tlb[page] === 0) {
      if (this.nTracked < TLB_TRACK) this.tracked[this.nTracked++] = page;
      else this.overflow = true;
    }
    this.tlb[page] = entry;
  }

  /** Guest-physical -> host-physical: through the EPT when enabled, else the identity. */
  gpaToHpa(gpa: number, access: number, gla: number, isFinal: boolean): Hpa {
    if (this.ept) return this.ept.translateGpa(gpa, access, gla, true, isFinal) as Hpa;
    if (!this.cpu.mem.contains(gpa & ~0xfff, 4096)) throw new RangeError(`physical address 0x${(gpa >>> 0).toString(16)} outside host memory without EPT`);
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
      // The full byte address: an EPT violation reports it in GUEST_PHYSICAL_ADDRESS (SDM 27.2.1).
      const hpa = this.gpaToHpa(lin, access, lin, true);
      this.fill(page, (hpa & ~0xfff) | TLB_ALL);
      return hpa | (lin & 0xfff);
    }
    if (cpu.cr4 & CR4_PAE) return this.translatePae(lin, access, user);
    // 32-bit paging (SDM 4.3).
    const mem = cpu.mem;
    const write = access === ACC_WRITE;
    const pdeGpa = ((cpu.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0;
    const pdeHpa = this.gpaToHpa(pdeGpa, ACC_WRITE /* may set A */, lin, false);
    let pde = mem.read32(pdeHpa);
    if (!(pde & 1)) return this.pageFault(lin, access, user, 0);
    let frameGpa: number;
    let rw: number, us: number, global: number, dirty: boolean;
    if ((pde & 0x80) && (cpu.cr4 & CR4_PSE)) {
      // 4-MiB page: without PSE-36 (not in CPUID), PDE bits 21:13 are reserved (SDM Table 4-6).
      if (pde & 0x3fe000) return this.pageFault(lin, access, user, PF_P | PF_RSVD);
      rw = pde & 2; us = pde & 4; global = pde & 0x100;
      if (!this.permitted(rw, us, user, write)) return this.pageFault(lin, access, user, PF_P);
      const upd = pde | 0x20 | (write ? 0x40 : 0);
      if (upd !== pde) { mem.write32(pdeHpa, upd); pde = upd; }
      dirty = (pde & 0x40) !== 0;
      frameGpa = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
    } else {
      const pteGpa = ((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
      const pteHpa = this.gpaToHpa(pteGpa, ACC_WRITE, lin, false);
      let pte = mem.read32(pteHpa);
      if (!(pte & 1)) return this.pageFault(lin, access, user, 0);
      rw = pde & pte & 2; us = pde & pte & 4; global = pte & 0x100;
      if (!this.permitted(rw, us, user, write)) return this.pageFault(lin, access, user, PF_P);
      if (!(pde & 0x20)) mem.write32(pdeHpa, pde | 0x20);
      const upd = pte | 0x20 | (write ? 0x40 : 0);
      if (upd !== pte) { mem.write32(pteHpa, upd); pte = upd; }
      dirty = (pte & 0x40) !== 0;
      frameGpa = (pte & ~0xfff) >>> 0;
    }
    return this.finish(lin, access, frameGpa, rw, us, global, dirty, true);
  }

  /**
   * PAE paging (SDM 4.4): the four PDPTEs were loaded into registers when CR3 was loaded (4.4.1);
   * PDEs and PTEs are 64 bits; 2-MiB pages; XD (bit 63) when IA32_EFER.NXE = 1. MAXPHYADDR is 32
   * (CPUID.80000008H:EAX[7:0]), so address bits 63:32 of an entry are reserved (except XD with NXE).
   */
  private translatePae(lin: number, access: number, user: boolean): number {
    const cpu = this.cpu, mem = cpu.mem;
    const write = access === ACC_WRITE;
    const nxe = (cpu.efer & EFER_NXE) !== 0;
    const hiReserved = nxe ? 0x7fffffff : -1;
    const k = lin >>> 30;
    const pdpteLo = this.pdpte[2 * k];
    if (!(pdpteLo & 1)) return this.pageFault(lin, access, user, 0);
    const pdeGpa = ((pdpteLo & ~0xfff) + (((lin >>> 21) & 0x1ff) << 3)) >>> 0;
    const pdeHpa = this.gpaToHpa(pdeGpa, ACC_WRITE /* may set A */, lin, false);
    let pde = mem.read32(pdeHpa);
    const pdeHi = mem.read32((pdeHpa + 4) as Hpa);
    if (!(pde & 1)) return this.pageFault(lin, access, user, 0);
    if (pdeHi & hiReserved) return this.pageFault(lin, access, user, PF_P | PF_RSVD);
    let xd = pdeHi < 0 && nxe;
    let frameGpa: number, rw: number, us: number, global: number, dirty: boolean;
    if (pde & 0x80) {
      // 2-MiB page: bits 20:13 reserved (SDM Table 4-9).
      if (pde & 0x1fe000) return this.pageFault(lin, access, user, PF_P | PF_RSVD);
      rw = pde & 2; us = pde & 4; global = pde & 0x100;
      if (!this.permitted(rw, us, user, write) || (xd && access === ACC_FETCH)) return this.pageFault(lin, access, user, PF_P);
      const upd = pde | 0x20 | (write ? 0x40 : 0);
      if (upd !== pde) { mem.write32(pdeHpa, upd); pde = upd; }
      dirty = (pde & 0x40) !== 0;
      frameGpa = ((pde & 0xffe00000) | (lin & 0x1ff000)) >>> 0;
    } else {
      const pteGpa = ((pde & ~0xfff) + (((lin >>> 12) & 0x1ff) << 3)) >>> 0;
      const pteHpa = this.gpaToHpa(pteGpa, ACC_WRITE, lin, false);
      let pte = mem.read32(pteHpa);
      const pteHi = mem.read32((pteHpa + 4) as Hpa);
      if (!(pte & 1)) return this.pageFault(lin, access, user, 0);
      if (pteHi & hiReserved) return this.pageFault(lin, access, user, PF_P | PF_RSVD);
      xd = xd || (pteHi < 0 && nxe);
      rw = pde & pte & 2; us = pde & pte & 4; global = pte & 0x100;
      if (!this.permitted(rw, us, user, write) || (xd && access === ACC_FETCH)) return this.pageFault(lin, access, user, PF_P);
      if (!(pde & 0x20)) mem.write32(pdeHpa, pde | 0x20);
      const upd = pte | 0x20 | (write ? 0x40 : 0);
      if (upd !== pte) { mem.write32(pteHpa, upd); pte = upd; }
      dirty = (pte & 0x40) !== 0;
      frameGpa = (pte & ~0xfff) >>> 0;
    }
    return this.finish(lin, access, frameGpa, rw, us, global, dirty, !xd);
  }

  /** Final translation and the TLB entry with the combined permissions. */
  private finish(lin: number, access: number, frameGpa: number, rw: number, us: number, global: number, dirty: boolean, exec: boolean): number {
    const cpu = this.cpu;
    const hpa = this.gpaToHpa((frameGpa | (lin & 0xfff)) >>> 0, access, lin, true); // byte address (SDM 27.2.1)
    // Write permission is cached only once the dirty bit is set, so the first write walks again.
    const wp = (cpu.cr0 & CR0_WP) !== 0;
    let e = (hpa & ~0xfff) | TLB_SR;
    if (exec) e |= TLB_SX;
    if (dirty && (rw || !wp)) e |= TLB_SW;
    if (us) { e |= TLB_UR; if (exec) e |= TLB_UX; if (dirty && rw) e |= TLB_UW; }
    if (global && (cpu.cr4 & CR4_PGE)) e |= TLB_GLOBAL;
    this.fill(lin >>> 12, e);
    return hpa | (lin & 0xfff);
  }

  private permitted(rw: number, us: number, user: boolean, write: boolean): boolean {
    if (user && !us) return false;
    if (write && !rw && (user || (this.cpu.cr0 & CR0_WP))) return false;
    return true;
  }

  /**
   * #PF with the SDM error code (Vol. 3A 4.7): P (protection violation rather than not-present),
   * W/R, U/S, RSVD (a reserved bit set in a paging-structure entry), I/D (an instruction fetch, only
   * when PAE paging with IA32_EFER.NXE = 1). CR2 gets the linear address on delivery.
   */
  private pageFault(lin: number, access: number, user: boolean, bits: number): never {
    let err = bits | (access === ACC_WRITE ? PF_W : 0) | (user ? PF_U : 0);
    if (access === ACC_FETCH && (this.cpu.cr4 & CR4_PAE) && (this.cpu.efer & EFER_NXE)) err |= PF_I;
    // A page fault invalidates the TLB entries for the faulting address (SDM 4.10.4.1).
    this.tlb[lin >>> 12] = 0;
    this.cpu.raisePageFault(lin, err);
  }

  /** PAE paging is in use: CR0.PG = 1 and CR4.PAE = 1 (no IA-32e mode on this processor). */
  paePaging(): boolean { return (this.cpu.cr0 & CR0_PG) !== 0 && (this.cpu.cr4 & CR4_PAE) !== 0; }

  /**
   * Load the four PDPTEs from the 32-byte-aligned table at CR3 (SDM 4.4.1): on MOV to CR3 with PAE
   * paging, on MOV to CR0 setting PG with CR4.PAE = 1, on MOV to CR4 changing PAE/PGE/PSE with PAE
   * paging. A present PDPTE with a reserved bit set (bits 2:1, 8:5, 63:MAXPHYADDR) makes the MOV
   * fail with #GP(0) and leaves the registers unchanged. Under EPT the reads go through the EPT
   * (SDM 29.3.3), so they may cause an EPT violation and the instruction restarts after the VMM maps.
   */
  loadPdptes(cr3: number): void {
    const mem = this.cpu.mem;
    const base = (cr3 & ~0x1f) >>> 0;
    const tmp = this.pdpteTmp;
    for (let k = 0; k < 4; k++) {
      const hpa = this.gpaToHpa(base + 8 * k, ACC_READ, 0, false);
      tmp[2 * k] = mem.read32(hpa); tmp[2 * k + 1] = mem.read32((hpa + 4) as Hpa);
      if ((tmp[2 * k] & 1) && ((tmp[2 * k] & 0x1e6) || tmp[2 * k + 1])) this.cpu.raiseGP(0);
    }
    this.pdpte.set(tmp);
  }

  /**
   * Side-effect-free translation for the debugger (like Bochs's debug walks): no A/D updates, no
   * TLB fill, no faults. Returns the guest-physical address or -1.
   */
  debugLinearToGpa(lin: number, gpaRead: (gpa: number) => number | undefined): number {
    const cpu = this.cpu;
    if (!(cpu.cr0 & CR0_PG)) return lin >>> 0;
    if (cpu.cr4 & CR4_PAE) {
      const lo = this.pdpte[2 * (lin >>> 30)];
      if (!(lo & 1)) return -1;
      const pde = gpaRead(((lo & ~0xfff) + (((lin >>> 21) & 0x1ff) << 3)) >>> 0);
      if (pde === undefined || !(pde & 1)) return -1;
      if (pde & 0x80) return ((pde & 0xffe00000) | (lin & 0x1fffff)) >>> 0;
      const pte = gpaRead(((pde & ~0xfff) + (((lin >>> 12) & 0x1ff) << 3)) >>> 0);
      if (pte === undefined || !(pte & 1)) return -1;
      return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
    }
    const pde = gpaRead(((cpu.cr3 & ~0xfff) + ((lin >>> 22) << 2)) >>> 0);
    if (pde === undefined || !(pde & 1)) return -1;
    if ((pde & 0x80) && (cpu.cr4 & CR4_PSE)) return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
    const pte = gpaRead(((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2)) >>> 0);
    if (pte === undefined || !(pte & 1)) return -1;
    return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
  }
}

export { PFV };
