// A translation walk (translate.ts) as a tree for the Variables view / Debug Console.
import type { EptWalk, GuestLevel, Translation } from './translate';
import { hex8, type TreeNode } from './treeNode';

function rawText(lo: number, hi: number, size: number): string {
  return size === 8 ? `0x${(hi >>> 0).toString(16).padStart(8, '0')}_${(lo >>> 0).toString(16).padStart(8, '0')}` : hex8(lo);
}

export function eptWalkNodes(w: EptWalk): TreeNode[] {
  const out: TreeNode[] = w.levels.map((l) => ({
    name: l.name, value: `${rawText(l.lo, l.hi, 8)} ${l.flags.text}`, type: `entry at HPA ${hex8(l.entryHpa)}`,
    children: () => l.flags.bits.map((b) => ({ name: b.name, value: b.text ? `${b.name === 'address' ? hex8(b.value) : b.value} (${b.text})` : String(b.value) })),
  }));
  if (w.hpa !== undefined) out.push({ name: 'HPA', value: hex8(w.hpa), type: `EPT ${w.perms ?? ''} ${w.memType ?? ''}`.trim() });
  if (w.fault) out.push({ name: 'fault', value: w.fault });
  if (w.vmmAction) out.push({ name: 'VMM', value: w.vmmAction });
  return out;
}

function eptSummary(w: EptWalk | undefined): string {
  if (!w) return '';
  return w.hpa !== undefined ? `HPA ${hex8(w.hpa)} ${w.perms ?? ''}`.trim() : w.fault ?? '?';
}

function guestNode(g: GuestLevel): TreeNode {
  return {
    name: g.name, value: `${rawText(g.lo, g.hi, g.size)} ${g.flags.text}${g.flags.problem ? ` | RESERVED: ${g.flags.problem}` : ''}`,
    type: `entry at GPA ${hex8(g.entryGpa)}`, memoryReference: `gpa:${hex8(g.entryGpa)}`,
    children: () => [
      { name: 'entry GPA', value: hex8(g.entryGpa), memoryReference: `gpa:${hex8(g.entryGpa)}` },
      ...(g.ept ? [{ name: g.ept.levels.length ? 'entry EPT walk' : 'entry HPA', value: eptSummary(g.ept), children: g.ept.levels.length ? () => eptWalkNodes(g.ept!) : undefined }] : []),
      ...g.flags.bits.map((b) => ({ name: b.name, value: b.text ? `${b.name === 'address' ? hex8(b.value) : b.value} (${b.text})` : String(b.value) })),
    ],
  };
}

/** One line: "GVA 0x... -> GPA 0x... -> HPA 0x..." or the fault. */
export function translationSummary(t: Translation): string {
  let s = `GVA ${hex8(t.gva)}`;
  if (t.gpa !== undefined) s += ` -> GPA ${hex8(t.gpa)}`;
  if (t.hpa !== undefined) s += ` -> HPA ${hex8(t.hpa)} (guest ${t.guestPerms ?? '?'}, ${t.via === 'memslots' ? 'memslot' : `EPT ${t.ept?.perms ?? 'rwx'}`})`;
  if (t.fault) s += `: ${t.fault}`;
  if (t.shadow?.stale) s += ` | shadow ${t.shadow.verdict}`;
  return s;
}

export function translationNodes(t: Translation): TreeNode[] {
  const out: TreeNode[] = [{ name: 'GVA', value: hex8(t.gva), memoryReference: hex8(t.gva) }, { name: 'paging', value: t.mode }];
  out.push(...t.guest.map(guestNode));
  if (t.gpa !== undefined) out.push({ name: 'GPA', value: hex8(t.gpa), type: `guest ${t.guestPerms ?? ''}${t.pageSize ? `, ${t.pageSize >= 0x100000 ? t.pageSize / 0x100000 + ' MiB' : t.pageSize / 1024 + ' KiB'} page` : ''}`, memoryReference: `gpa:${hex8(t.gpa)}` });
  if (t.ept && t.via !== 'memslots') out.push({ name: 'EPT walk', value: eptSummary(t.ept), children: () => eptWalkNodes(t.ept!) });
  if (t.hpa !== undefined) out.push({ name: 'HPA', value: hex8(t.hpa), type: t.via === 'memslots' ? 'from the memslots' : `EPT ${t.ept?.perms ?? 'rwx'}${t.ept?.memType ? ' ' + t.ept.memType : ''}` });
  if (t.fault) out.push({ name: 'fault', value: t.fault });
  if (t.vmmAction) out.push({ name: 'VMM', value: t.vmmAction });
  if (t.shadow) {
    const sh = t.shadow;
    out.push({
      name: 'shadow walk (processor)', value: `${sh.hpa !== undefined ? `HPA ${hex8(sh.hpa)} ${sh.perms ?? ''}` : sh.fault ?? 'not mapped'} | ${sh.verdict}`,
      children: () => sh.levels.map((g) => ({ name: `shadow ${g.name}`, value: `${rawText(g.lo, g.hi, g.size)} ${g.flags.text}`, type: `entry at HPA ${hex8(g.entryGpa)}` })),
    });
  }
  return out;
}
