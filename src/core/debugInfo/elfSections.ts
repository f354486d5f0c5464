// ELF32 section headers (System V ABI, "Sections"): the debug sections by name. Unlike
// machine/elf.ts (which loads executables), this accepts relocatable objects too (ET_REL), so the
// tests can read what `gcc -c`, `as` and `nasm` write. i386 objects use REL relocations, whose
// addends sit in the section bytes, so unrelocated debug sections of an object already hold
// section-relative addresses and string offsets (what objdump shows for an object).
import { DwarfFormatError } from './byteReader';

export interface ElfSection { name: string; type: number; flags: number; addr: number; offset: number; size: number; }

const SHT_NOBITS = 8;
const SHF_COMPRESSED = 0x800;

export function elfSections(b: Uint8Array): ElfSection[] {
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new DwarfFormatError('not an ELF file');
  if (b[4] !== 1 || b[5] !== 1) throw new DwarfFormatError('only little-endian ELF32 files carry IA-32 debug information here');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shoff = dv.getUint32(32, true), shentsize = dv.getUint16(46, true);
  let shnum = dv.getUint16(48, true), shstrndx = dv.getUint16(50, true);
  if (shoff === 0) return [];
  if (shentsize < 40 || shoff + 40 > b.length) throw new DwarfFormatError('section header table lies outside the file');
  // Extended numbering (gABI): section 0 holds the real count / string-table index.
  if (shnum === 0) shnum = dv.getUint32(shoff + 20, true);
  if (shstrndx === 0xffff) shstrndx = dv.getUint32(shoff + 24, true);
  if (shoff + shnum * shentsize > b.length) throw new DwarfFormatError('section header table lies outside the file');
  const raw: (Omit<ElfSection, 'name'> & { nameOff: number })[] = [];
  for (let k = 0; k < shnum; k++) {
    const o = shoff + k * shentsize;
    raw.push({
      nameOff: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), flags: dv.getUint32(o + 8, true),
      addr: dv.getUint32(o + 12, true), offset: dv.getUint32(o + 16, true), size: dv.getUint32(o + 20, true),
    });
  }
  const strtab = raw[shstrndx];
  return raw.map((s) => {
    let name = '';
    if (strtab && strtab.offset + s.nameOff < b.length) {
      for (let e = strtab.offset + s.nameOff; e < b.length && e < strtab.offset + strtab.size && b[e]; e++) name += String.fromCharCode(b[e]);
    }
    return { name, type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size };
  });
}

/** The contents of the sections whose names start with ".debug_", keyed by name. */
export function debugSections(b: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const s of elfSections(b)) {
    if (!s.name.startsWith('.debug_') || s.type === SHT_NOBITS) continue;
    if (s.flags & SHF_COMPRESSED) throw new DwarfFormatError(`${s.name} is compressed (SHF_COMPRESSED); link with --compress-debug-sections=none`);
    if (s.offset + s.size > b.length) throw new DwarfFormatError(`${s.name} extends beyond the end of the file`);
    out.set(s.name, b.subarray(s.offset, s.offset + s.size));
  }
  return out;
}
