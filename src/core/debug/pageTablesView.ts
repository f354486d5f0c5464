// The guest's page tables (GVA -> GPA) as a lazily expandable tree: present entries only, each
// decoded (flags, A/D, page size), leaves with the guest-physical page and where the EPT maps it
// (or that it does not yet: EPT entries are built on first touch), and a note when the EPT maps the
// page somewhere other than its memslot (a stale or foreign mapping). Side-effect free.
import { describeGuestEntry } from './pagingFormat';
import { shadowAsSource, translate, walkEpt, type TranslateSource } from './translate';
import { hex, hex8, type TreeNode } from './treeNode';

function gpaRead32(src: TranslateSource, gpa: number): number | undefined {
  const h = src.memslotHpa(gpa);
  return h < 0 ? undefined : src.hostRead32(h);
}

/** Where the EPT maps a guest page, compared with the memslot (the guest's view of its memory). */
export function eptNote(src: TranslateSource, gpa: number): string {
  if (src.eptp === null) return '';
  const w = walkEpt(src, gpa);
  const slot = src.memslotHpa(gpa);
  if (w.hpa === undefined) return w.fault?.startsWith('EPT violation') ? ' | EPT: not mapped yet (maps on first touch)' : ` | EPT: ${w.fault ?? '?'}`;
  if (slot >= 0 && (w.hpa & ~0xfff) !== (slot & ~0xfff)) return ` | EPT -> HPA ${hex8(w.hpa)} DISAGREES with memslot HPA ${hex8(slot)}`;
  if (slot < 0) return ` | EPT -> HPA ${hex8(w.hpa)} (no memslot: empty-bus page)`;
  return ` | EPT -> HPA ${hex8(w.hpa)} ${w.perms}`;
}

/** Options for walking another set of tables with the same code (the shadow tables: addresses are HPAs). */
export interface TablesViewOptions {
  /** Address-space label of entries and tables ("GPA", or "HPA" for shadow tables). */
  space?: 'GPA' | 'HPA';
  /** For a leaf mapping `va` to `target`: a note (e.g. whether the shadow agrees with the guest). */
  compare?: (va: number, target: number) => string;
}

/** The shadow page tables (GVA -> HPA) the processor walks, each leaf compared with the guest's own tables. */
export function shadowTablesView(src: TranslateSource): TreeNode[] {
  const hw = shadowAsSource(src);
  if (!hw) return [{ name: 'shadow paging', value: 'off: this VM uses EPT' }];
  return pageTablesView(hw, {
    space: 'HPA',
    compare: (va, hpa) => {
      const g = translate({ ...src, shadow: undefined }, va);
      if (g.hpa === undefined) return ` | STALE: the guest's tables do not map ${hex8(va)}`;
      if ((g.hpa & ~0xfff) !== (hpa & ~0xfff)) return ` | STALE: the guest's tables say HPA ${hex8(g.hpa & ~0xfff)}`;
      return ' | agrees with the guest';
    },
  });
}

export function pageTablesView(src: TranslateSource, opts: TablesViewOptions = {}): TreeNode[] {
  const sp = opts.space ?? 'GPA';
  const p = src.paging;
  if (!(p.cr0 & 0x80000000)) return [{ name: 'paging', value: 'off (CR0.PG = 0): guest-virtual = guest-physical' }];
  const nxe = (p.efer & 0x800) !== 0;
  const pse = (p.cr4 & 0x10) !== 0;
  if (!(p.cr4 & 0x20)) {
    const pd = (p.cr3 & ~0xfff) >>> 0;
    return [{ name: 'CR3', value: `${hex8(p.cr3)} (32-bit paging, page directory at ${sp} ${hex8(pd)})`, memoryReference: sp === 'GPA' ? `gpa:${hex8(pd)}` : undefined }, ...level(src, pd, 1024, 4, 22, 0, 'PDE', nxe, pse, false, opts)];
  }
  const base = ((p.cr3 & ~0x1f) >>> 0);
  const out: TreeNode[] = [{ name: 'CR3', value: `${hex8(p.cr3)} (PAE paging, PDPT at ${sp} ${hex8(base)})`, memoryReference: sp === 'GPA' ? `gpa:${hex8(base)}` : undefined }];
  for (let k = 0; k < 4; k++) {
    const lo = p.pdpte ? p.pdpte[2 * k] >>> 0 : gpaRead32(src, base + 8 * k) ?? 0;
    const hi = p.pdpte ? p.pdpte[2 * k + 1] >>> 0 : gpaRead32(src, base + 8 * k + 4) ?? 0;
    const f = describeGuestEntry(lo, hi, true, false, nxe, 'PDPTE');
    const va = k * 0x40000000;
    out.push({
      name: `PDPTE[${k}] ${hex8(va)}-${hex8(va + 0x3fffffff)}`, value: f.text + (f.problem ? ` | ${f.problem}` : ''),
      children: lo & 1 ? () => level(src, (lo & ~0xfff) >>> 0, 512, 8, 21, va, 'PDE', nxe, true, true, opts) : undefined,
    });
  }
  return out;
}

/** Present entries of one table; `shift` is the VA bit its index starts at. */
function level(src: TranslateSource, table: number, n: number, size: 4 | 8, shift: number, vaBase: number, name: 'PDE' | 'PTE', nxe: boolean, large: boolean, pae: boolean, opts: TablesViewOptions): TreeNode[] {
  const sp = opts.space ?? 'GPA';
  const out: TreeNode[] = [];
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const at = table + i * size;
    const lo = gpaRead32(src, at);
    if (lo === undefined) { missing++; continue; }
    if (!(lo & 1)) continue;
    const hi = size === 8 ? gpaRead32(src, at + 4) ?? 0 : 0;
    const leaf = name === 'PTE' || ((lo & 0x80) !== 0 && large);
    const f = describeGuestEntry(lo, hi, pae, leaf, nxe, name);
    const va = (vaBase + i * 2 ** shift) >>> 0;
    const span = 2 ** shift;
    const label = `${name}[${hex(i)}] ${hex8(va)}-${hex8(va + span - 1)}`;
    let value = f.text + (f.problem ? ` | RESERVED: ${f.problem}` : '');
    if (leaf) {
      const pageMask = name === 'PTE' ? 0xfff : pae ? 0x1fffff : 0x3fffff;
      const target = (lo & ~pageMask) >>> 0;
      value += opts.compare ? opts.compare(va, target) : eptNote(src, target);
    }
    out.push({
      name: label, value, type: `${name} at ${sp} ${hex8(at)}`, memoryReference: sp === 'GPA' ? `gpa:${hex8(at)}` : undefined,
      children: leaf
        ? () => f.bits.map((b) => ({ name: b.name, value: b.text ? `${b.name === 'address' ? hex8(b.value) : b.value} (${b.text})` : String(b.value) }))
        : () => level(src, (lo & ~0xfff) >>> 0, pae ? 512 : 1024, size, 12, va, 'PTE', nxe, false, pae, opts),
    });
  }
  if (out.length === 0) out.push({ name: '(empty)', value: missing ? `table at ${sp} ${hex8(table)} is not readable` : 'no present entries' });
  return out;
}
