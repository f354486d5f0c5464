// ELF32 reader for IA-32 executables (System V ABI, Intel386 supplement): headers, PT_LOAD
// segments, and the symbol table. Every offset is checked against the file so a malformed image
// gets a clear error, never an exception from deep inside.
export class ImageFormatError extends Error { override name = 'ImageError'; }

export interface ElfSegment { vaddr: number; paddr: number; offset: number; filesz: number; memsz: number; flags: number; }
export interface ElfSymbol { name: string; address: number; size: number; type: number; }
export interface Elf32 { entry: number; type: number; segments: ElfSegment[]; symbols: ElfSymbol[]; }

const MACHINES: Record<number, string> = { 0: 'none', 3: 'Intel 80386', 8: 'MIPS', 20: 'PowerPC', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' };

export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

export function parseElf32(b: Uint8Array, name: string): Elf32 {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 52) throw new ImageFormatError(`${name}: truncated ELF header (${b.length} bytes)`);
  if (b[4] === 2) throw new ImageFormatError(`${name}: a 64-bit ELF (ELFCLASS64); vmm-debug runs IA-32 guests: build with gcc -m32 / ld -m elf_i386`);
  if (b[4] !== 1) throw new ImageFormatError(`${name}: unknown ELF class ${b[4]}; expected ELFCLASS32`);
  if (b[5] !== 1) throw new ImageFormatError(`${name}: big-endian ELF; expected little-endian (ELFDATA2LSB) for IA-32`);
  const type = dv.getUint16(16, true), machine = dv.getUint16(18, true);
  if (machine !== 3) throw new ImageFormatError(`${name}: ELF for machine ${machine} (${MACHINES[machine] ?? 'unknown'}); expected EM_386 (Intel 80386)`);
  if (type !== 2) throw new ImageFormatError(`${name}: ELF type ${type === 1 ? 'REL (an object file: link it first)' : type === 3 ? 'DYN (position-independent: link with -no-pie / ld -m elf_i386)' : type}; expected an executable (ET_EXEC)`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true), phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  if (phnum === 0) throw new ImageFormatError(`${name}: no program headers: nothing to load`);
  if (phentsize < 32 || phoff + phnum * phentsize > b.length) throw new ImageFormatError(`${name}: program header table lies outside the file (truncated or corrupt)`);
  const segments: ElfSegment[] = [];
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * phentsize;
    if (dv.getUint32(o, true) !== 1) continue; // PT_LOAD only
    const s: ElfSegment = {
      offset: dv.getUint32(o + 4, true), vaddr: dv.getUint32(o + 8, true), paddr: dv.getUint32(o + 12, true),
      filesz: dv.getUint32(o + 16, true), memsz: dv.getUint32(o + 20, true), flags: dv.getUint32(o + 24, true),
    };
    if (s.offset + s.filesz > b.length) throw new ImageFormatError(`${name}: segment ${k} extends beyond the end of the file (truncated image?)`);
    if (s.filesz > s.memsz) throw new ImageFormatError(`${name}: segment ${k} has file size larger than memory size`);
    segments.push(s);
  }
  if (segments.length === 0) throw new ImageFormatError(`${name}: no PT_LOAD segments`);
  return { entry, type, segments, symbols: readSymbols(b, dv) };
}

function readSymbols(b: Uint8Array, dv: DataView): ElfSymbol[] {
  const shoff = dv.getUint32(32, true), shentsize = dv.getUint16(46, true), shnum = dv.getUint16(48, true);
  const out: ElfSymbol[] = [];
  if (!shoff || shentsize < 40 || shoff + shnum * shentsize > b.length) return out;
  for (let k = 0; k < shnum; k++) {
    const o = shoff + k * shentsize;
    if (dv.getUint32(o + 4, true) !== 2) continue; // SHT_SYMTAB
    const off = dv.getUint32(o + 16, true), size = dv.getUint32(o + 20, true), link = dv.getUint32(o + 24, true);
    const so = shoff + link * shentsize;
    if (link >= shnum || off + size > b.length) continue;
    const strOff = dv.getUint32(so + 16, true), strSize = dv.getUint32(so + 20, true);
    if (strOff + strSize > b.length) continue;
    for (let s = off; s + 16 <= off + size; s += 16) {
      const nameOff = dv.getUint32(s, true);
      const info = b[s + 12];
      const typ = info & 0xf;
      if (typ !== 0 && typ !== 1 && typ !== 2) continue; // NOTYPE, OBJECT, FUNC
      const shndx = dv.getUint16(s + 14, true);
      if (shndx === 0) continue; // SHN_UNDEF
      // SHN_ABS symbols (an assembler's `i = 0x100`, `.set TRAMP, ...`) are numbers, not places in the
      // image: naming code after them gave frames like `i+0x7b00` (gdb's minimal symbols skip them too).
      if (shndx === 0xfff1) continue;
      let e = strOff + nameOff;
      let nm = '';
      while (e < strOff + strSize && b[e]) nm += String.fromCharCode(b[e++]);
      if (!nm || nm.startsWith('.')) continue;
      out.push({ name: nm, address: dv.getUint32(s + 4, true), size: dv.getUint32(s + 8, true), type: typ });
    }
  }
  out.sort((x, y) => x.address - y.address);
  return out;
}
