// Host-physical memory: the "RAM chips" of the emulated machine. Guest RAM, EPT tables, shadow page
// tables and VMCS regions all live here, at host-physical addresses (Hpa). It is plain typed arrays
// (ARCHITECTURE.md invariant 4), so checkpoints copy pages and snapshots are files.
import type { Hpa } from '../types';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

export class HostPhysMem {
  readonly size: number;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /**
   * Pages holding instructions decoded into a CPU's decoded-instruction cache. A write to such a page
   * (by any CPU or by the hypervisor) calls `codeWritten`, which drops the stale decodes.
   */
  readonly codePages: Uint8Array;
  codeWritten: (page: number) => void = () => undefined;
  /**
   * Pages written since time travel last cleared them (time/checkpoints.ts copies only these). Set by
   * the write8/16/32 paths, noteWrite, allocPages, and by the MMU when it grants write access in a TLB fill.
   */
  readonly dirty: Uint8Array;
  private nextFree: number;

  constructor(sizeBytes: number) {
    if (sizeBytes % PAGE_SIZE !== 0 || sizeBytes <= 0 || sizeBytes > 0x7fff_f000) {
      throw new RangeError(`host memory size must be a positive multiple of 4 KiB below 2 GiB (got ${sizeBytes})`);
    }
    this.size = sizeBytes;
    this.u8 = new Uint8Array(sizeBytes);
    this.i32 = new Int32Array(this.u8.buffer);
    this.codePages = new Uint8Array(sizeBytes >>> 12);
    this.dirty = new Uint8Array(sizeBytes >>> 12).fill(1);
    this.nextFree = PAGE_SIZE; // HPA 0 is never handed out, so 0 can mean "none"
  }

  /** Allocate zeroed, page-aligned host memory (the VMM's page allocator). */
  allocPages(count: number): Hpa {
    const at = this.nextFree;
    const end = at + count * PAGE_SIZE;
    if (end > this.size) throw new RangeError(`host memory exhausted allocating ${count} page(s)`);
    this.nextFree = end;
    this.u8.fill(0, at, end);
    this.dirty.fill(1, at >>> 12, end >>> 12);
    return at as Hpa;
  }

  get allocated(): number { return this.nextFree; }
  /** Restoring a checkpoint or snapshot: the allocator's position at that moment. */
  restoreAllocated(next: number): void { this.nextFree = next; }

  contains(a: number, len = 1): boolean {
    return a >= 0 && a + len <= this.size;
  }

  read8(a: Hpa): number { return this.u8[a]; }
  read16(a: Hpa): number { return this.u8[a] | (this.u8[a + 1] << 8); }
  read32(a: Hpa): number {
    if ((a & 3) === 0) return this.i32[a >> 2];
    const m = this.u8;
    return m[a] | (m[a + 1] << 8) | (m[a + 2] << 16) | (m[a + 3] << 24);
  }
  /** Any write that bypasses the write8/16/32 methods (u8.set, fill) must report its range here. */
  noteWrite(a: number, len: number): void {
    for (let p = a >>> 12, end = (a + len - 1) >>> 12; p <= end; p++) { this.dirty[p] = 1; if (this.codePages[p]) this.codeWritten(p); }
  }
  write8(a: Hpa, v: number): void { this.dirty[a >>> 12] = 1; if (this.codePages[a >>> 12]) this.codeWritten(a >>> 12); this.u8[a] = v; }
  write16(a: Hpa, v: number): void { this.noteWrite(a, 2); this.u8[a] = v; this.u8[a + 1] = v >> 8; }
  write32(a: Hpa, v: number): void {
    if (this.codePages[a >>> 12] || this.codePages[(a + 3) >>> 12]) this.noteWrite(a, 4);
    this.dirty[a >>> 12] = 1; this.dirty[(a + 3) >>> 12] = 1;
    if ((a & 3) === 0) { this.i32[a >> 2] = v; return; }
    const m = this.u8;
    m[a] = v; m[a + 1] = v >> 8; m[a + 2] = v >> 16; m[a + 3] = v >> 24;
  }
}
