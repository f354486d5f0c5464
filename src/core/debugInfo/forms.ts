// Attribute forms (DWARF 5 section 7.5.6, table 7.6; older versions use a subset): how many bytes a
// value takes and what it means. Used by .debug_info and by the DWARF 5 line-table entry formats
// (section 6.2.4.1). Strings behind DW_FORM_strp / line_strp are resolved right away; indexed
// forms (strx, addrx) are returned as indices and resolved by the unit that knows its bases.
import { ByteReader, DwarfFormatError, stringAt } from './byteReader';

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

/** What a unit's header says about sizes (section 7.5.1, 6.2.4). */
export interface UnitEncoding { version: number; addressSize: number; offsetSize: 4 | 8; }

/** The string sections a value may point into. */
export interface StringSections { str?: Uint8Array; lineStr?: Uint8Array; }

/**
 * A decoded value: a number (addresses, constants, offsets, references), a string, bytes (blocks,
 * expressions, data16 such as an MD5), or an index to resolve later (strx / addrx).
 */
export type FormValue =
  | { kind: 'num'; value: number }
  | { kind: 'str'; value: string }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'strx'; index: number }
  | { kind: 'addrx'; index: number };

/** Reads one value of `form`; `implicitConst` is the abbreviation's value for DW_FORM_implicit_const. */
export function readForm(r: ByteReader, form: number, enc: UnitEncoding, strings: StringSections, implicitConst = 0): FormValue {
  const num = (value: number): FormValue => ({ kind: 'num', value });
  switch (form) {
    case DW_FORM.addr: return num(r.uN(enc.addressSize));
    case DW_FORM.data1: case DW_FORM.ref1: case DW_FORM.flag: return num(r.u8());
    case DW_FORM.data2: case DW_FORM.ref2: return num(r.u16());
    case DW_FORM.data4: case DW_FORM.ref4: case DW_FORM.ref_sup4: return num(r.u32());
    case DW_FORM.data8: case DW_FORM.ref8: case DW_FORM.ref_sig8: case DW_FORM.ref_sup8: return num(r.u64());
    case DW_FORM.data16: return { kind: 'bytes', value: r.take(16) };
    case DW_FORM.sdata: return num(r.sleb());
    case DW_FORM.udata: case DW_FORM.ref_udata: case DW_FORM.loclistx: case DW_FORM.rnglistx: return num(r.uleb());
    case DW_FORM.string: return { kind: 'str', value: r.cstr() };
    case DW_FORM.strp: return { kind: 'str', value: stringAt(strings.str, r.offset(enc.offsetSize), '.debug_str') };
    case DW_FORM.line_strp: return { kind: 'str', value: stringAt(strings.lineStr, r.offset(enc.offsetSize), '.debug_line_str') };
    // References into other files (supplementary / alternate object files): kept as offsets.
    case DW_FORM.strp_sup: case DW_FORM.GNU_strp_alt: case DW_FORM.GNU_ref_alt: case DW_FORM.sec_offset: return num(r.offset(enc.offsetSize));
    // DW_FORM_ref_addr was address-sized in DWARF 2 and offset-sized since DWARF 3 (section 7.5.4).
    case DW_FORM.ref_addr: return num(enc.version <= 2 ? r.uN(enc.addressSize) : r.offset(enc.offsetSize));
    case DW_FORM.block1: return { kind: 'bytes', value: r.take(r.u8()) };
    case DW_FORM.block2: return { kind: 'bytes', value: r.take(r.u16()) };
    case DW_FORM.block4: return { kind: 'bytes', value: r.take(r.u32()) };
    case DW_FORM.block: case DW_FORM.exprloc: return { kind: 'bytes', value: r.take(r.uleb()) };
    case DW_FORM.flag_present: return num(1);
    case DW_FORM.implicit_const: return num(implicitConst);
    case DW_FORM.strx: case DW_FORM.GNU_str_index: return { kind: 'strx', index: r.uleb() };
    case DW_FORM.strx1: return { kind: 'strx', index: r.u8() };
    case DW_FORM.strx2: return { kind: 'strx', index: r.u16() };
    case DW_FORM.strx3: return { kind: 'strx', index: r.u24() };
    case DW_FORM.strx4: return { kind: 'strx', index: r.u32() };
    case DW_FORM.addrx: case DW_FORM.GNU_addr_index: return { kind: 'addrx', index: r.uleb() };
    case DW_FORM.addrx1: return { kind: 'addrx', index: r.u8() };
    case DW_FORM.addrx2: return { kind: 'addrx', index: r.u16() };
    case DW_FORM.addrx3: return { kind: 'addrx', index: r.u24() };
    case DW_FORM.addrx4: return { kind: 'addrx', index: r.u32() };
    case DW_FORM.indirect: {
      const actual = r.uleb();
      if (actual === DW_FORM.indirect) throw new DwarfFormatError(`${r.what}: DW_FORM_indirect naming itself at offset 0x${r.pos.toString(16)}`);
      return readForm(r, actual, enc, strings, implicitConst);
    }
    default:
      throw new DwarfFormatError(`${r.what}: unknown attribute form 0x${form.toString(16)} at offset 0x${r.pos.toString(16)}`);
  }
}
