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
  private nextFree: number;

  constructor(sizeBytes: number) {
    if (sizeBytes % PAGE_SIZE !== 0 || sizeBytes <= 0 || sizeBytes > 0x7fff_f000) {
      throw new RangeError(`host memory size must be a positive multiple of 4 KiB below 2 GiB (got ${sizeBytes})`);
    }
    this.size = sizeBytes;
    this.u8 = new Uint8Array(sizeBytes);
    this.i32 = new Int32Array(this.u8.buffer);
    this.nextFree = PAGE_SIZE; // HPA 0 is never handed out, so 0 can mean "none"
  }

  /** Allocate zeroed, page-aligned host memory (the VMM's page allocator). */
  allocPages(count: number): Hpa {
    const at = this.nextFree;
    const end = at + count * PAGE_SIZE;
    if (end > this.size) throw new RangeError(`host memory exhausted allocating ${count} page(s)`);
    this.nextFree = end;
    this.u8.fill(0, at, end);
    return at as Hpa;
  }

  get allocated(): number { return this.nextFree; }

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
  write8(a: Hpa, v: number): void { this.u8[a] = v; }
  write16(a: Hpa, v: number): void { this.u8[a] = v; this.u8[a + 1] = v >> 8; }
  write32(a: Hpa, v: number): void {
    if ((a & 3) === 0) { this.i32[a >> 2] = v; return; }
    const m = this.u8;
    m[a] = v; m[a + 1] = v >> 8; m[a + 2] = v >> 16; m[a + 3] = v >> 24;
  }
}
