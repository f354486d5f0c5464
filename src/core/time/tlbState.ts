// The TLBs as part of a moment of history. A checkpoint does not touch the TLBs (a flush would be a
// guest-visible event: a guest relying on a stale entry, or on a walk not re-setting an accessed bit
// it cleared, would run differently with recording on; every write marks its host page dirty on the
// TLB hit path itself, ADR 0019); it keeps the TLBs' content, so a restore puts back exactly the TLBs
// the recorded run had at that moment. Snapshot files carry them too (with the VPID each TLB's
// entries are tagged with), so a resumed or cloned VM runs on exactly as the saved one would have.
import type { Vmm } from '../vmm/vmm';
import type { StateReader, StateWriter } from './stateIo';
import { StateFormatError } from './stateIo';
import { TLB_TRACK } from '../hw/cpu/mmu';

export function saveTlbs(vmm: Vmm): Int32Array[] { return vmm.vcpus.map((v) => v.cpu.mmu.saveEntries()); }

/** Load saved TLBs (none saved: flush them). */
export function loadTlbs(vmm: Vmm, tlbs: readonly Int32Array[] | undefined): void {
  vmm.vcpus.forEach((v, k) => { const t = tlbs?.[k]; if (t) v.cpu.mmu.loadEntries(t); else v.cpu.mmu.flushAll(); });
}

export function tlbBytes(tlbs: readonly Int32Array[] | undefined): number { let n = 0; for (const t of tlbs ?? []) n += t.byteLength; return n; }

/**
 * The TLBs in a snapshot file (format version 2, time/snapshot.ts): u32 vCPU count, then per vCPU the
 * VPID its translations are tagged with (VmxCpu.tlbVpid: a fresh VM's 0 would flush them at the next
 * VM entry, which the saved VM would not have done) and Mmu.saveEntries as i32s.
 */
export function writeTlbs(w: StateWriter, vmm: Vmm): void {
  w.u32(vmm.vcpus.length);
  for (const v of vmm.vcpus) { w.u32(v.vmx.tlbVpid); w.i32s(v.cpu.mmu.saveEntries()); }
}

/** Per vCPU: the VPID tag and the entries, as writeTlbs wrote them (validated before anything is loaded). */
export interface SavedTlb { vpid: number; entries: Int32Array; }

/** Read and check a TLB section: every entry names a linear page and a host page inside `hostSize` bytes. */
export function readTlbs(r: StateReader, hostSize: number): SavedTlb[] {
  const n = r.u32();
  if (n > 256) throw new StateFormatError(`bad TLB section (${n} vCPUs)`);
  const out: SavedTlb[] = [];
  for (let k = 0; k < n; k++) {
    const vpid = r.u32();
    const len = r.u32();
    const bad = (why: string): StateFormatError => new StateFormatError(`bad TLB record for vCPU ${k}: ${why}`);
    // [overflow flag, (linear page, entry) pairs]; without overflow at most TLB_TRACK pairs (Mmu.tracked).
    if (len < 1 || len % 2 !== 1 || len > 1 + 2 * (1 << 20)) throw bad(`${len} words`);
    const entries = new Int32Array(len);
    for (let i = 0; i < len; i++) entries[i] = r.i32();
    if (entries[0] !== 0 && entries[0] !== 1) throw bad(`overflow flag ${entries[0]}`);
    if (entries[0] === 0 && (len - 1) / 2 > TLB_TRACK) throw bad(`${(len - 1) / 2} entries without the overflow flag`);
    for (let i = 1; i < len; i += 2) {
      if (entries[i] >>> 0 >= 1 << 20) throw bad(`linear page ${entries[i] >>> 0}`);
      if (((entries[i + 1] >>> 12) * 4096) >= hostSize) throw bad(`host page 0x${(entries[i + 1] >>> 12).toString(16)} outside host memory`);
    }
    out.push({ vpid, entries });
  }
  return out;
}

/** Put saved TLBs back (none, from an older snapshot file: flush them, as loading the CPUs did). */
export function applyTlbs(vmm: Vmm, tlbs: readonly SavedTlb[] | undefined): void {
  if (tlbs && tlbs.length !== vmm.vcpus.length) throw new StateFormatError(`the snapshot has TLBs for ${tlbs.length} vCPUs, this VM has ${vmm.vcpus.length}`);
  vmm.vcpus.forEach((v, k) => {
    const t = tlbs?.[k];
    if (t) { v.cpu.mmu.loadEntries(t.entries); v.vmx.tlbVpid = t.vpid; } else v.cpu.mmu.flushAll();
  });
}
