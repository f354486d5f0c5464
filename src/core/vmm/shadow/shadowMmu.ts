// The shadow MMU (KVM's shadow paging, arch/x86/kvm/mmu/mmu.c + paging_tmpl.h; the vocabulary of
// Documentation/virt/kvm/x86/mmu.rst): without EPT the processor walks tables the hypervisor builds in
// host memory that map guest-virtual straight to host-physical (GVA -> HPA), in the real 32-bit or PAE
// entry format, with CR3 = the shadow root. One set of shadow tables per guest CR3, kept in a shadow
// page cache (hash by guest frame and role), built lazily on #PF exits from the guest's own tables.
//
// Keeping the shadows true to the guest's tables:
// - Every guest page-table page with a shadow page is write-protected (all sptes that map it lose W).
// - A guest write to one faults (#PF exit). Eager policy: the VMM emulates the write (writeEmulator.ts)
//   and updates the affected sptes at once. Lazy policy: a last-level table goes "unsync" (writable,
//   no more faults; mmu.rst "unsync"), and its sptes are synced on INVLPG (that entry), on a CR3 switch
//   (every unsync page) and, for a stale entry, on the #PF it causes; upper-level tables are emulated
//   as in eager (KVM unsyncs only last-level pages).
// - A/D bits: a leaf spte is made only for an access, after the guest walk set A (and D on a write);
//   an spte is writable only once the guest entry is dirty, so the first write faults and sets D.
// - CR0.WP = 0 in the guest (the hardware always runs with WP = 1 so supervisor writes to protected
//   tables fault): a supervisor write to a read-only page gets a writable supervisor-only spte
//   (KVM's cr0_wp = 0 emulation).
// Isolation (invariant 6): a leaf spte only ever holds a host page from the memslots (GuestMemory.gpaToHpa)
// or, read-only, the empty-bus page; never a shadow table, EPT table or bitmap page.
//
// TLB: the VMM runs the guest with a VPID, so VM entries and exits keep the guest's translations, as
// with EPT the guest's own MOV CR3 / INVLPG would: the VMM invalidates them (INVVPID) exactly when the
// guest's instruction would (INVLPG: that page; MOV CR3: non-global) and when it takes write access away.
import type { HostPhysMem } from '../../hw/physMem';
import type { GuestMemory } from '../memslots';
import type { VCpu } from '../vcpu';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { GuestWalk, walkGuest, type GuestPagingMode, PFERR_FETCH, PFERR_USER, PFERR_WRITE } from './guestWalk';
import { ACC_ALL, ACC_NX, ACC_U, ACC_W, makeRole, ShadowPage, spKey } from './shadowPage';
import { WriteEmulator } from './writeEmulator';
import { StateFormatError, type Snapshotable, type StateReader, type StateWriter } from '../../time/stateIo';

export type ShadowSync = 'lazy' | 'eager';

/** INVVPID types (SDM Vol. 3C 30.3 "INVVPID"). */
export const INVVPID_ADDR = 0, INVVPID_SINGLE = 1, INVVPID_SINGLE_NON_GLOBAL = 3;

/** Guest-visible host-owned bits in shadow mode (SDM 25.6.6): CR0 PE, NE, WP, PG; CR4 PSE, PAE, PGE, VMXE. */
export const SHADOW_CR0_HOST_OWNED = 0x80010021, SHADOW_CR4_HOST_OWNED = 0x20b0;

/** Statistics the debugger shows (VM statistics). */
export interface ShadowStats {
  /** #PF exits fixed by building shadow entries. */
  shadowPageFaults: number;
  /** #PF exits that were the guest's own faults, reflected into it. */
  guestPageFaults: number;
  /** Shadow pages (whole) and entries (INVLPG) brought back in sync with the guest's tables. */
  syncs: number;
  /** Writes to write-protected guest page tables emulated by the VMM. */
  writesEmulated: number;
  /** Guest page-table pages the VMM write-protected (cumulative) and how many are protected now. */
  pagesWriteProtected: number;
  protectedNow: number;
  /** Last-level tables made unsync (lazy policy). */
  unsyncs: number;
  /** Roots (one per guest CR3) in the shadow page cache, CR3 switches, and switches that found the root cached. */
  rootsCached: number;
  cr3Switches: number;
  rootCacheHits: number;
  /** Shadow pages in use, and times the whole cache was zapped (mode change, memory pressure). */
  shadowPages: number;
  zapAll: number;
}

/** Roots kept in the cache beyond the current ones (KVM keeps a few previous roots, kvm_mmu_root_info prev_roots). */
const ROOT_CACHE = 8;
/** Emulated writes to a last-level page without a fault using it before it is zapped (KVM's detect_write_flooding). */
const WRITE_FLOOD = 3;
const OUT_OF_PAGES = { signal: 'shadow-out-of-pages' } as const;
const SHADOW_STATE_VERSION = 1;
const STAT_KEYS: (keyof ShadowStats)[] = ['shadowPageFaults', 'guestPageFaults', 'syncs', 'writesEmulated', 'pagesWriteProtected',
  'protectedNow', 'unsyncs', 'rootsCached', 'cr3Switches', 'rootCacheHits', 'shadowPages', 'zapAll'];

class VcpuMmu {
  guestCr3 = 0;
  readonly pdpte = new Int32Array(8);
  /** 32-bit / paging off: the root page directory. PAE: the four shadow page directories. */
  root: ShadowPage | null = null;
  readonly paeRoots: (ShadowPage | null)[] = [null, null, null, null];
  /** The PAE root: a host page whose first 32 bytes are the PDPT the hardware loads (SDM 26.3.2.4). */
  paeRootHpa = 0;
  /** Linear address of the last #PF the VMM injected (its CR2). */
  injectedPfAddress = 0;
  /** The mode the current shadows were built for: NXE and WP are part of every spte's meaning. */
  builtFor = -1;
  readonly mode: GuestPagingMode = { pg: false, pae: false, pse: false, wp: false, nxe: false, pge: false, cr3: 0, pdpte: this.pdpte };
}

export type FaultOutcome = 'fixed' | 'reflected' | 'mmio-write' | 'emulated' | 'error';

export class ShadowMmu implements Snapshotable {
  readonly stateName = 'shadowMmu';
  readonly stats: ShadowStats = {
    shadowPageFaults: 0, guestPageFaults: 0, syncs: 0, writesEmulated: 0, pagesWriteProtected: 0, protectedNow: 0,
    unsyncs: 0, rootsCached: 0, cr3Switches: 0, rootCacheHits: 0, shadowPages: 0, zapAll: 0,
  };
  /** Why the last fault ended in 'error'. */
  lastError = '';
  private readonly hash = new Map<number, ShadowPage>();
  /** Shadow pages by the host page that holds them (to find the page an spte address lies in). */
  private readonly byHpa = new Map<number, ShadowPage>();
  /** Indirect shadow pages by guest frame: the write-protected guest tables. */
  private readonly byGfn = new Map<number, ShadowPage[]>();
  /** Reverse map: guest frame -> host addresses of the leaf sptes mapping it (KVM's rmap). */
  private readonly rmap = new Map<number, Set<number>>();
  private readonly unsyncPages = new Set<ShadowPage>();
  /** Cached roots, least recently used first. */
  private readonly rootLru: ShadowPage[] = [];
  private readonly free: number[] = [];
  private poolPages = 0;
  private readonly vcpuMmu: VcpuMmu[] = [];
  /** TLB invalidation owed before the next entry: 0 none, 1 non-global, 2 all. */
  private pendingFlush = 0;
  /** Guest-physical addresses the VMM emulates (the APIC pages): never mapped, reads fault too (set by the Vmm). */
  isMmio: (gpa: number) => boolean = () => false;
  private readonly walk = new GuestWalk();
  private readonly walk2 = new GuestWalk();
  private readonly emulator: WriteEmulator;
  private readonly snaps = [new Int32Array(1024), new Int32Array(1024), new Int32Array(1024)];
  /** The paging mode of the vCPU being served (set by mode()). */
  private cur: GuestPagingMode | null = null;

  constructor(
    private readonly host: HostPhysMem,
    private readonly memory: GuestMemory,
    private readonly emptyBusPage: number,
    readonly policy: ShadowSync,
    /** Most host pages the shadow tables may use (the cache is zapped when they run out). */
    private readonly maxPages = 1024,
  ) {
    this.emulator = new WriteEmulator(host);
  }

  private vs(vcpu: VCpu): VcpuMmu {
    let s = this.vcpuMmu[vcpu.id];
    if (!s) { s = new VcpuMmu(); s.paeRootHpa = this.host.allocPages(1); this.vcpuMmu[vcpu.id] = s; }
    return s;
  }

  // ------------------------------------------------------------------ the guest's view
  /** The guest's CR0 / CR4 (VMCS guest value for guest-owned bits, read shadow for host-owned ones). */
  static guestCr0(vcpu: VCpu): number {
    const v = vcpu.vmcs, m = v.read(VMCS.CR0_GUEST_HOST_MASK);
    return ((v.read(VMCS.GUEST_CR0) & ~m) | (v.read(VMCS.CR0_READ_SHADOW) & m)) >>> 0;
  }
  static guestCr4(vcpu: VCpu): number {
    const v = vcpu.vmcs, m = v.read(VMCS.CR4_GUEST_HOST_MASK);
    return ((v.read(VMCS.GUEST_CR4) & ~m) | (v.read(VMCS.CR4_READ_SHADOW) & m)) >>> 0;
  }
  guestCr3(vcpu: VCpu): number { return this.vs(vcpu).guestCr3 >>> 0; }
  guestPdptes(vcpu: VCpu): Int32Array { return this.vs(vcpu).pdpte; }

  /** The guest's paging mode, from the read shadows, its CR3 and EFER. */
  mode(vcpu: VCpu): GuestPagingMode {
    const s = this.vs(vcpu), m = s.mode;
    const cr0 = ShadowMmu.guestCr0(vcpu), cr4 = ShadowMmu.guestCr4(vcpu);
    m.pg = (cr0 & 0x80000000) !== 0; m.wp = (cr0 & 0x10000) !== 0;
    m.pae = (cr4 & 0x20) !== 0; m.pse = (cr4 & 0x10) !== 0; m.pge = (cr4 & 0x80) !== 0;
    m.nxe = (vcpu.vmcs.read(VMCS.GUEST_IA32_EFER) & 0x800) !== 0;
    m.cr3 = s.guestCr3;
    this.cur = m;
    return m;
  }

  /** Everything an spte's meaning depends on beyond the guest's tables. */
  private modeBits(m: GuestPagingMode): number {
    return (m.pg ? 1 : 0) | (m.pae ? 2 : 0) | (m.pse ? 4 : 0) | (m.wp ? 8 : 0) | (m.nxe ? 16 : 0);
  }

  // ------------------------------------------------------------------ vCPU setup and CR changes
  /** At vCPU setup (after the VMCS): load the shadow root for the boot state. */
  initVcpu(vcpu: VCpu, guestCr3 = 0): void {
    const s = this.vs(vcpu);
    s.guestCr3 = guestCr3;
    this.loadRoot(vcpu);
    this.commitFlush(vcpu);
  }

  /**
   * The guest's paging mode changed (CR0.PG/WP, CR4.PAE/PSE, EFER.NXE): drop every shadow and start
   * again (KVM's kvm_mmu_reset_context). With PAE paging on, the PDPTEs must already be loaded.
   */
  resetContext(vcpu: VCpu): void {
    this.zapAll();
    this.loadRoot(vcpu);
    this.pendingFlush = 2;
    this.commitFlush(vcpu);
  }

  /**
   * MOV to CR3 (CR3-load exiting). Returns false when a PDPTE has a reserved bit set (the guest gets
   * #GP(0), SDM 4.4.1). Lazy policy: unsync pages are synced here (KVM's kvm_mmu_sync_roots).
   */
  setCr3(vcpu: VCpu, cr3: number): boolean {
    const s = this.vs(vcpu);
    const m = this.mode(vcpu);
    if (m.pg && m.pae && !this.loadGuestPdptes(cr3, s.pdpte)) return false;
    s.guestCr3 = cr3 >>> 0;
    this.stats.cr3Switches++;
    this.syncAll();
    this.loadRoot(vcpu);
    // MOV to CR3 invalidates the non-global translations (SDM 4.10.4.1).
    if (this.pendingFlush < 1) this.pendingFlush = 1;
    this.commitFlush(vcpu);
    return true;
  }

  /** Load the guest's four PDPTEs from the 32-byte table at `cr3` (SDM 4.4.1); false on a reserved bit. */
  loadGuestPdptes(cr3: number, out: Int32Array): boolean {
    const base = (cr3 & ~0x1f) >>> 0;
    const tmp = new Int32Array(8);
    for (let k = 0; k < 8; k++) tmp[k] = this.memory.read32(base + 4 * k) ?? -1;
    for (let k = 0; k < 4; k++) if ((tmp[2 * k] & 1) && ((tmp[2 * k] & 0x1e6) || tmp[2 * k + 1])) return false;
    out.set(tmp);
    return true;
  }

  /** INVLPG (INVLPG exiting): sync that page's spte if its shadow page is unsync, and invalidate it. */
  invlpg(vcpu: VCpu, gva: number): void {
    const s = this.vs(vcpu);
    const m = this.mode(vcpu);
    const leaf = this.leafFor(s, m, gva);
    if (leaf && leaf.sp.unsync) { this.syncEntry(leaf.sp, leaf.idx, m); this.stats.syncs++; }
    this.commitFlush(vcpu);
    vcpu.vmx.invvpid(INVVPID_ADDR, gva);
  }

  /**
   * The guest's CR2 for the #PF the VMM injects (VM entry does not write CR2; the VMM loads the register
   * before entering, as KVM does): also when an injected #PF is delivered again after a nested exit.
   */
  loadCr2(vcpu: VCpu): void {
    const a = this.vs(vcpu).injectedPfAddress;
    vcpu.cpu.cr2 = a; vcpu.cpu.pfAddress = a;
  }

  /** Invalidate the guest's translations (a CR4.PGE toggle, a CR0 write the VMM emulated). */
  flushGuestTlb(vcpu: VCpu): void {
    this.pendingFlush = 2;
    this.commitFlush(vcpu);
  }

  // ------------------------------------------------------------------ #PF exits
  /**
   * A #PF exit (exception bitmap bit 14, PFEC mask = match = 0: every #PF exits). Decide whose fault it
   * is: the guest's own (reflect it with the guest's error code and CR2) or the shadow's (build the
   * entries; emulate a write to a protected guest table).
   */
  pageFault(vcpu: VCpu, gva: number, errorCode: number, delivering = false): FaultOutcome {
    const write = (errorCode & PFERR_WRITE) !== 0, user = (errorCode & PFERR_USER) !== 0, fetch = (errorCode & PFERR_FETCH) !== 0;
    const s = this.vs(vcpu);
    const m = this.mode(vcpu);
    if (this.modeBits(m) !== s.builtFor) this.resetContext(vcpu);
    const w = walkGuest(this.memory, m, gva, write, user, fetch, true, this.walk);
    if (!w.ok) {
      this.reflect(vcpu, gva, w.errorCode);
      return 'reflected';
    }
    let r: 'ok' | 'wp' | 'mmio-write';
    try {
      r = this.map(s, m, gva, w, write, user);
    } catch (e) {
      if (e !== OUT_OF_PAGES) throw e;
      this.resetContext(vcpu);
      r = this.map(s, m, gva, w, write, user);
    }
    this.stats.shadowPageFaults++;
    if (r === 'mmio-write') { this.commitFlush(vcpu); return 'mmio-write'; }
    if (r === 'wp') {
      // The write comes from delivering an event (a push onto a page that is also a page table): there
      // is no instruction to emulate; stop shadowing that table and let the delivery write it.
      let out: FaultOutcome = 'error';
      try {
        if (!delivering) out = this.emulateWrite(vcpu, s, m, gva);
      } catch (e) {
        // Out of shadow pages while emulating: start again from empty shadows; the guest retries.
        if (e !== OUT_OF_PAGES) throw e;
        this.resetContext(vcpu);
        return 'fixed';
      }
      if (out === 'error' && this.unprotect(w.gpa >>> 12)) {
        // KVM's reexecute_instruction: unprotect the page and let the guest run the write itself (not
        // possible when the table maps itself: the path to it protects it again).
        if (this.map(s, m, gva, w, write, user) === 'ok') out = 'fixed';
      }
      this.commitFlush(vcpu);
      return out;
    }
    this.commitFlush(vcpu);
    return 'fixed';
  }

  /** Reflect a guest #PF: inject it on the next entry with the guest's error code; CR2 = the address. */
  private reflect(vcpu: VCpu, gva: number, errorCode: number): void {
    this.vs(vcpu).injectedPfAddress = gva | 0;
    this.loadCr2(vcpu);
    const v = vcpu.vmcs;
    v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (14 | (3 << 8) | (1 << 11) | 0x80000000) >>> 0);
    v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
    vcpu.injected++;
    this.stats.guestPageFaults++;
  }

  /** KVM's FNAME(fetch): link the shadow path for `gva` and set its leaf spte from the guest walk. */
  private map(s: VcpuMmu, m: GuestPagingMode, gva: number, w: GuestWalk, write: boolean, user: boolean): 'ok' | 'wp' | 'mmio-write' {
    let leafSp: ShadowPage, idx: number;
    if (!m.pg || !m.pae) {
      const root = s.root!;
      const i2 = gva >>> 22;
      let child: ShadowPage;
      if (!m.pg) child = this.getPage(i2 << 10, makeRole(1, false, true, ACC_ALL));
      else if (w.level === 2) child = this.getPage((w.pde & 0xffc00000) >>> 12, makeRole(1, false, true, this.acc(w.pde, 0, m)));
      else child = this.getPage(w.pde >>> 12, makeRole(1, false, false, this.acc(w.pde, 0, m)));
      this.link(root, i2, child);
      leafSp = child; idx = (gva >>> 12) & 1023;
    } else {
      const pd = s.paeRoots[gva >>> 30]!;
      const i2 = (gva >>> 21) & 511;
      const child = w.level === 2
        ? this.getPage((w.pde & 0xffe00000) >>> 12, makeRole(1, true, true, this.acc(w.pde, w.pdeHi, m)))
        : this.getPage(w.pde >>> 12, makeRole(1, true, false, this.acc(w.pde, w.pdeHi, m)));
      this.link(pd, i2, child);
      leafSp = child; idx = (gva >>> 12) & 511;
    }
    leafSp.writeCount = 0;
    if (s.root) s.root.writeCount = 0;
    else s.paeRoots[gva >>> 30]!.writeCount = 0;
    const gfn = w.gpa >>> 12;
    const hpa = this.memory.gpaToHpa(gfn * 4096);
    if (hpa === -1) {
      if (write || this.isMmio(w.gpa)) return 'mmio-write';
      // Unbacked guest-physical memory reads as an empty bus (all-ones), as under EPT.
      this.setLeaf(leafSp, idx, gfn, (this.emptyBusPage | 0x21 | (w.user ? 4 : 0)) >>> 0, m.pae && w.nx ? 0x80000000 : 0);
      return 'ok';
    }
    let wr = w.writable, us = w.user;
    if (write && !wr && !user && !m.wp) { wr = true; us = false; } // guest CR0.WP = 0: supervisor-only writable spte
    if (!w.dirty) wr = false;
    let wp = false;
    if (wr && this.byGfn.has(gfn) && !this.allUnsync(gfn)) {
      if (this.policy === 'lazy' && this.canUnsync(gfn)) this.unsyncGfn(gfn);
      else { wr = false; wp = true; }
    }
    const lo = (hpa | 0x21 | (wr ? 0x42 : 0) | (us ? 4 : 0) | (w.global && m.pge ? 0x100 : 0)) >>> 0;
    this.setLeaf(leafSp, idx, gfn, lo, m.pae && w.nx ? 0x80000000 : 0);
    return write && wp ? 'wp' : 'ok';
  }

  /** Role access bits of a guest PDE. */
  private acc(lo: number, hi: number, m: GuestPagingMode): number {
    return (lo & 2 ? ACC_W : 0) | (lo & 4 ? ACC_U : 0) | (m.pae && m.nxe && hi < 0 ? ACC_NX : 0);
  }

  // ------------------------------------------------------------------ emulating page-table writes
  /**
   * Emulate the guest instruction that wrote a write-protected guest table (KVM: kvm_mmu_page_fault ->
   * x86_emulate_instruction), then update the sptes of the entries it changed.
   */
  private emulateWrite(vcpu: VCpu, s: VcpuMmu, m: GuestPagingMode, gva: number): FaultOutcome {
    const temps: { addr: number; gfn: number; hpa: number; snap: Int32Array }[] = [];
    const open = (lin: number): boolean => {
      const leaf = this.leafFor(s, m, lin);
      if (!leaf || temps.length >= this.snaps.length) return false;
      const addr = leaf.sp.entryAddr(leaf.idx);
      const gfn = leaf.sp.gfns[leaf.idx];
      const hpa = gfn < 0 ? -1 : this.memory.gpaToHpa(gfn * 4096);
      if (hpa === -1) return false;
      const snap = this.snaps[temps.length];
      snap.set(this.host.i32.subarray(hpa >> 2, (hpa >> 2) + 1024));
      temps.push({ addr, gfn, hpa, snap });
      this.host.write32(addr as never, this.host.read32(addr as never) | 2);
      return true;
    };
    const close = (): void => {
      for (const t of temps) this.host.write32(t.addr as never, this.host.read32(t.addr as never) & ~2);
    };
    if (!open(gva)) { this.lastError = `no shadow entry for the protected page at 0x${(gva >>> 0).toString(16)}`; return 'error'; }
    const pdpte = m.pg && m.pae ? this.host.i32.subarray(s.paeRootHpa >> 2, (s.paeRootHpa >> 2) + 8) : null;
    for (let attempt = 0; ; attempt++) {
      const stop = this.emulator.step(vcpu, pdpte);
      if (!stop) break;
      if (attempt >= 4 || stop.kind !== 'exception') {
        close();
        this.lastError = `the instruction at 0x${(vcpu.vmcs.read(VMCS.GUEST_RIP) >>> 0).toString(16)} writing the guest page table at 0x${(gva >>> 0).toString(16)} could not be emulated (${stop.kind === 'exit' ? 'it needs a VM exit' : `exception ${stop.vector}`})`;
        return 'error';
      }
      if (stop.vector !== 14) {
        // The instruction itself faults (#GP, #SS, ...): the guest gets that exception, as on hardware.
        close();
        const v = vcpu.vmcs;
        v.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, (stop.vector | (3 << 8) | (stop.errorCode >= 0 ? 1 << 11 : 0) | 0x80000000) >>> 0);
        if (stop.errorCode >= 0) v.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, stop.errorCode);
        vcpu.injected++;
        return 'reflected';
      }
      // A second page the instruction touches: the guest's fault, a missing spte, or another protected table.
      const e = stop.errorCode;
      const w2 = walkGuest(this.memory, m, stop.address, (e & 2) !== 0, (e & 4) !== 0, (e & 16) !== 0, true, this.walk2);
      if (!w2.ok) { close(); this.reflect(vcpu, stop.address, w2.errorCode); return 'reflected'; }
      const r = this.map(s, m, stop.address, w2, (e & 2) !== 0, (e & 4) !== 0);
      if (r === 'mmio-write') { close(); this.lastError = `emulated write reaches unbacked memory at 0x${(stop.address >>> 0).toString(16)}`; return 'error'; }
      if (r === 'wp' && !open(stop.address)) { close(); this.lastError = 'an emulated write touches too many protected pages'; return 'error'; }
    }
    close();
    this.stats.writesEmulated++;
    for (const t of temps) {
      const base = t.hpa >> 2, i32 = this.host.i32;
      for (let k = 0; k < 1024; k++) if (i32[base + k] !== t.snap[k]) this.guestTableWritten(t.gfn, k * 4, m);
    }
    return 'emulated';
  }

  /**
   * A guest table entry at (gfn, offset) changed under the VMM's eyes (KVM's kvm_mmu_pte_write): update
   * the last-level sptes made from it; an upper-level entry whose child no longer matches is unlinked.
   */
  private guestTableWritten(gfn: number, offset: number, m: GuestPagingMode, pv = false): void {
    const sps = this.byGfn.get(gfn);
    if (!sps) return;
    for (const sp of [...sps]) {
      const idx = Math.floor(offset / sp.esize);
      if (sp.level === 1) {
        if (sp.unsync) continue;
        this.syncEntry(sp, idx, m);
        // Write flooding (KVM's detect_write_flooding) guesses that a page written often is no longer a
        // page table; a paravirtual update (HC_MMU_UPDATE) says it is one, so it never counts.
        if (!pv && !sp.root && ++sp.writeCount >= WRITE_FLOOD) this.zapPage(sp);
      } else {
        const child = sp.children[idx];
        if (child && !this.childMatches(sp, idx, child, m)) this.unlink(sp, idx);
        // A cached root being rewritten (a page directory rebuilt for the next process): stop tracking it.
        if (!pv && ++sp.writeCount >= WRITE_FLOOD && !this.inUse(sp)) this.zapPage(sp);
      }
    }
  }

  /** Does the guest PDE at `idx` of upper-level page `sp` still lead to `child`? */
  private childMatches(sp: ShadowPage, idx: number, child: ShadowPage, m: GuestPagingMode): boolean {
    const gpa = sp.gfn * 4096 + idx * sp.esize;
    const lo = this.memory.read32(gpa) ?? -1, hi = sp.pae ? (this.memory.read32(gpa + 4) ?? -1) : 0;
    if (!(lo & 1)) return false;
    const large = (lo & 0x80) !== 0 && (sp.pae || m.pse);
    if (large !== child.direct) return false;
    const gfn = large ? (lo & (sp.pae ? 0xffe00000 : 0xffc00000)) >>> 12 : lo >>> 12;
    return gfn === child.gfn && this.acc(lo, hi, m) === child.access;
  }

  // ------------------------------------------------------------------ sync
  /** Sync one present spte of an indirect last-level page with its guest entry (KVM's sync_spte). */
  private syncEntry(sp: ShadowPage, idx: number, m: GuestPagingMode): void {
    if (sp.direct || sp.gfns[idx] < 0) return;
    const gpa = sp.gfn * 4096 + idx * sp.esize;
    const lo = this.memory.read32(gpa) ?? -1, hi = sp.pae ? (this.memory.read32(gpa + 4) ?? -1) : 0;
    const hiReserved = m.nxe ? 0x7fffffff : -1;
    if (!(lo & 1) || !(lo & 0x20) || (sp.pae && (hi & hiReserved))) { this.zapLeaf(sp, idx); return; }
    let wr = (sp.access & ACC_W) !== 0 && (lo & 2) !== 0 && (lo & 0x40) !== 0;
    const us = (sp.access & ACC_U) !== 0 && (lo & 4) !== 0;
    const nx = sp.pae && ((sp.access & ACC_NX) !== 0 || (m.nxe && hi < 0));
    const gfn = lo >>> 12;
    const hpa = this.memory.gpaToHpa(gfn * 4096);
    if (hpa === -1) {
      this.setLeaf(sp, idx, gfn, (this.emptyBusPage | 0x21 | (us ? 4 : 0)) >>> 0, nx ? 0x80000000 : 0);
      return;
    }
    if (wr && this.byGfn.has(gfn) && !this.allUnsync(gfn)) wr = false;
    const lo2 = (hpa | 0x21 | (wr ? 0x42 : 0) | (us ? 4 : 0) | ((lo & 0x100) && m.pge ? 0x100 : 0)) >>> 0;
    this.setLeaf(sp, idx, gfn, lo2, nx ? 0x80000000 : 0);
  }

  /** Sync a whole unsync page and write-protect its guest table again (KVM's kvm_sync_page). */
  private syncPage(sp: ShadowPage, m: GuestPagingMode): void {
    for (let k = 0; k < sp.entries; k++) if (sp.gfns[k] >= 0) this.syncEntry(sp, k, m);
    sp.unsync = false;
    this.unsyncPages.delete(sp);
    this.stats.syncs++;
    if (!this.allUnsync(sp.gfn)) this.writeProtect(sp.gfn);
  }

  private syncAll(): void {
    if (!this.unsyncPages.size) return;
    const m = this.cur;
    if (!m) return;
    for (const sp of [...this.unsyncPages]) this.syncPage(sp, m);
  }

  private allUnsync(gfn: number): boolean {
    const sps = this.byGfn.get(gfn);
    return !!sps && sps.every((p) => p.unsync);
  }
  private canUnsync(gfn: number): boolean {
    const sps = this.byGfn.get(gfn);
    return !!sps && sps.every((p) => p.level === 1 && !p.root);
  }
  private unsyncGfn(gfn: number): void {
    for (const sp of this.byGfn.get(gfn) ?? []) {
      if (!sp.unsync) { sp.unsync = true; this.unsyncPages.add(sp); this.stats.unsyncs++; }
    }
  }

  /**
   * Stop shadowing guest frame `gfn` (KVM's kvm_mmu_unprotect_page): zap its shadow pages so the guest
   * can write it. Not possible for a table that is a root in use (false).
   */
  private unprotect(gfn: number): boolean {
    const sps = this.byGfn.get(gfn);
    if (!sps) return true;
    if (sps.some((p) => this.inUse(p))) return false;
    for (const p of [...sps]) this.zapPage(p);
    return true;
  }

  /**
   * Guest memory was written from outside the guest (the debugger, a device): if it holds a shadowed
   * guest table, update the shadow entries of what changed (as kvm_mmu_pte_write does for writes the
   * VMM makes) and invalidate the vCPU's translations. `pv`: a paravirtual page-table update
   * (HC_MMU_UPDATE, vmm/mmuUpdate.ts), which is known to target a page table (no write-flood count).
   */
  guestWritten(vcpu: VCpu, gpa: number, len: number, pv = false): void {
    const m = this.mode(vcpu);
    let touched = false;
    for (let a = (gpa & ~3) >>> 0; a < gpa + len; a += 4) {
      if (!this.byGfn.has(a >>> 12)) continue;
      this.guestTableWritten(a >>> 12, a & 0xfff, m, pv);
      touched = true;
    }
    if (touched) { this.pendingFlush = 2; this.commitFlush(vcpu); }
  }

  /** IA32_EFER was written (WRMSR exit): NXE changes what every PAE spte means. */
  eferWritten(vcpu: VCpu): void {
    const s = this.vs(vcpu);
    if (this.modeBits(this.mode(vcpu)) !== s.builtFor) this.resetContext(vcpu);
  }

  // ------------------------------------------------------------------ shadow pages
  /** Find or make the shadow page for (gfn, role) (KVM's kvm_mmu_get_page). */
  private getPage(gfn: number, role: number): ShadowPage {
    const key = spKey(gfn, role);
    const hit = this.hash.get(key);
    if (hit) return hit;
    const hpa = this.allocPage();
    const sp = new ShadowPage(hpa, gfn, role);
    this.hash.set(key, sp);
    this.byHpa.set(hpa, sp);
    this.stats.shadowPages++;
    if (!sp.direct) {
      let list = this.byGfn.get(gfn);
      if (!list) {
        list = [];
        this.byGfn.set(gfn, list);
        this.writeProtect(gfn);
        this.stats.pagesWriteProtected++;
        this.stats.protectedNow++;
      } else if (list.some((p) => p.unsync)) {
        // A new shadow of a table that is unsync: bring those back in sync first (they are protected again).
        const m = this.cur!;
        for (const p of [...list]) if (p.unsync) this.syncPage(p, m);
      }
      list.push(sp);
    }
    return sp;
  }

  private allocPage(): number {
    let hpa = this.free.pop();
    if (hpa !== undefined) {
      this.host.u8.fill(0, hpa, hpa + 4096);
      this.host.dirty[hpa >>> 12] = 1;
      return hpa;
    }
    if (this.poolPages >= this.maxPages) throw OUT_OF_PAGES;
    try { hpa = this.host.allocPages(1); } catch { throw OUT_OF_PAGES; }
    this.poolPages++;
    return hpa;
  }

  /** Take write access away from every spte that maps `gfn` (KVM's kvm_mmu_slot_gfn_write_protect). */
  private writeProtect(gfn: number): void {
    const set = this.rmap.get(gfn);
    let flush = 1; // a stale writable translation may survive in the TLB from an spte changed earlier
    if (set) {
      for (const a of set) {
        const lo = this.host.read32(a as never);
        if (lo & 2) { this.host.write32(a as never, lo & ~2); if (lo & 0x100) flush = 2; }
      }
    }
    if (this.pendingFlush < flush) this.pendingFlush = flush;
  }

  private setLeaf(sp: ShadowPage, idx: number, gfn: number, lo: number, hi: number): void {
    const a = sp.entryAddr(idx);
    const old = sp.gfns[idx];
    if (old !== gfn) {
      if (old >= 0) this.rmap.get(old)?.delete(a);
      let set = this.rmap.get(gfn);
      if (!set) { set = new Set(); this.rmap.set(gfn, set); }
      set.add(a);
      sp.gfns[idx] = gfn;
    }
    this.host.write32(a as never, lo);
    if (sp.pae) this.host.write32((a + 4) as never, hi);
  }

  private zapLeaf(sp: ShadowPage, idx: number): void {
    const old = sp.gfns[idx];
    if (old < 0) return;
    const a = sp.entryAddr(idx);
    this.rmap.get(old)?.delete(a);
    sp.gfns[idx] = -1;
    this.host.write32(a as never, 0);
    if (sp.pae) this.host.write32((a + 4) as never, 0);
  }

  private link(parent: ShadowPage, idx: number, child: ShadowPage): void {
    if (parent.children[idx] === child) return;
    if (parent.children[idx]) this.unlink(parent, idx);
    const a = parent.entryAddr(idx);
    parent.children[idx] = child;
    child.parentPtes.push(a);
    this.host.write32(a as never, (child.hpa | 0x27) >>> 0); // P, R/W, U/S, A: the leaf decides
    if (parent.pae) this.host.write32((a + 4) as never, 0);
  }

  private unlink(parent: ShadowPage, idx: number): void {
    const child = parent.children[idx];
    if (!child) return;
    const a = parent.entryAddr(idx);
    parent.children[idx] = null;
    this.host.write32(a as never, 0);
    if (parent.pae) this.host.write32((a + 4) as never, 0);
    const k = child.parentPtes.indexOf(a);
    if (k >= 0) child.parentPtes.splice(k, 1);
    if (!child.parentPtes.length && !child.root) this.zapPage(child);
    this.pendingFlush = 2;
  }

  /** Free a shadow page (KVM's kvm_mmu_prepare_zap_page + commit). */
  private zapPage(sp: ShadowPage): void {
    if (!this.hash.has(sp.key)) return;
    this.hash.delete(sp.key);
    this.byHpa.delete(sp.hpa);
    for (const a of [...sp.parentPtes]) {
      const parent = this.byHpa.get(a & ~0xfff);
      if (parent) { const idx = (a & 0xfff) / parent.esize; parent.children[idx] = null; }
      this.host.write32(a as never, 0);
    }
    sp.parentPtes.length = 0;
    if (sp.level === 1) { for (let k = 0; k < sp.entries; k++) this.zapLeaf(sp, k); }
    else for (let k = 0; k < sp.entries; k++) if (sp.children[k]) this.unlink(sp, k);
    if (!sp.direct) {
      const list = this.byGfn.get(sp.gfn);
      if (list) {
        const i = list.indexOf(sp);
        if (i >= 0) list.splice(i, 1);
        if (!list.length) { this.byGfn.delete(sp.gfn); this.stats.protectedNow--; }
      }
    }
    this.unsyncPages.delete(sp);
    const r = this.rootLru.indexOf(sp);
    if (r >= 0) this.rootLru.splice(r, 1);
    this.free.push(sp.hpa);
    this.stats.shadowPages--;
    this.stats.rootsCached = this.rootLru.length;
    this.pendingFlush = 2;
  }

  /** Drop every shadow page (KVM's kvm_mmu_zap_all). */
  zapAll(): void {
    for (const sp of this.hash.values()) this.free.push(sp.hpa);
    this.hash.clear(); this.byHpa.clear(); this.byGfn.clear(); this.rmap.clear(); this.unsyncPages.clear();
    this.rootLru.length = 0;
    for (const s of this.vcpuMmu) if (s) { s.root = null; s.paeRoots.fill(null); }
    this.stats.shadowPages = 0; this.stats.protectedNow = 0; this.stats.rootsCached = 0;
    this.stats.zapAll++;
    this.pendingFlush = 2;
    this.onZapAll?.();
  }
  /** Every vCPU's roots were dropped: the others must reload theirs before they run again (KVM_REQ_MMU_RELOAD; set by the Vmm). */
  onZapAll: (() => void) | null = null;

  // ------------------------------------------------------------------ roots
  /** Make (or find in the cache) the roots for the vCPU's guest CR3 and point GUEST_CR3 at them. */
  private loadRoot(vcpu: VCpu): void {
    const s = this.vs(vcpu);
    const m = this.mode(vcpu);
    s.builtFor = this.modeBits(m);
    try {
      this.loadRootOnce(vcpu, s, m);
    } catch (e) {
      if (e !== OUT_OF_PAGES) throw e;
      this.zapAll();
      this.loadRootOnce(vcpu, s, m);
    }
  }

  private loadRootOnce(vcpu: VCpu, s: VcpuMmu, m: GuestPagingMode): void {
    const v = vcpu.vmcs;
    if (!m.pg || !m.pae) {
      const root = !m.pg ? this.root(0, makeRole(2, false, true, ACC_ALL)) : this.root(s.guestCr3 >>> 12, makeRole(2, false, false, ACC_ALL));
      s.root = root;
      s.paeRoots.fill(null);
      v.write(VMCS.GUEST_CR3, root.hpa);
      return;
    }
    s.root = null;
    for (let k = 0; k < 4; k++) {
      const lo = s.pdpte[2 * k];
      const sp = lo & 1 ? this.root(lo >>> 12, makeRole(2, true, false, ACC_ALL)) : null;
      s.paeRoots[k] = sp;
      // A PDPTE: P and the address only (bits 2:1 and 8:5 are reserved, SDM Table 4-8).
      this.host.write32((s.paeRootHpa + 8 * k) as never, sp ? (sp.hpa | 1) >>> 0 : 0);
      this.host.write32((s.paeRootHpa + 8 * k + 4) as never, 0);
    }
    v.write(VMCS.GUEST_CR3, s.paeRootHpa);
  }

  private root(gfn: number, role: number): ShadowPage {
    const had = this.hash.has(spKey(gfn, role));
    const sp = this.getPage(gfn, role);
    if (had) this.stats.rootCacheHits++;
    sp.root = true;
    const i = this.rootLru.indexOf(sp);
    if (i >= 0) this.rootLru.splice(i, 1);
    this.rootLru.push(sp);
    // Evict the least recently used roots no vCPU is using (KVM keeps a few previous roots).
    while (this.rootLru.length > ROOT_CACHE + 4) {
      const old = this.rootLru[0];
      if (this.inUse(old)) { this.rootLru.push(this.rootLru.shift()!); if (this.rootLru.every((r) => this.inUse(r))) break; continue; }
      old.root = false;
      this.zapPage(old);
    }
    this.stats.rootsCached = this.rootLru.length;
    return sp;
  }

  private inUse(sp: ShadowPage): boolean {
    return this.vcpuMmu.some((s) => s && (s.root === sp || s.paeRoots.includes(sp)));
  }

  /** The last-level shadow page and index that map `gva` in the current root, if linked. */
  private leafFor(s: VcpuMmu, m: GuestPagingMode, gva: number): { sp: ShadowPage; idx: number } | null {
    if (!m.pg || !m.pae) {
      const c = s.root?.children[gva >>> 22];
      return c ? { sp: c, idx: (gva >>> 12) & 1023 } : null;
    }
    const c = s.paeRoots[gva >>> 30]?.children[(gva >>> 21) & 511];
    return c ? { sp: c, idx: (gva >>> 12) & 511 } : null;
  }

  private commitFlush(vcpu: VCpu): void {
    if (this.pendingFlush === 2) vcpu.vmx.invvpid(INVVPID_SINGLE, 0);
    else if (this.pendingFlush === 1) vcpu.vmx.invvpid(INVVPID_SINGLE_NON_GLOBAL, 0);
    this.pendingFlush = 0;
  }

  // ------------------------------------------------------------------ state (time travel, snapshots)
  /**
   * The whole shadow MMU as data (invariant 4): every shadow page with its role, links, leaf frames and
   * sync state, the root cache order, the page pool and each vCPU's guest CR3 / PDPTEs / roots. The
   * tables themselves are host memory, saved with it. Restoring gives back exactly the shadows (and so
   * exactly the stale-until-synced behaviour) the guest had at that instruction.
   */
  saveState(w: StateWriter): void {
    w.begin(this.stateName, SHADOW_STATE_VERSION);
    w.str(this.policy);
    w.u32(this.poolPages);
    w.u32s(this.free);
    for (const k of STAT_KEYS) w.f64(this.stats[k]);
    w.u32(this.hash.size);
    for (const sp of this.hash.values()) {
      w.u32(sp.hpa); w.u32(sp.gfn); w.u32(sp.role);
      w.u8((sp.unsync ? 1 : 0) | (sp.root ? 2 : 0)); w.u32(sp.writeCount);
      w.u32s(sp.parentPtes);
      if (sp.level === 1) w.i32s(sp.gfns);
      else {
        const links: number[] = [];
        sp.children.forEach((c, k) => { if (c) links.push(k, c.hpa); });
        w.u32s(links);
      }
    }
    w.u32s([...this.unsyncPages].map((p) => p.hpa));
    w.u32s(this.rootLru.map((p) => p.hpa));
    const vs = this.vcpuMmu.filter((x) => x);
    w.u32(vs.length);
    this.vcpuMmu.forEach((x, id) => {
      if (!x) return;
      w.u32(id); w.u32(x.guestCr3); w.i32s(x.pdpte); w.u32(x.root ? x.root.hpa : 0);
      w.u32s(x.paeRoots.map((p) => (p ? p.hpa : 0)));
      w.u32(x.paeRootHpa); w.i32(x.builtFor); w.i32(x.injectedPfAddress);
    });
  }

  loadState(r: StateReader): void {
    r.begin(this.stateName, SHADOW_STATE_VERSION);
    const policy = r.str();
    if (policy !== this.policy) throw new StateFormatError(`the saved VM used shadow paging with ${policy} sync, this one ${this.policy}: launch with the same shadowSync`);
    this.poolPages = r.u32();
    this.free.length = 0;
    const free = r.u32(); for (let k = 0; k < free; k++) this.free.push(r.u32());
    for (const k of STAT_KEYS) this.stats[k] = r.f64();
    this.hash.clear(); this.byHpa.clear(); this.byGfn.clear(); this.rmap.clear(); this.unsyncPages.clear(); this.rootLru.length = 0;
    const links: [ShadowPage, number[]][] = [];
    const n = r.u32();
    for (let k = 0; k < n; k++) {
      const sp = new ShadowPage(r.u32(), r.u32(), r.u32());
      const flags = r.u8();
      sp.unsync = (flags & 1) !== 0; sp.root = (flags & 2) !== 0; sp.writeCount = r.u32();
      const np = r.u32(); for (let i = 0; i < np; i++) sp.parentPtes.push(r.u32());
      if (sp.level === 1) {
        r.i32sInto(sp.gfns);
        sp.gfns.forEach((g, i) => {
          if (g < 0) return;
          let set = this.rmap.get(g);
          if (!set) { set = new Set(); this.rmap.set(g, set); }
          set.add(sp.entryAddr(i));
        });
      } else {
        const nl = r.u32(); const l: number[] = []; for (let i = 0; i < nl; i++) l.push(r.u32());
        links.push([sp, l]);
      }
      this.hash.set(sp.key, sp);
      this.byHpa.set(sp.hpa, sp);
      if (!sp.direct) { const list = this.byGfn.get(sp.gfn) ?? []; list.push(sp); this.byGfn.set(sp.gfn, list); }
    }
    for (const [sp, l] of links) for (let i = 0; i < l.length; i += 2) sp.children[l[i]] = this.byHpa.get(l[i + 1]) ?? null;
    const page = (hpa: number): ShadowPage => {
      const sp = this.byHpa.get(hpa);
      if (!sp) throw new StateFormatError(`shadow MMU state: no shadow page at 0x${hpa.toString(16)}`);
      return sp;
    };
    const nu = r.u32(); for (let k = 0; k < nu; k++) this.unsyncPages.add(page(r.u32()));
    const nr = r.u32(); for (let k = 0; k < nr; k++) this.rootLru.push(page(r.u32()));
    const nv = r.u32();
    for (let k = 0; k < nv; k++) {
      const id = r.u32();
      let x = this.vcpuMmu[id];
      if (!x) { x = new VcpuMmu(); this.vcpuMmu[id] = x; }
      x.guestCr3 = r.u32(); r.i32sInto(x.pdpte);
      const root = r.u32(); x.root = root ? page(root) : null;
      const np = r.u32(); for (let i = 0; i < np; i++) { const h = r.u32(); x.paeRoots[i] = h ? page(h) : null; }
      x.paeRootHpa = r.u32(); x.builtFor = r.i32(); x.injectedPfAddress = r.i32();
    }
    this.cur = null;
    this.pendingFlush = 0;
  }

  // ------------------------------------------------------------------ inspection (tests, views)
  /** Every present leaf spte: its host address, value (low dword) and the guest frame it maps. */
  *leafSptes(): Generator<{ addr: number; lo: number; gfn: number }> {
    for (const sp of this.hash.values()) {
      if (sp.level !== 1) continue;
      for (let k = 0; k < sp.entries; k++) {
        if (sp.gfns[k] < 0) continue;
        const addr = sp.entryAddr(k);
        yield { addr, lo: this.host.read32(addr as never), gfn: sp.gfns[k] };
      }
    }
  }
  /** Host pages holding shadow tables (the roots' PDPT pages included). */
  tablePages(): number[] {
    return [...this.byHpa.keys(), ...this.vcpuMmu.filter((s) => s).map((s) => s.paeRootHpa)];
  }
}
