// Just enough of .debug_info and .debug_abbrev (DWARF 5 sections 7.5.1-7.5.3; DWARF 2-4 section
// 7.5) for a debugger's source view: each compile unit's name, directory, language and line
// program, and each function (DW_TAG_subprogram) with its name and address range. Every DIE is
// walked once; attributes the debugger does not use are skipped by form.
import { ByteReader, DwarfFormatError, stringAt } from './byteReader';
import { DW_FORM, readForm, type FormValue, type StringSections, type UnitEncoding } from './forms';

export interface CompileUnit {
  /** Offset of the unit header in .debug_info. */
  offset: number;
  version: number;
  name?: string;
  compDir?: string;
  producer?: string;
  language?: number;
  /** Offset of the unit's line program in .debug_line (DW_AT_stmt_list). */
  stmtList?: number;
  lowPc?: number;
  highPc?: number;
  addressSize: number;
}

export interface FunctionInfo {
  name: string;
  /** First address (DW_AT_low_pc). */
  low: number;
  /** One past the last address (DW_AT_high_pc, section 2.17.2). */
  high: number;
  /** Index of the compile unit in `units`. */
  unit: number;
}

export interface DebugInfoUnits { units: CompileUnit[]; functions: FunctionInfo[]; }

/** Languages (section 7.12, table 7.17) the debugger treats specially. */
export const DW_LANG_Mips_Assembler = 0x8001;

const DW_TAG_compile_unit = 0x11, DW_TAG_partial_unit = 0x3c, DW_TAG_skeleton_unit = 0x4a, DW_TAG_subprogram = 0x2e;
const DW_AT_name = 0x03, DW_AT_stmt_list = 0x10, DW_AT_low_pc = 0x11, DW_AT_high_pc = 0x12, DW_AT_language = 0x13,
  DW_AT_comp_dir = 0x1b, DW_AT_producer = 0x25, DW_AT_abstract_origin = 0x31, DW_AT_specification = 0x47,
  DW_AT_linkage_name = 0x6e, DW_AT_MIPS_linkage_name = 0x2007, DW_AT_str_offsets_base = 0x72, DW_AT_addr_base = 0x73;
// Unit types (section 7.5.1, table 7.2).
const DW_UT_compile = 1, DW_UT_type = 2, DW_UT_partial = 3, DW_UT_skeleton = 4, DW_UT_split_compile = 5, DW_UT_split_type = 6;

interface AbbrevAttr { name: number; form: number; implicitConst: number; }
interface Abbrev { tag: number; children: boolean; attrs: AbbrevAttr[]; }

export interface InfoSections extends StringSections {
  info?: Uint8Array;
  abbrev?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
}

/** Abbreviation table at `offset` of .debug_abbrev (section 7.5.3). */
function parseAbbrevs(abbrev: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new ByteReader(abbrev, '.debug_abbrev', offset);
  const out = new Map<number, Abbrev>();
  for (let code = r.uleb(); code !== 0; code = r.uleb()) {
    const tag = r.uleb();
    const children = r.u8() !== 0;
    const attrs: AbbrevAttr[] = [];
    for (;;) {
      const name = r.uleb(), form = r.uleb();
      if (name === 0 && form === 0) break;
      attrs.push({ name, form, implicitConst: form === DW_FORM.implicit_const ? r.sleb() : 0 });
    }
    out.set(code, { tag, children, attrs });
  }
  return out;
}

export function parseCompileUnits(s: InfoSections): DebugInfoUnits {
  const units: CompileUnit[] = [];
  const functions: FunctionInfo[] = [];
  if (!s.info || !s.abbrev) return { units, functions };
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  const r = new ByteReader(s.info, '.debug_info');
  // Names of subprogram DIEs by section offset, for DW_AT_specification / DW_AT_abstract_origin.
  const namesByOffset = new Map<number, string>();
  const pending: { fn: Omit<FunctionInfo, 'name'>; ref: number }[] = [];
  while (r.pos + 4 <= r.length) {
    const unitOffset = r.pos;
    const { end, offsetSize } = r.unitLength();
    const version = r.u16();
    if (version < 2 || version > 5) throw new DwarfFormatError(`.debug_info: unit at 0x${unitOffset.toString(16)} has version ${version}; DWARF 2 to 5 are supported`);
    let unitType = DW_UT_compile, addressSize: number, abbrevOffset: number;
    if (version >= 5) {
      unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = r.offset(offsetSize);
      if (unitType === DW_UT_skeleton || unitType === DW_UT_split_compile) r.skip(8); // dwo_id
      if (unitType === DW_UT_type || unitType === DW_UT_split_type) { r.skip(8); r.offset(offsetSize); } // signature, type_offset
    } else {
      abbrevOffset = r.offset(offsetSize);
      addressSize = r.u8();
    }
    const enc: UnitEncoding = { version, addressSize, offsetSize };
    let abbrevs = abbrevCache.get(abbrevOffset);
    if (!abbrevs) { abbrevs = parseAbbrevs(s.abbrev, abbrevOffset); abbrevCache.set(abbrevOffset, abbrevs); }
    const unit: CompileUnit = { offset: unitOffset, version, addressSize };
    const unitIndex = units.length;
    let strOffsetsBase = 8, addrBase = 8; // DWARF 5 defaults past the section header (section 7.26, 7.27)
    const resolve = (v: FormValue): FormValue => {
      if (v.kind === 'strx') {
        if (!s.strOffsets || !s.str) return { kind: 'str', value: '' };
        const sr = new ByteReader(s.strOffsets, '.debug_str_offsets', strOffsetsBase + v.index * offsetSize);
        return { kind: 'str', value: stringAt(s.str, sr.offset(offsetSize), '.debug_str') };
      }
      if (v.kind === 'addrx') {
        if (!s.addr) return { kind: 'num', value: 0 };
        return { kind: 'num', value: new ByteReader(s.addr, '.debug_addr', addrBase + v.index * addressSize).uN(addressSize) };
      }
      return v;
    };
    const wantUnit = unitType === DW_UT_compile || unitType === DW_UT_partial || unitType === DW_UT_skeleton;
    let first = true;
    while (r.pos < end) {
      const dieOffset = r.pos;
      const code = r.uleb();
      if (code === 0) continue; // end of a sibling chain
      const ab = abbrevs.get(code);
      if (!ab) throw new DwarfFormatError(`.debug_info: DIE at 0x${dieOffset.toString(16)} uses abbreviation ${code}, which is not in the table at 0x${abbrevOffset.toString(16)}`);
      const isUnit = first && (ab.tag === DW_TAG_compile_unit || ab.tag === DW_TAG_partial_unit || ab.tag === DW_TAG_skeleton_unit);
      const interesting = isUnit || ab.tag === DW_TAG_subprogram;
      const vals = interesting ? new Map<number, { form: number; v: FormValue }>() : undefined;
      for (const a of ab.attrs) {
        const v = readForm(r, a.form, enc, s, a.implicitConst);
        if (vals) vals.set(a.name, { form: a.form, v });
      }
      first = false;
      if (!vals) continue;
      if (isUnit) {
        const base = vals.get(DW_AT_str_offsets_base)?.v;
        if (base?.kind === 'num') strOffsetsBase = base.value;
        const ab2 = vals.get(DW_AT_addr_base)?.v;
        if (ab2?.kind === 'num') addrBase = ab2.value;
      }
      const str = (k: number): string | undefined => { const e = vals.get(k); if (!e) return undefined; const v = resolve(e.v); return v.kind === 'str' ? v.value : undefined; };
      const num = (k: number): number | undefined => { const e = vals.get(k); if (!e) return undefined; const v = resolve(e.v); return v.kind === 'num' ? v.value : undefined; };
      const low = num(DW_AT_low_pc);
      let high = num(DW_AT_high_pc);
      // DW_AT_high_pc of class constant is an offset from low_pc (DWARF 4+, section 2.17.2).
      const hf = vals.get(DW_AT_high_pc)?.form;
      if (high !== undefined && low !== undefined && hf !== undefined && hf !== DW_FORM.addr && vals.get(DW_AT_high_pc)?.v.kind !== 'addrx') high = low + high;
      if (isUnit) {
        if (wantUnit) {
          unit.name = str(DW_AT_name); unit.compDir = str(DW_AT_comp_dir); unit.producer = str(DW_AT_producer);
          unit.language = num(DW_AT_language); unit.stmtList = num(DW_AT_stmt_list); unit.lowPc = low; unit.highPc = high;
        }
        continue;
      }
      const name = str(DW_AT_name) ?? str(DW_AT_linkage_name) ?? str(DW_AT_MIPS_linkage_name);
      if (name) namesByOffset.set(dieOffset, name);
      if (low === undefined || high === undefined || high <= low) continue;
      const fn = { low: low >>> 0, high: high >>> 0, unit: unitIndex };
      if (name) { functions.push({ name, ...fn }); continue; }
      const refAttr = vals.get(DW_AT_abstract_origin) ?? vals.get(DW_AT_specification);
      if (refAttr && refAttr.v.kind === 'num') {
        // ref1/2/4/8/udata are relative to the unit; ref_addr to the section (section 7.5.5).
        const ref = refAttr.form === DW_FORM.ref_addr ? refAttr.v.value : unitOffset + refAttr.v.value;
        pending.push({ fn, ref });
      }
    }
    units.push(unit);
    r.pos = end;
  }
  for (const p of pending) {
    const name = namesByOffset.get(p.ref);
    if (name) functions.push({ name, ...p.fn });
  }
  functions.sort((a, b) => a.low - b.low || b.high - a.high);
  return { units, functions };
}
