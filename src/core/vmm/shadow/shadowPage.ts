// One shadow page table page (KVM's struct kvm_mmu_page, Documentation/virt/kvm/x86/mmu.rst "The
// shadow page"): a page of host memory holding sptes in the real paging format the hardware walks
// (32-bit paging: 1024 x 4 bytes; PAE: 512 x 8 bytes), the guest frame it shadows (gfn) and its role.
//
// role (mmu.rst "role"): level (1 = page table, 2 = page directory), pae (PAE format), direct (maps a
// linear range straight to guest frames: paging off, or a guest 4-MiB / 2-MiB page, so no guest table
// backs it), access (the combined U/W/NX permissions of the guest entries above it, so two guest PDEs
// that point to the same page table with different permissions get different shadow pages).

export const ACC_W = 1, ACC_U = 2, ACC_NX = 4;
export const ACC_ALL = ACC_W | ACC_U;

export function makeRole(level: number, pae: boolean, direct: boolean, access: number): number {
  return level | (pae ? 4 : 0) | (direct ? 8 : 0) | (access << 4);
}

/** Hash key of (gfn, role): KVM's mmu_page_hash lookup by gfn and role. */
export const spKey = (gfn: number, role: number): number => gfn * 128 + role;

export class ShadowPage {
  readonly level: number;
  readonly pae: boolean;
  readonly direct: boolean;
  readonly access: number;
  /** Entries per page and their size in bytes. */
  readonly entries: number;
  readonly esize: number;
  /** Level 1: the guest frame each spte maps (-1: not present). KVM's sp->gfns / shadowed_translation. */
  readonly gfns: Int32Array;
  /** Level 2: the child shadow page each entry links. */
  readonly children: (ShadowPage | null)[];
  /** Host addresses of the upper-level sptes that point here (KVM's parent_ptes). */
  readonly parentPtes: number[] = [];
  /** The guest may write its table without a fault; the sptes are synced at the next sync point (mmu.rst "unsync"). */
  unsync = false;
  /** A root (a page directory the hardware's CR3 / PDPTE points at): cached, never zapped as an orphan. */
  root = false;
  /** Emulated writes since a fault last used this page (KVM's write_flooding_count). */
  writeCount = 0;

  constructor(readonly hpa: number, readonly gfn: number, readonly role: number) {
    this.level = role & 3;
    this.pae = (role & 4) !== 0;
    this.direct = (role & 8) !== 0;
    this.access = (role >> 4) & 7;
    this.entries = this.pae ? 512 : 1024;
    this.esize = this.pae ? 8 : 4;
    this.gfns = new Int32Array(this.level === 1 ? this.entries : 0).fill(-1);
    this.children = this.level === 1 ? [] : new Array<ShadowPage | null>(this.entries).fill(null);
  }

  get key(): number { return this.gfn * 128 + this.role; }
  entryAddr(idx: number): number { return this.hpa + idx * this.esize; }
}
