// GDT, IDT, LDT and TSS decoded for the Variables view (SDM Vol. 3A 3.4.5 segment descriptors,
// 3.5 system descriptor types, 6.11 IDT gates, 7.2.1 the 32-bit TSS). Tables are read through the
// guest's linear addresses (GDTR/IDTR/LDTR/TR bases are linear), side-effect free.
import type { SystemRegs } from './systemRegs';
import { hex, hex8, type TreeNode } from './treeNode';

/** Guest-linear memory reader: `len` bytes or undefined when not mapped. */
export type LinearReader = (address: number, len: number) => Uint8Array | undefined;

const SYSTEM_TYPES: Record<number, string> = {
  1: '16-bit TSS (available)', 2: 'LDT', 3: '16-bit TSS (busy)', 4: '16-bit call gate', 5: 'task gate',
  6: '16-bit interrupt gate', 7: '16-bit trap gate', 9: '32-bit TSS (available)', 0xb: '32-bit TSS (busy)',
  0xc: '32-bit call gate', 0xe: '32-bit interrupt gate', 0xf: '32-bit trap gate',
};

const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);

/** One 8-byte descriptor in words: "code base=0x00000000 limit=0xffffffff DPL0 32-bit exec/read accessed". */
export function describeDescriptor(lo: number, hi: number): { text: string; fields: TreeNode[] } {
  const type = (hi >>> 8) & 0xf, s = (hi >>> 12) & 1, dpl = (hi >>> 13) & 3, p = (hi >>> 15) & 1;
  const fields: TreeNode[] = [];
  const f = (name: string, value: string): void => { fields.push({ name, value }); };
  if (!p && !s && type === 0) return { text: 'null / unused', fields: [{ name: 'raw', value: `${hex8(hi)}_${hex8(lo).slice(2)}` }] };
  const isGate = !s && [4, 5, 6, 7, 0xc, 0xe, 0xf].includes(type);
  if (isGate) {
    const sel = lo >>> 16, off = ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0;
    const kind = SYSTEM_TYPES[type];
    f('type', `${hex(type)} ${kind}`); f('selector', hex(sel)); if (type !== 5) f('offset', hex8(off)); f('DPL', String(dpl)); f('P', String(p));
    const text = type === 5 ? `${kind} TSS selector ${hex(sel)} DPL${dpl}${p ? '' : ' not present'}` : `${kind} ${hex(sel)}:${hex8(off)} DPL${dpl}${p ? '' : ' not present'}`;
    return { text, fields };
  }
  const g = (hi >>> 23) & 1, db = (hi >>> 22) & 1;
  let limit = ((lo & 0xffff) | (hi & 0xf0000)) >>> 0;
  if (g) limit = ((limit << 12) | 0xfff) >>> 0;
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let kind: string;
  if (s) {
    if (type & 8) kind = `code ${db ? '32' : '16'}-bit exec${type & 2 ? '/read' : '-only'}${type & 4 ? ' conforming' : ''}`;
    else kind = `data ${type & 2 ? 'read/write' : 'read-only'}${type & 4 ? ' expand-down' : ''}${db ? ' big' : ''}`;
    if (type & 1) kind += ' accessed';
  } else kind = SYSTEM_TYPES[type] ?? `reserved system type ${hex(type)}`;
  f('base', hex8(base)); f('limit', hex8(limit)); f('type', `${hex(type)} ${kind}`); f('S', String(s)); f('DPL', String(dpl)); f('P', String(p));
  f('D/B', String(db)); f('G', String(g)); f('AVL', String((hi >>> 20) & 1));
  return { text: `${kind} base=${hex8(base)} limit=${hex8(limit)} DPL${dpl}${p ? '' : ' not present'}`, fields };
}

function tableNodes(read: LinearReader, base: number, limit: number, label: (i: number) => string): TreeNode[] {
  const n = Math.min(8192, Math.floor((limit + 1) / 8));
  const bytes = read(base, n * 8);
  if (!bytes) return [{ name: 'unreadable', value: `the table at ${hex8(base)} is not mapped` }];
  const out: TreeNode[] = [];
  for (let i = 0; i < n; i++) {
    const lo = u32(bytes, i * 8), hi = u32(bytes, i * 8 + 4);
    const d = describeDescriptor(lo, hi);
    out.push({ name: label(i), value: d.text, memoryReference: hex8(base + i * 8), children: () => d.fields });
  }
  return out;
}

function tssNodes(read: LinearReader, base: number, limit: number): TreeNode[] {
  const b = read(base, Math.min(0x68, limit + 1));
  if (!b) return [{ name: 'unreadable', value: `the TSS at ${hex8(base)} is not mapped` }];
  if (b.length < 0x68) return [{ name: 'TSS', value: `limit ${hex(limit)} is below 0x67: a 16-bit TSS or none` }];
  const names: [string, number, 2 | 4][] = [
    ['link', 0, 2], ['esp0', 4, 4], ['ss0', 8, 2], ['esp1', 0xc, 4], ['ss1', 0x10, 2], ['esp2', 0x14, 4], ['ss2', 0x18, 2],
    ['cr3', 0x1c, 4], ['eip', 0x20, 4], ['eflags', 0x24, 4], ['eax', 0x28, 4], ['ecx', 0x2c, 4], ['edx', 0x30, 4], ['ebx', 0x34, 4],
    ['esp', 0x38, 4], ['ebp', 0x3c, 4], ['esi', 0x40, 4], ['edi', 0x44, 4], ['es', 0x48, 2], ['cs', 0x4c, 2], ['ss', 0x50, 2],
    ['ds', 0x54, 2], ['fs', 0x58, 2], ['gs', 0x5c, 2], ['ldt', 0x60, 2], ['T', 0x64, 2], ['I/O map base', 0x66, 2],
  ];
  return names.map(([name, o, w]) => {
    const v = w === 4 ? u32(b, o) : u16(b, o);
    return { name, value: name === 'T' ? String(v & 1) : w === 4 ? hex8(v) : hex(v), memoryReference: hex8(base + o) };
  });
}

export function descriptorTablesView(r: SystemRegs, read: LinearReader): TreeNode[] {
  const ldtPresent = (r.ldtrSel & ~3) !== 0;
  return [
    { name: 'GDT', value: `base=${hex8(r.gdtrBase)} limit=${hex(r.gdtrLimit)} (${Math.floor((r.gdtrLimit + 1) / 8)} entries)`, memoryReference: hex8(r.gdtrBase),
      children: () => tableNodes(read, r.gdtrBase, r.gdtrLimit, (i) => `[${i}] sel ${hex(i * 8)}`) },
    { name: 'IDT', value: `base=${hex8(r.idtrBase)} limit=${hex(r.idtrLimit)} (${Math.floor((r.idtrLimit + 1) / 8)} gates)`, memoryReference: hex8(r.idtrBase),
      children: () => tableNodes(read, r.idtrBase, r.idtrLimit, (i) => `[${i}] vector ${hex(i)}`) },
    ldtPresent
      ? { name: 'LDT', value: `selector ${hex(r.ldtrSel)} base=${hex8(r.ldtrBase)} limit=${hex(r.ldtrLimit)}`, memoryReference: hex8(r.ldtrBase),
        children: () => tableNodes(read, r.ldtrBase, r.ldtrLimit, (i) => `[${i}] sel ${hex(i * 8 | 4)}`) }
      : { name: 'LDT', value: 'none (LDTR null)' },
    (r.trSel & ~3) !== 0
      ? { name: 'TSS', value: `selector ${hex(r.trSel)} base=${hex8(r.trBase)} limit=${hex(r.trLimit)}`, memoryReference: hex8(r.trBase),
        children: () => tssNodes(read, r.trBase, r.trLimit) }
      : { name: 'TSS', value: 'none (TR null)' },
  ];
}
