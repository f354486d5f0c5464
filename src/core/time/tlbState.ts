// The TLBs as part of a moment of history. A checkpoint does not touch the TLBs (a flush would be a
// guest-visible event: a guest relying on a stale entry, or on a walk not re-setting an accessed bit
// it cleared, would run differently with recording on; every write marks its host page dirty on the
// TLB hit path itself, ADR 0019); it keeps the TLBs' content, so a restore puts back exactly the TLBs
// the recorded run had at that moment.
import type { Vmm } from '../vmm/vmm';

export function saveTlbs(vmm: Vmm): Int32Array[] { return vmm.vcpus.map((v) => v.cpu.mmu.saveEntries()); }

/** Load saved TLBs (none saved: flush them). */
export function loadTlbs(vmm: Vmm, tlbs: readonly Int32Array[] | undefined): void {
  vmm.vcpus.forEach((v, k) => { const t = tlbs?.[k]; if (t) v.cpu.mmu.loadEntries(t); else v.cpu.mmu.flushAll(); });
}

export function tlbBytes(tlbs: readonly Int32Array[] | undefined): number { let n = 0; for (const t of tlbs ?? []) n += t.byteLength; return n; }
