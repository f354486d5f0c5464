// The EPT (GPA -> HPA) as a lazily expandable tree, read from the real tables in host memory: present
// entries of each level with R/W/X, memory type, A/D, large pages, and for each leaf whether the
// host page is the one the memslots say (else: DISAGREES, a stale or foreign mapping). Side-effect free.
import { describeEptEntry } from './pagingFormat';
import type { TranslateSource } from './translate';
import { hex, hex8, type TreeNode } from './treeNode';

const NAMES = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'];

export function eptView(src: TranslateSource): TreeNode[] {
  if (src.eptp === null) return [{ name: 'EPT', value: 'off: "enable EPT" is clear in the secondary controls' }];
  const eptp = src.eptp >>> 0;
  const root = (eptp & ~0xfff) >>> 0;
  return [
    { name: 'EPTP', value: `${hex8(eptp)} (PML4 at HPA ${hex8(root)}, memory type ${eptp & 7}, walk length ${((eptp >>> 3) & 7) + 1}, A/D ${(eptp >>> 6) & 1 ? 'on' : 'off'})` },
    ...table(src, root, 4, 0),
  ];
}

function table(src: TranslateSource, at: number, lvl: number, gpaBase: number): TreeNode[] {
  const out: TreeNode[] = [];
  const span = 2 ** (12 + 9 * (lvl - 1));
  const n = lvl === 4 ? 1 : 512; // MAXPHYADDR 32: only PML4E[0] can map anything
  for (let i = 0; i < n; i++) {
    const e = at + i * 8;
    const lo = src.hostRead32(e), hi = src.hostRead32(e + 4);
    if (lo === undefined || hi === undefined) { out.push({ name: `${NAMES[lvl]}[${i}]`, value: `outside host memory (${hex8(e)})` }); break; }
    if ((lo & 7) === 0) continue;
    const leaf = lvl === 1 || ((lo & 0x80) !== 0 && lvl <= 3);
    const f = describeEptEntry(lo, hi, leaf);
    const gpa = gpaBase + i * span;
    if (gpa > 0xffffffff) break;
    let value = f.text + (f.problem ? ` | MISCONFIGURED: ${f.problem}` : '');
    if (leaf) {
      const slot = src.memslotHpa(gpa);
      const hpa = (lo & ~0xfff) >>> 0;
      if (slot < 0) value += ' | no memslot (empty-bus page)';
      else if ((slot & ~0xfff) !== hpa) value += ` | DISAGREES with memslot HPA ${hex8(slot)}`;
    }
    out.push({
      name: `${NAMES[lvl]}[${hex(i)}] GPA ${hex8(gpa)}-${hex8(gpa + span - 1)}`, value, type: `EPT ${NAMES[lvl]} at HPA ${hex8(e)}`,
      children: leaf
        ? () => f.bits.map((b) => ({ name: b.name, value: b.text ? `${b.name === 'address' ? hex8(b.value) : b.value} (${b.text})` : String(b.value) }))
        : () => table(src, (lo & ~0xfff) >>> 0, lvl - 1, gpa),
    });
  }
  if (out.length === 0) out.push({ name: '(empty)', value: 'no present entries' });
  return out;
}
