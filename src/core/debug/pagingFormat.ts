// Decoding of paging-structure entries for the debugger: guest 32-bit / PAE entries (SDM Vol. 3A
// Tables 4-4..4-10, 4-15..4-20) and EPT entries (Vol. 3C Tables 29-1..29-6), with the flags named
// as the SDM names them and the reserved-bit / misconfiguration problem, if any.

export interface EntryFlags {
  /** Named bits and fields in SDM order. */
  bits: { name: string; value: number; text?: string }[];
  /** One line: "P RW US A D | 4 KiB page" or "R W X WB A". */
  text: string;
  /** Reserved bits set (guest: #PF RSVD) / invalid combination (EPT: misconfiguration). */
  problem?: string;
  /** EPT leaf memory type name. */
  memType?: string;
}

export const EPT_MEMORY_TYPES: Record<number, string> = { 0: 'UC', 1: 'WC', 4: 'WT', 5: 'WP', 6: 'WB' };

/**
 * A guest paging entry. `name` is PDPTE / PDE / PTE; `leaf` says it maps a page (a PTE, or a PDE
 * with PS where large pages are enabled).
 */
export function describeGuestEntry(lo: number, hi: number, pae: boolean, leaf: boolean, nxe: boolean, name: string): EntryFlags {
  const bit = (n: number): number => (lo >>> n) & 1;
  const bits: EntryFlags['bits'] = [];
  const on: string[] = [];
  const add = (n: string, v: number): void => { bits.push({ name: n, value: v }); if (v) on.push(n); };
  if (pae && name === 'PDPTE') {
    add('P', bit(0)); add('PWT', bit(3)); add('PCD', bit(4));
    let problem: string | undefined;
    if (bit(0) && ((lo & 0x1e6) || hi)) problem = 'PDPTE reserved bits (2:1, 8:5, 63:32) set';
    bits.push({ name: 'address', value: (lo & ~0xfff) >>> 0, text: 'page directory' });
    return { bits, text: `${on.join(' ') || 'not present'}${bit(0) ? ` -> PD ${hex8(lo & ~0xfff)}` : ''}`, problem };
  }
  add('P', bit(0)); add('RW', bit(1)); add('US', bit(2)); add('PWT', bit(3)); add('PCD', bit(4)); add('A', bit(5));
  if (leaf) add('D', bit(6));
  if (name === 'PDE') add('PS', bit(7)); else add('PAT', bit(7));
  if (leaf) add('G', bit(8));
  if (pae) add('XD', (hi >>> 31) & 1);
  let problem: string | undefined;
  if (bit(0) && pae) {
    if (hi & 0x7fffffff) problem = 'address bits above MAXPHYADDR (32) set';
    else if ((hi >>> 31) && !nxe) problem = 'XD set while IA32_EFER.NXE = 0';
    else if (name === 'PDE' && leaf && (lo & 0x1fe000)) problem = 'bits 20:13 of a 2-MiB PDE set';
  }
  const size = !leaf ? '' : name === 'PTE' ? '4 KiB page' : pae ? '2 MiB page' : '4 MiB page';
  const target = !bit(0) ? '' : leaf ? ` -> page ${hex8(lo & (name === 'PTE' ? ~0xfff : pae ? ~0x1fffff : ~0x3fffff))}` : ` -> table ${hex8(lo & ~0xfff)}`;
  bits.push({ name: 'address', value: (lo & ~0xfff) >>> 0, text: leaf ? size : 'next table' });
  return { bits, text: `${bit(0) ? on.join(' ') : 'not present'}${size && bit(0) ? ` | ${size}` : ''}${target}`, problem };
}

/** An EPT entry; `leaf` for PTEs and large-page PDE/PDPTEs. */
export function describeEptEntry(lo: number, hi: number, leaf: boolean): EntryFlags {
  const bit = (n: number): number => (lo >>> n) & 1;
  const bits: EntryFlags['bits'] = [];
  const on: string[] = [];
  const add = (n: string, v: number, text?: string): void => { bits.push(text ? { name: n, value: v, text } : { name: n, value: v }); if (v) on.push(n); };
  add('R', bit(0)); add('W', bit(1)); add('X', bit(2));
  let memType: string | undefined;
  let problem: string | undefined;
  if (leaf) {
    const mt = (lo >>> 3) & 7;
    memType = EPT_MEMORY_TYPES[mt];
    bits.push({ name: 'memory type', value: mt, text: memType ?? 'reserved' });
    add('IPAT', bit(6));
    add('A', bit(8)); add('D', bit(9));
    if ((lo & 7) && memType === undefined) problem = `memory type ${mt} is reserved`;
  } else {
    add('A', bit(8));
  }
  if ((lo & 3) === 2) problem = 'writable but not readable';
  else if ((lo & 7) && (hi & 0xfffff)) problem = 'address bits above MAXPHYADDR (32) set';
  bits.push({ name: 'address', value: (lo & ~0xfff) >>> 0, text: leaf ? 'host page' : 'next EPT table' });
  const present = (lo & 7) !== 0;
  const target = !present ? '' : leaf ? ` -> host page ${hex8(lo & ~0xfff)}` : ` -> table ${hex8(lo & ~0xfff)}`;
  const mtText = leaf && memType ? ` ${memType}` : '';
  return { bits, text: present ? `${on.filter((n) => n !== 'memory type').join(' ')}${mtText}${target}` : 'not present', problem, memType };
}

function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
