// The line number program of .debug_line (DWARF 5 section 6.2; DWARF 2, 3 and 4 section 6.2 for
// the older headers): header, directory and file tables, and the state machine that turns opcodes
// into rows. One ELF mixes versions: GNU as writes v3, gcc 12 writes v5 (entry formats, strings in
// .debug_line_str), nasm writes v2; all go through this one reader.
import { ByteReader, DwarfFormatError } from './byteReader';
import { readForm, type StringSections, type UnitEncoding } from './forms';
import { joinPath } from './paths';

/** One row of the line table (section 6.2.2, table 6.3: the state machine registers). */
export interface LineRow {
  address: number;
  opIndex: number;
  /** Index into the program's `files` (1-based before DWARF 5, 0-based in DWARF 5). */
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
  basicBlock: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
  epilogueBegin: boolean;
  isa: number;
  discriminator: number;
}

export interface LineFile {
  /** The name as recorded. */
  name: string;
  dirIndex: number;
  /** Directory + name, made absolute with the compilation directory when it is known. */
  path: string;
  md5?: Uint8Array;
}

export interface LineProgram {
  /** Offset of the unit in .debug_line (DW_AT_stmt_list points here). */
  offset: number;
  version: number;
  addressSize: number;
  minInstLength: number;
  maxOpsPerInst: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  directories: string[];
  /** Files by index; index 0 is unused (undefined) before DWARF 5. */
  files: (LineFile | undefined)[];
  rows: LineRow[];
}

// Standard opcodes (section 6.2.5.2) and extended opcodes (section 6.2.5.3), DWARF 5 table 7.25/7.26.
const DW_LNS_copy = 1, DW_LNS_advance_pc = 2, DW_LNS_advance_line = 3, DW_LNS_set_file = 4, DW_LNS_set_column = 5,
  DW_LNS_negate_stmt = 6, DW_LNS_set_basic_block = 7, DW_LNS_const_add_pc = 8, DW_LNS_fixed_advance_pc = 9,
  DW_LNS_set_prologue_end = 10, DW_LNS_set_epilogue_begin = 11, DW_LNS_set_isa = 12;
const DW_LNE_end_sequence = 1, DW_LNE_set_address = 2, DW_LNE_define_file = 3, DW_LNE_set_discriminator = 4;
// Line-table content types (section 6.2.4.1, table 7.27).
const DW_LNCT_path = 1, DW_LNCT_directory_index = 2, DW_LNCT_MD5 = 5;

/**
 * Parses the line program at `offset` of .debug_line. `compDir` (the unit's DW_AT_comp_dir) makes
 * relative names absolute before DWARF 5, where directory 0 is the compilation directory implicitly.
 */
export function parseLineProgram(debugLine: Uint8Array, offset: number, strings: StringSections, compDir?: string, defaultAddressSize = 4): LineProgram {
  const r = new ByteReader(debugLine, '.debug_line', offset);
  const { end, offsetSize } = r.unitLength();
  const version = r.u16();
  if (version < 2 || version > 5) throw new DwarfFormatError(`.debug_line: unit at 0x${offset.toString(16)} has version ${version}; DWARF 2 to 5 are supported`);
  let addressSize = defaultAddressSize;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment_selector_size
  }
  const headerLength = r.offset(offsetSize);
  const programStart = r.pos + headerLength;
  if (programStart > end) throw new DwarfFormatError(`.debug_line: header of the unit at 0x${offset.toString(16)} is longer than the unit`);
  const minInstLength = r.u8();
  const maxOpsPerInst = version >= 4 ? r.u8() : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) throw new DwarfFormatError(`.debug_line: unit at 0x${offset.toString(16)} has line_range 0`);
  const opcodeLengths = [0];
  for (let k = 1; k < opcodeBase; k++) opcodeLengths.push(r.u8());
  const enc: UnitEncoding = { version, addressSize, offsetSize };

  const directories: string[] = [];
  const files: (LineFile | undefined)[] = [];
  if (version >= 5) {
    // Section 6.2.4 items 14-21: entry formats, then the entries.
    const readTable = (): Map<number, ReturnType<typeof readForm>>[] => {
      const formatCount = r.u8();
      const formats: [number, number][] = [];
      for (let k = 0; k < formatCount; k++) formats.push([r.uleb(), r.uleb()]);
      const count = r.uleb();
      const rows: Map<number, ReturnType<typeof readForm>>[] = [];
      for (let k = 0; k < count; k++) {
        const m = new Map<number, ReturnType<typeof readForm>>();
        for (const [type, form] of formats) m.set(type, readForm(r, form, enc, strings));
        rows.push(m);
      }
      return rows;
    };
    const str = (v: ReturnType<typeof readForm> | undefined): string => (v?.kind === 'str' ? v.value : '');
    for (const d of readTable()) directories.push(str(d.get(DW_LNCT_path)));
    const base = isAbsoluteDir(directories[0]) ? directories[0] : joinPath(compDir, directories[0]);
    for (const f of readTable()) {
      const di = f.get(DW_LNCT_directory_index);
      const dirIndex = di?.kind === 'num' ? di.value : 0;
      const name = str(f.get(DW_LNCT_path));
      const md5 = f.get(DW_LNCT_MD5);
      const file: LineFile = { name, dirIndex, path: joinPath(base, dirIndex === 0 ? undefined : directories[dirIndex], name) };
      if (md5?.kind === 'bytes') file.md5 = md5.value;
      files.push(file);
    }
  } else {
    // Section 6.2.4 items 11-12 (DWARF 2-4): include_directories, then file_names.
    directories.push(compDir ?? '');
    for (let d = r.cstr(); d !== ''; d = r.cstr()) directories.push(d);
    files.push(undefined);
    for (let n = r.cstr(); n !== ''; n = r.cstr()) files.push(oldFileEntry(r, n, directories, compDir));
  }

  // Section 6.2.2: the state machine.
  r.pos = programStart;
  const rows: LineRow[] = [];
  const fresh = (): LineRow => ({
    address: 0, opIndex: 0, file: 1, line: 1, column: 0, isStmt: defaultIsStmt, basicBlock: false, endSequence: false,
    prologueEnd: false, epilogueBegin: false, isa: 0, discriminator: 0,
  });
  let s = fresh();
  const emit = (): void => {
    rows.push({ ...s });
    s.basicBlock = false;
    s.prologueEnd = false;
    s.epilogueBegin = false;
    s.discriminator = 0;
  };
  // "operation advance" (section 6.2.5.1): address and op_index move together for VLIW; max_ops 1 otherwise.
  const advance = (operationAdvance: number): void => {
    if (maxOpsPerInst <= 1) {
      s.address = (s.address + minInstLength * operationAdvance) >>> 0;
    } else {
      const t = s.opIndex + operationAdvance;
      s.address = (s.address + minInstLength * Math.floor(t / maxOpsPerInst)) >>> 0;
      s.opIndex = t % maxOpsPerInst;
    }
  };
  while (r.pos < end) {
    const op = r.u8();
    if (op >= opcodeBase) {
      // Special opcode (section 6.2.5.1).
      const adjusted = op - opcodeBase;
      advance(Math.floor(adjusted / lineRange));
      s.line += lineBase + (adjusted % lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const next = r.pos + len;
        if (len === 0) break;
        const sub = r.u8();
        if (sub === DW_LNE_end_sequence) {
          s.endSequence = true;
          emit();
          s = fresh();
        } else if (sub === DW_LNE_set_address) {
          s.address = r.uN(len - 1) >>> 0;
          s.opIndex = 0;
        } else if (sub === DW_LNE_define_file) {
          files.push(oldFileEntry(r, r.cstr(), directories, compDir));
        } else if (sub === DW_LNE_set_discriminator) {
          s.discriminator = r.uleb();
        }
        r.pos = next; // skips unknown extended opcodes (and any padding of known ones)
        break;
      }
      case DW_LNS_copy: emit(); break;
      case DW_LNS_advance_pc: advance(r.uleb()); break;
      case DW_LNS_advance_line: s.line += r.sleb(); break;
      case DW_LNS_set_file: s.file = r.uleb(); break;
      case DW_LNS_set_column: s.column = r.uleb(); break;
      case DW_LNS_negate_stmt: s.isStmt = !s.isStmt; break;
      case DW_LNS_set_basic_block: s.basicBlock = true; break;
      case DW_LNS_const_add_pc: advance(Math.floor((255 - opcodeBase) / lineRange)); break;
      case DW_LNS_fixed_advance_pc: s.address = (s.address + r.u16()) >>> 0; s.opIndex = 0; break;
      case DW_LNS_set_prologue_end: s.prologueEnd = true; break;
      case DW_LNS_set_epilogue_begin: s.epilogueBegin = true; break;
      case DW_LNS_set_isa: s.isa = r.uleb(); break;
      default:
        // An opcode this reader does not know: skip its ULEB128 operands (section 6.2.4 item 10).
        for (let k = 0; k < opcodeLengths[op]; k++) r.uleb();
    }
  }
  return {
    offset, version, addressSize, minInstLength, maxOpsPerInst, defaultIsStmt, lineBase, lineRange, opcodeBase,
    directories, files, rows,
  };
}

/** Every line program in .debug_line, in section order (for tools and tests; the debugger goes by CU). */
export function parseAllLinePrograms(debugLine: Uint8Array, strings: StringSections): LineProgram[] {
  const out: LineProgram[] = [];
  let off = 0;
  while (off + 4 <= debugLine.length) {
    const p = parseLineProgram(debugLine, off, strings);
    out.push(p);
    const r = new ByteReader(debugLine, '.debug_line', off);
    off = r.unitLength().end;
  }
  return out;
}

function oldFileEntry(r: ByteReader, name: string, directories: string[], compDir: string | undefined): LineFile {
  const dirIndex = r.uleb();
  r.uleb(); // modification time
  r.uleb(); // length
  return { name, dirIndex, path: joinPath(compDir, dirIndex === 0 ? undefined : directories[dirIndex], name) };
}

function isAbsoluteDir(d: string | undefined): d is string {
  return !!d && (d.startsWith('/') || d.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(d));
}
