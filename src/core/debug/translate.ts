// The full two-dimensional walk of one guest-virtual address, as the hardware would do it, without
// side effects (no A/D updates, no TLB, no exits): each guest paging level (the entry's guest-
// physical address, its own EPT walk, the raw entry and its decoded flags), then the EPT walk of
// the final guest-physical address, the host-physical address and the combined permissions, or the
// fault the access would raise (guest #PF, EPT violation, EPT misconfiguration) and what the VMM
// does about it. SDM Vol. 3A 4.3 (32-bit paging), 4.4 (PAE); Vol. 3C 29.3 (EPT).
import { describeEptEntry, describeGuestEntry, type EntryFlags } from './pagingFormat';

export interface TranslateSource {
  /** The guest's paging registers, as the hardware uses them (not the read shadows). */
  paging: { cr0: number; cr3: number; cr4: number; efer: number; pdpte?: ArrayLike<number> };
  /** EPT in use: the EPTP (low 32 bits); null when guest-physical = host-physical through memslots. */
  eptp: number | null;
  /** 32 bits of host-physical memory, or undefined outside it. */
  hostRead32(hpa: number): number | undefined;
  /** The memslot's host-physical address for `gpa` (what the VMM maps on a violation), or -1. */
  memslotHpa(gpa: number): number;
  /**
   * Shadow paging: the paging registers the processor really uses (CR3 = the shadow root in host
   * memory; the tables map GVA -> HPA directly). Absent under EPT.
   */
  shadow?: { cr0: number; cr3: number; cr4: number; efer: number };
}

/** The hardware's walk of the shadow tables, and whether it agrees with the guest's own tables. */
export interface ShadowWalk {
  levels: GuestLevel[];
  hpa?: number;
  perms?: string;
  fault?: string;
  /** "agrees", "not shadowed yet ...", or "STALE: ..." (the shadow maps what the guest's tables no longer say). */
  verdict: string;
  stale: boolean;
}

export interface EptLevel {
  level: number;
  name: string;
  /** Host-physical address of the 8-byte entry. */
  entryHpa: number;
  lo: number;
  hi: number;
  flags: EntryFlags;
}

export interface EptWalk {
  gpa: number;
  levels: EptLevel[];
  /** Host-physical address when the walk succeeds. */
  hpa?: number;
  /** "rwx"-style permissions of the leaf (combined across levels). */
  perms?: string;
  memType?: string;
  fault?: string;
  /** What the VMM does about the fault. */
  vmmAction?: string;
}

export interface GuestLevel {
  level: number;
  name: string;
  /** Guest-physical address of the entry (the PDPTE "register" for PAE: where it was loaded from). */
  entryGpa: number;
  /** The EPT walk of that guest-physical address. */
  ept?: EptWalk;
  lo: number;
  hi: number;
  /** Entry size in bytes (4 for 32-bit paging, 8 for PAE). */
  size: number;
  flags: EntryFlags;
}

export interface Translation {
  gva: number;
  mode: 'no paging' | '32-bit' | 'PAE';
  guest: GuestLevel[];
  gpa?: number;
  /** Guest permissions: w (writable), u (user), x (executable), combined over the levels. */
  guestPerms?: string;
  pageSize?: number;
  /** EPT walk of the final guest-physical address. */
  ept?: EptWalk;
  hpa?: number;
  fault?: string;
  vmmAction?: string;
  /** How guest-physical becomes host-physical: the EPT, or the memslots (shadow paging: no EPT). */
  via?: 'EPT' | 'memslots';
  /** Under shadow paging: the walk the processor does (shadow tables) and the comparison. */
  shadow?: ShadowWalk;
}

const EPT_NAMES = ['', 'EPT PTE', 'EPT PDE', 'EPT PDPTE', 'EPT PML4E'];
const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** EPT walk of `gpa` (4 levels; 1-GiB and 2-MiB pages; MAXPHYADDR 32). */
export function walkEpt(src: TranslateSource, gpa: number): EptWalk {
  gpa >>>= 0;
  const w: EptWalk = { gpa, levels: [] };
  if (src.eptp === null) {
    const h = src.memslotHpa(gpa);
    if (h < 0) { w.fault = 'no memslot covers this guest-physical address'; w.vmmAction = 'unbacked: reads see all-ones, writes are dropped'; }
    else { w.hpa = h; w.perms = 'rwx'; }
    return w;
  }
  let table = (src.eptp & ~0xfff) >>> 0;
  let perms = 7;
  for (let level = 4; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const idx = level === 4 ? 0 : (gpa >>> shift) & 511;
    const at = (table + idx * 8) >>> 0;
    const lo = src.hostRead32(at), hi = src.hostRead32(at + 4);
    if (lo === undefined || hi === undefined) { w.fault = `EPT table at ${hex8(table)} is outside host memory`; return w; }
    const leaf = level === 1 || ((lo & 0x80) !== 0 && (level === 2 || level === 3));
    const flags = describeEptEntry(lo, hi, leaf);
    w.levels.push({ level, name: EPT_NAMES[level], entryHpa: at, lo: lo >>> 0, hi: hi >>> 0, flags });
    if ((lo & 7) === 0) {
      w.fault = `EPT violation: ${EPT_NAMES[level]} not present`;
      const h = src.memslotHpa(gpa);
      w.vmmAction = h >= 0
        ? `the VMM maps guest-physical page ${hex8(gpa & ~0xfff)} to host page ${hex8(h & ~0xfff)} (RWX, WB) and re-executes`
        : 'no memslot: the VMM maps the all-ones page for reads and drops writes (empty bus)';
      return w;
    }
    const misconfig = flags.problem;
    if (misconfig) { w.fault = `EPT misconfiguration at ${EPT_NAMES[level]}: ${misconfig}`; w.vmmAction = leaf && (lo & 7) === 2 ? 'an emulated MMIO page (the VMM\'s MMIO fast path marks them write-only, as KVM does): the VMM decodes the instruction and emulates the access; on any other page it is a VMM bug and the VM pauses' : 'the VMM reports an EPT misconfiguration (a VMM bug) and pauses the VM'; return w; }
    perms &= lo & 7;
    if (leaf) {
      const pageSize = level === 1 ? 0x1000 : level === 2 ? 0x200000 : 0x40000000;
      w.hpa = (((lo & ~0xfff) & ~(pageSize - 1)) + (gpa & (pageSize - 1))) >>> 0;
      w.perms = `${perms & 1 ? 'r' : '-'}${perms & 2 ? 'w' : '-'}${perms & 4 ? 'x' : '-'}`;
      w.memType = flags.memType;
      return w;
    }
    table = (lo & ~0xfff) >>> 0;
  }
  return w;
}

/** The walk of `gva` through the guest's page tables and the EPT (and, under shadow paging, the shadow tables). */
export function translate(src: TranslateSource, gva: number): Translation {
  const t = guestTranslate(src, gva);
  t.via = src.eptp === null ? 'memslots' : 'EPT';
  if (src.shadow) t.shadow = walkShadow(src, t);
  return t;
}

function guestTranslate(src: TranslateSource, gva: number): Translation {
  gva >>>= 0;
  const p = src.paging;
  if (!(p.cr0 & 0x80000000)) {
    const t: Translation = { gva, mode: 'no paging', guest: [], gpa: gva, guestPerms: 'wux', pageSize: 0x1000 };
    return finish(src, t);
  }
  const pae = (p.cr4 & 0x20) !== 0;
  const nxe = (p.efer & 0x800) !== 0;
  const t: Translation = { gva, mode: pae ? 'PAE' : '32-bit', guest: [] };
  let w = true, u = true, x = true;
  const step = (level: number, name: string, entryGpa: number, size: 4 | 8, reg?: [number, number]): GuestLevel | undefined => {
    const ept = walkEpt(src, entryGpa);
    let lo: number | undefined, hi = 0;
    if (reg) { lo = reg[0]; hi = reg[1]; }
    else if (ept.hpa !== undefined) {
      lo = src.hostRead32(ept.hpa);
      hi = size === 8 ? src.hostRead32(ept.hpa + 4) ?? 0 : 0;
    }
    if (lo === undefined) {
      t.fault = `${name} at guest-physical ${hex8(entryGpa)} cannot be read: ${ept.fault ?? 'outside memory'}`;
      t.vmmAction = ept.vmmAction;
      t.guest.push({ level, name, entryGpa, ept, lo: 0, hi: 0, size, flags: describeGuestEntry(0, 0, size === 8, false, nxe, name) });
      return undefined;
    }
    const leaf = level === 1 || ((lo & 0x80) !== 0 && level === 2 && (pae || (p.cr4 & 0x10) !== 0));
    const g: GuestLevel = { level, name, entryGpa, ept, lo: lo >>> 0, hi: hi >>> 0, size, flags: describeGuestEntry(lo, hi, size === 8, leaf, nxe, name) };
    t.guest.push(g);
    return g;
  };
  const notPresent = (g: GuestLevel): boolean => {
    if (!(g.lo & 1)) { t.fault = `#PF: ${g.name} not present (error code 0x0 for a supervisor read)`; t.vmmAction = 'the guest handles the page fault (the VMM is not involved unless #PF exiting is set)'; return true; }
    if (g.flags.problem) { t.fault = `#PF: reserved bit set in ${g.name}: ${g.flags.problem} (error code 0x9)`; t.vmmAction = 'the guest handles the page fault'; return true; }
    return false;
  };
  let table: number;
  if (pae) {
    const k = gva >>> 30;
    const at = (((p.cr3 & ~0x1f) >>> 0) + 8 * k) >>> 0;
    const reg: [number, number] | undefined = p.pdpte ? [p.pdpte[2 * k] >>> 0, p.pdpte[2 * k + 1] >>> 0] : undefined;
    const g = step(3, 'PDPTE', at, 8, reg);
    if (!g || notPresent(g)) return t;
    table = (g.lo & ~0xfff) >>> 0;
    const pde = step(2, 'PDE', (table + (((gva >>> 21) & 0x1ff) << 3)) >>> 0, 8);
    if (!pde || notPresent(pde)) return t;
    w &&= (pde.lo & 2) !== 0; u &&= (pde.lo & 4) !== 0; x &&= !(nxe && (pde.hi & 0x80000000));
    if (pde.lo & 0x80) {
      t.gpa = (((pde.lo & 0xffe00000) >>> 0) | (gva & 0x1fffff)) >>> 0;
      t.pageSize = 0x200000;
    } else {
      const pte = step(1, 'PTE', (((pde.lo & ~0xfff) >>> 0) + (((gva >>> 12) & 0x1ff) << 3)) >>> 0, 8);
      if (!pte || notPresent(pte)) return t;
      w &&= (pte.lo & 2) !== 0; u &&= (pte.lo & 4) !== 0; x &&= !(nxe && (pte.hi & 0x80000000));
      t.gpa = (((pte.lo & ~0xfff) >>> 0) | (gva & 0xfff)) >>> 0;
      t.pageSize = 0x1000;
    }
  } else {
    table = (p.cr3 & ~0xfff) >>> 0;
    const pde = step(2, 'PDE', (table + ((gva >>> 22) << 2)) >>> 0, 4);
    if (!pde || notPresent(pde)) return t;
    w &&= (pde.lo & 2) !== 0; u &&= (pde.lo & 4) !== 0;
    if ((pde.lo & 0x80) && (p.cr4 & 0x10)) {
      t.gpa = (((pde.lo & 0xffc00000) >>> 0) | (gva & 0x3fffff)) >>> 0;
      t.pageSize = 0x400000;
    } else {
      const pte = step(1, 'PTE', (((pde.lo & ~0xfff) >>> 0) + (((gva >>> 12) & 0x3ff) << 2)) >>> 0, 4);
      if (!pte || notPresent(pte)) return t;
      w &&= (pte.lo & 2) !== 0; u &&= (pte.lo & 4) !== 0;
      t.gpa = (((pte.lo & ~0xfff) >>> 0) | (gva & 0xfff)) >>> 0;
      t.pageSize = 0x1000;
    }
  }
  t.guestPerms = `${w ? 'w' : '-'}${u ? 'u' : '-'}${x ? 'x' : '-'}`;
  return finish(src, t);
}

function finish(src: TranslateSource, t: Translation): Translation {
  const ept = walkEpt(src, t.gpa!);
  t.ept = ept;
  if (ept.hpa !== undefined) t.hpa = ept.hpa;
  else { t.fault = ept.fault; t.vmmAction = ept.vmmAction; }
  return t;
}

/** The shadow tables as a source whose "guest-physical" space is host memory (the walk code is the same). */
export function shadowAsSource(src: TranslateSource): TranslateSource | undefined {
  const hw = src.shadow;
  if (!hw) return undefined;
  return { paging: { ...hw }, eptp: null, hostRead32: src.hostRead32, memslotHpa: (a) => (src.hostRead32(a) === undefined ? -1 : a >>> 0) };
}

function walkShadow(src: TranslateSource, guest: Translation): ShadowWalk {
  const hwSrc = shadowAsSource(src)!;
  const t = translate({ ...hwSrc, shadow: undefined }, guest.gva);
  const w: ShadowWalk = { levels: t.guest, verdict: '', stale: false };
  if (t.gpa !== undefined) { w.hpa = t.gpa; w.perms = t.guestPerms; } else w.fault = t.fault?.replace('#PF: ', '');
  if (w.hpa === undefined && guest.hpa !== undefined) w.verdict = 'not shadowed yet: the next access faults (#PF exit) and the VMM builds the entry from the guest\'s tables';
  else if (w.hpa === undefined) w.verdict = 'not shadowed, and the guest does not map it either: the guest gets its #PF';
  else if (guest.hpa === undefined) { w.stale = true; w.verdict = `STALE: the shadow maps HPA ${hex8(w.hpa)} but the guest's tables no longer map this address`; }
  else if ((w.hpa & ~0xfff) !== (guest.hpa & ~0xfff)) { w.stale = true; w.verdict = `STALE: the shadow maps HPA ${hex8(w.hpa)}, the guest's tables say HPA ${hex8(guest.hpa)}`; }
  else w.verdict = `agrees with the guest's tables (shadow ${w.perms ?? ''}${w.perms && guest.guestPerms && w.perms !== guest.guestPerms ? `, guest ${guest.guestPerms}: write-protected or A/D not yet set` : ''})`;
  return w;
}

/** One line per step, for the Debug Console and the CLI. */
export function translationText(t: Translation): string {
  const lines = [`translate ${hex8(t.gva)} (${t.mode})`];
  for (const g of t.guest) {
    const e = g.ept;
    const via = e ? (e.hpa !== undefined ? ` (HPA ${hex8(e.hpa)})` : ` (${e.fault ?? '?'})`) : '';
    const raw = g.size === 8 ? `0x${g.hi.toString(16).padStart(8, '0')}_${g.lo.toString(16).padStart(8, '0')}` : hex8(g.lo);
    lines.push(`  ${g.name.padEnd(5)} @ GPA ${hex8(g.entryGpa)}${via} = ${raw}  ${g.flags.text}`);
  }
  if (t.gpa !== undefined) lines.push(`  GPA ${hex8(t.gpa)} (guest ${t.guestPerms ?? '?'})`);
  if (t.ept) {
    for (const l of t.ept.levels) lines.push(`  ${l.name.padEnd(9)} @ HPA ${hex8(l.entryHpa)} = 0x${l.hi.toString(16).padStart(8, '0')}_${l.lo.toString(16).padStart(8, '0')}  ${l.flags.text}`);
  }
  if (t.hpa !== undefined) lines.push(`  HPA ${hex8(t.hpa)} (${t.via === 'memslots' ? 'memslot' : `EPT ${t.ept?.perms ?? 'rwx'}${t.ept?.memType ? ', ' + t.ept.memType : ''}`})`);
  if (t.fault) lines.push(`  fault: ${t.fault}`);
  if (t.vmmAction) lines.push(`  VMM: ${t.vmmAction}`);
  if (t.shadow) {
    for (const g of t.shadow.levels) lines.push(`  shadow ${g.name.padEnd(5)} @ HPA ${hex8(g.entryGpa)} = ${g.size === 8 ? `0x${g.hi.toString(16).padStart(8, '0')}_${g.lo.toString(16).padStart(8, '0')}` : hex8(g.lo)}  ${g.flags.text}`);
    lines.push(`  shadow: ${t.shadow.verdict}`);
  }
  return lines.join('\n');
}
