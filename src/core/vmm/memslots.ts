// Guest-physical memory as the hypervisor sees it: memslots mapping guest-physical ranges to
// host-physical memory (KVM's struct kvm_memory_slot). The EPT and the shadow page tables are built
// from these; nothing else decides what host memory a guest can reach (invariant 6, isolation).
import type { Gpa, Hpa } from '../types';
import type { HostPhysMem } from '../hw/physMem';

export interface Memslot {
  gpaStart: number;
  size: number;
  hpaStart: number;
}

export class GuestMemory {
  readonly slots: Memslot[] = [];
  /**
   * ANDed into every guest-physical address before the memslot lookup: all ones, or ~(1 << 20) while the
   * A20 gate is off (vmm/a20Alias.ts). Everything that maps guest memory (EPT, shadow tables, the
   * debugger's views) goes through gpaToHpa, so the odd megabytes alias the even ones, as on a PC.
   */
  a20Mask = 0xffffffff;
  constructor(readonly host: HostPhysMem) {}

  addSlot(gpaStart: number, size: number): Memslot {
    const hpaStart = this.host.allocPages(size / 4096);
    const s = { gpaStart, size, hpaStart };
    this.slots.push(s);
    return s;
  }

  /** Host-physical address backing `gpa`, or -1 when no memslot covers it (MMIO or a hole). */
  gpaToHpa(gpa: Gpa | number): Hpa | -1 {
    const g = (gpa & this.a20Mask) >>> 0;
    for (const s of this.slots) {
      if (g >= s.gpaStart && g < s.gpaStart + s.size) return (s.hpaStart + (g - s.gpaStart)) as Hpa;
    }
    return -1;
  }

  get ramSize(): number { return this.slots.reduce((n, s) => n + s.size, 0); }

  /** Copy bytes into guest-physical memory (loaders). Throws if the range is not RAM. */
  writeBytes(gpa: number, bytes: Uint8Array): void {
    for (let k = 0; k < bytes.length;) {
      const h = this.gpaToHpa(gpa + k);
      if (h === -1) throw new RangeError(`guest-physical 0x${((gpa + k) >>> 0).toString(16)} is not RAM`);
      const inPage = Math.min(bytes.length - k, 4096 - ((gpa + k) & 0xfff));
      this.host.u8.set(bytes.subarray(k, k + inPage), h);
      this.host.noteWrite(h, inPage);
      k += inPage;
    }
  }

  read32(gpa: number): number | undefined {
    const h = this.gpaToHpa(gpa);
    return h === -1 || ((gpa & 0xfff) > 0xffc) ? undefined : this.host.read32(h);
  }
  read8(gpa: number): number | undefined {
    const h = this.gpaToHpa(gpa);
    return h === -1 ? undefined : this.host.u8[h];
  }
  write8(gpa: number, v: number): boolean {
    const h = this.gpaToHpa(gpa);
    if (h === -1) return false;
    this.host.write8(h, v);
    return true;
  }
}
