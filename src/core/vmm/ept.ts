// EPT paging structures built by the hypervisor in host memory, in the real entry format
// (SDM Vol. 3C 29.3.2, Tables 29-1..29-6): 4 levels, 8-byte entries, R/W/X in bits 2:0, memory
// type in bits 5:3 for leaf entries. Mappings are created lazily, on EPT violations, as KVM's TDP MMU does.
import type { HostPhysMem } from '../hw/physMem';
import type { Gpa, Hpa } from '../types';

export const EPT_R = 1, EPT_W = 2, EPT_X = 4, EPT_RWX = 7;
const MT_WB = 6 << 3;

export class Ept {
  readonly root: Hpa;
  /** Number of 4 KiB leaf mappings (statistics). */
  mapped = 0;
  /** Paging-structure pages allocated. */
  tablePages = 1;

  constructor(private readonly mem: HostPhysMem) {
    this.root = mem.allocPages(1);
  }

  /** EPTP: WB memory type (6), page-walk length 4 (encoded 3), accessed/dirty flags off (SDM 25.6.11). */
  get eptp(): number { return (this.root | (3 << 3) | 6) >>> 0; }

  /** Map one 4 KiB guest-physical page to a host page with the given permissions. */
  map(gpa: Gpa | number, hpa: Hpa | number, perms: number = EPT_RWX): void {
    let table: number = this.root;
    for (let level = 4; level > 1; level--) {
      const shift = 12 + 9 * (level - 1);
      const idx = level === 4 ? 0 : (gpa >>> shift) & 511;
      const at = table + idx * 8;
      let e = this.mem.read32(at as Hpa);
      if ((e & 7) === 0) {
        const t = this.mem.allocPages(1);
        this.tablePages++;
        e = t | EPT_RWX; // non-leaf entries grant everything; the leaf decides
        this.mem.write32(at as Hpa, e);
        this.mem.write32((at + 4) as Hpa, 0);
      }
      table = e & ~0xfff;
    }
    const at = table + ((gpa >>> 12) & 511) * 8;
    if ((this.mem.read32(at as Hpa) & 7) === 0) this.mapped++;
    this.mem.write32(at as Hpa, ((hpa & ~0xfff) | MT_WB | (perms & 7)) >>> 0);
    this.mem.write32((at + 4) as Hpa, 0);
  }

  /** Walk without side effects (for views): the leaf entry's low dword, or 0 if not present. */
  lookup(gpa: number): number {
    let table: number = this.root;
    for (let level = 4; level >= 1; level--) {
      const shift = 12 + 9 * (level - 1);
      const idx = level === 4 ? 0 : (gpa >>> shift) & 511;
      const e = this.mem.read32((table + idx * 8) as Hpa);
      if ((e & 7) === 0) return 0;
      if (level === 1 || ((e & 0x80) && level <= 3)) return e;
      table = e & ~0xfff;
    }
    return 0;
  }
}
