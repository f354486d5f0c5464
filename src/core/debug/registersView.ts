// Guest registers as the Variables view shows them: general registers, EFLAGS, segments (with the
// VMCS access-rights format decoded), control registers, descriptor tables and debug registers.
import type { BitField, FieldView, GroupView } from './debugApi';
import { EFLAGS_BITS, REG32_NAMES, SEG_NAMES } from '../hw/cpu/regs';
import { decodeAccessRights } from '../hw/vmx/vmxControls';

export interface GuestRegs {
  /** eax, ecx, edx, ebx, esp, ebp, esi, edi. */
  gpr: ArrayLike<number>;
  eip: number;
  eflags: number;
  /** ES, CS, SS, DS, FS, GS, LDTR, TR. */
  segSel: ArrayLike<number>;
  segBase: ArrayLike<number>;
  segLimit: ArrayLike<number>;
  /** VMCS access-rights format (SDM 25.4.1), ES, CS, SS, DS, FS, GS, LDTR, TR. */
  segAr: ArrayLike<number>;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  /** dr0..dr7 (dr4/dr5 unused). */
  dr: ArrayLike<number>;
  gdtrBase: number;
  gdtrLimit: number;
  idtrBase: number;
  idtrLimit: number;
  efer: number;
  cpl: number;
}

const hex8 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');
const hex4 = (v: number): string => '0x' + (v & 0xffff).toString(16).padStart(4, '0');

function flagBits(v: number, defs: readonly (readonly [string, number])[]): BitField[] {
  return defs.map(([name, b]) => ({ name, value: (v >>> b) & 1 }));
}

function setNames(v: number, defs: readonly (readonly [string, number])[]): string {
  return defs.filter(([, b]) => ((v >>> b) & 1) !== 0).map(([n]) => n).join(' ');
}

function withSet(v: number, defs: readonly (readonly [string, number])[]): string {
  return `${hex8(v)} [${setNames(v, defs)}]`;
}

export const CR0_BIT_NAMES: readonly (readonly [string, number])[] = [
  ['PE', 0], ['MP', 1], ['EM', 2], ['TS', 3], ['ET', 4], ['NE', 5], ['WP', 16], ['AM', 18], ['NW', 29], ['CD', 30], ['PG', 31],
];
export const CR4_BIT_NAMES: readonly (readonly [string, number])[] = [
  ['VME', 0], ['PVI', 1], ['TSD', 2], ['DE', 3], ['PSE', 4], ['PAE', 5], ['MCE', 6], ['PGE', 7], ['PCE', 8], ['VMXE', 13],
];
const EFER_BIT_NAMES: readonly (readonly [string, number])[] = [['SCE', 0], ['LME', 8], ['LMA', 10], ['NXE', 11]];
const DR7_BIT_NAMES: readonly (readonly [string, number])[] = [
  ['L0', 0], ['G0', 1], ['L1', 2], ['G1', 3], ['L2', 4], ['G2', 5], ['L3', 6], ['G3', 7], ['GE', 9], ['LE', 8], ['GD', 13],
];
const DR6_BIT_NAMES: readonly (readonly [string, number])[] = [['B0', 0], ['B1', 1], ['B2', 2], ['B3', 3], ['BD', 13], ['BS', 14], ['BT', 15]];
const RW_WORDS = ['execute', 'write', 'I/O', 'read/write'];
const LEN_WORDS = ['1 byte', '2 bytes', '8 bytes', '4 bytes'];

function eflagsField(v: number): FieldView {
  const defs = EFLAGS_BITS;
  const bits: BitField[] = defs.map(([name, b]) => ({ name, value: (v >>> b) & 1 }));
  const iopl = (v >>> 12) & 3;
  bits.splice(bits.findIndex((b) => b.name === 'NT'), 0, { name: 'IOPL', value: iopl });
  const set = setNames(v, defs);
  const text = `${hex8(v)} [${set}${iopl ? `${set ? ' ' : ''}IOPL=${iopl}` : ''}]`;
  return { name: 'eflags', value: v >>> 0, text, bits };
}

function segmentField(r: GuestRegs, i: number): FieldView {
  const ar = r.segAr[i]! >>> 0;
  const sel = r.segSel[i]! & 0xffff;
  const unusable = (ar >>> 16) & 1;
  const text = `${hex4(sel)} base=${hex8(r.segBase[i]!)} limit=${hex8(r.segLimit[i]!)}${unusable ? ' (unusable)' : ''}`;
  const bits: BitField[] = decodeAccessRights(ar).map((b) => (b.text === undefined ? { name: b.name, value: b.value } : { name: b.name, value: b.value, text: b.text }));
  return { name: SEG_NAMES[i]!, value: sel, text, detail: `access rights ${hex8(ar)}`, bits };
}

/** Register groups for the Variables view. */
export function registersView(r: GuestRegs): GroupView[] {
  const general: FieldView[] = REG32_NAMES.map((n, i) => ({ name: n, value: r.gpr[i]! >>> 0, text: hex8(r.gpr[i]!) }));
  general.push({ name: 'eip', value: r.eip >>> 0, text: hex8(r.eip) });

  const segs: FieldView[] = [];
  for (let i = 0; i < 8; i++) segs.push(segmentField(r, i));

  const cr3 = r.cr3 >>> 0;
  const control: FieldView[] = [
    { name: 'cr0', value: r.cr0 >>> 0, text: withSet(r.cr0, CR0_BIT_NAMES), bits: flagBits(r.cr0, CR0_BIT_NAMES) },
    { name: 'cr2', value: r.cr2 >>> 0, text: hex8(r.cr2), detail: 'page-fault linear address' },
    {
      name: 'cr3', value: cr3, text: `${hex8(cr3)} page directory ${hex8(cr3 & 0xfffff000)}`,
      bits: [
        { name: 'PWT', value: (cr3 >>> 3) & 1 },
        { name: 'PCD', value: (cr3 >>> 4) & 1 },
        { name: 'page directory', value: (cr3 & 0xfffff000) >>> 0, text: hex8(cr3 & 0xfffff000) },
      ],
    },
    { name: 'cr4', value: r.cr4 >>> 0, text: withSet(r.cr4, CR4_BIT_NAMES), bits: flagBits(r.cr4, CR4_BIT_NAMES) },
    { name: 'efer', value: r.efer >>> 0, text: withSet(r.efer, EFER_BIT_NAMES), detail: 'IA32_EFER (MSR 0xc0000080)', bits: flagBits(r.efer, EFER_BIT_NAMES) },
    { name: 'cpl', value: r.cpl, text: String(r.cpl), detail: 'current privilege level' },
  ];

  const tables: FieldView[] = [
    { name: 'gdtr', value: r.gdtrBase >>> 0, text: `base=${hex8(r.gdtrBase)} limit=${hex4(r.gdtrLimit)}`, bits: [{ name: 'base', value: r.gdtrBase >>> 0, text: hex8(r.gdtrBase) }, { name: 'limit', value: r.gdtrLimit & 0xffff, text: hex4(r.gdtrLimit) }] },
    { name: 'idtr', value: r.idtrBase >>> 0, text: `base=${hex8(r.idtrBase)} limit=${hex4(r.idtrLimit)}`, bits: [{ name: 'base', value: r.idtrBase >>> 0, text: hex8(r.idtrBase) }, { name: 'limit', value: r.idtrLimit & 0xffff, text: hex4(r.idtrLimit) }] },
  ];

  const dr = (i: number): number => (r.dr[i] ?? 0) >>> 0;
  const dr7 = dr(7);
  const dr7Bits: BitField[] = flagBits(dr7, DR7_BIT_NAMES);
  for (let i = 0; i < 4; i++) {
    const rw = (dr7 >>> (16 + i * 4)) & 3, len = (dr7 >>> (18 + i * 4)) & 3;
    dr7Bits.push({ name: `R/W${i}`, value: rw, text: RW_WORDS[rw] }, { name: `LEN${i}`, value: len, text: LEN_WORDS[len] });
  }
  const debug: FieldView[] = [0, 1, 2, 3].map((i) => ({ name: `dr${i}`, value: dr(i), text: hex8(dr(i)) }));
  debug.push({ name: 'dr6', value: dr(6), text: withSet(dr(6), DR6_BIT_NAMES), bits: flagBits(dr(6), DR6_BIT_NAMES) });
  debug.push({ name: 'dr7', value: dr7, text: withSet(dr7, DR7_BIT_NAMES), bits: dr7Bits });

  return [
    { name: 'General', fields: general },
    { name: 'EFLAGS', fields: [eflagsField(r.eflags)] },
    { name: 'Segments', fields: segs },
    { name: 'Control', fields: control },
    { name: 'Descriptor tables', fields: tables },
    { name: 'Debug', fields: debug },
  ];
}
