// Output formats for an assembled program (assembler.ts): a flat binary, a bootable disk image
// (512-byte boot sector ending in 0x55 0xAA, then the following sectors), or a Multiboot ELF32
// executable (one PT_LOAD segment, a symbol table with every label, entry = _start/start/origin).
import type { AsmResult } from './assembler';

export class OutputError extends Error {}

/** The image bytes as they sit in memory from `origin` (no .bss). */
export function toFlatBinary(r: AsmResult): Uint8Array {
  return r.image.slice();
}

/**
 * A disk image: the program padded to whole 512-byte sectors. The first sector must end in the boot
 * signature 0x55 0xAA: it is added when the code leaves bytes 510-511 free, and an error names the
 * problem when code already occupies them with something else.
 */
export function toBootImage(r: AsmResult): Uint8Array {
  const size = Math.max(512, Math.ceil(r.image.length / 512) * 512);
  const out = new Uint8Array(size);
  out.set(r.image);
  if (out[510] !== 0x55 || out[511] !== 0xaa) {
    if (r.image.length > 510) throw new OutputError(`boot sector: code reaches byte ${r.image.length - 1} but bytes 510-511 must hold the signature 0x55 0xAA (end the first sector with \`times 510-($-$$) db 0\` and \`dw 0xaa55\`)`);
    out[510] = 0x55;
    out[511] = 0xaa;
  }
  return out;
}

/**
 * A Multiboot (v1) ELF32 executable. The program must contain a Multiboot header (the `multiboot`
 * directive, or the assembler's `multibootHeader` option) within the first 8 KiB of the file.
 */
export function toMultibootElf(r: AsmResult, options: { sourcePath?: string } = {}): Uint8Array {
  if (r.multibootOffset < 0) throw new OutputError('no Multiboot header: add the `multiboot` directive or assemble with the multibootHeader option');
  const imageOffset = 0x100 + (r.origin & 3);
  if (imageOffset + r.multibootOffset + 12 > 8192) throw new OutputError('the Multiboot header must be within the first 8 KiB of the file: put the `multiboot` directive near the start');
  const labels = r.symbols.filter((s) => s.kind === 'label');
  const strtab: number[] = [0];
  const nameOffsets = labels.map((s) => { const o = strtab.length; for (const c of s.name) strtab.push(c.charCodeAt(0) & 0x7f); strtab.push(0); return o; });
  const shstr = '\0.text\0.bss\0.symtab\0.strtab\0.shstrtab\0.debug_line\0';
  const debugLine = options.sourcePath ? lineProgram(r, options.sourcePath) : undefined;
  const shName = (n: string): number => shstr.indexOf('\0' + n + '\0') + 1;

  const symtabOffset = align(imageOffset + r.image.length, 4);
  const symtabSize = 16 * (labels.length + 1);
  const strtabOffset = symtabOffset + symtabSize;
  const shstrOffset = strtabOffset + strtab.length;
  const debugLineOffset = shstrOffset + shstr.length;
  const shOffset = align(debugLineOffset + (debugLine?.length ?? 0), 4);
  const nSections = debugLine ? 7 : 6;
  const total = shOffset + 40 * nSections;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  const u8 = (o: number, v: number): void => dv.setUint8(o, v);
  const u16 = (o: number, v: number): void => dv.setUint16(o, v, true);
  const u32 = (o: number, v: number): void => dv.setUint32(o, v >>> 0, true);

  // ELF header
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0]);
  u16(16, 2); u16(18, 3); u32(20, 1); u32(24, r.entry); u32(28, 52); u32(32, shOffset); u32(36, 0);
  u16(40, 52); u16(42, 32); u16(44, 1); u16(46, 40); u16(48, nSections); u16(50, 5);
  // PT_LOAD: the image, then .bss as zero-filled memory.
  u32(52, 1); u32(56, imageOffset); u32(60, r.origin); u32(64, r.origin); u32(68, r.image.length); u32(72, r.memorySize); u32(76, 7); u32(80, 4);
  b.set(r.image, imageOffset);
  // Symbols (all labels global; index 0 is the null symbol).
  const bss = r.sections.find((s) => s.nobits && s.size > 0);
  labels.forEach((s, i) => {
    const o = symtabOffset + 16 * (i + 1);
    const inBss = bss !== undefined && s.section === bss.name;
    u32(o, nameOffsets[i]!); u32(o + 4, s.value); u32(o + 8, 0);
    u8(o + 12, (1 << 4) | (s.section === '.text' ? 2 : 1)); u8(o + 13, 0); u16(o + 14, inBss ? 2 : 1);
  });
  b.set(strtab, strtabOffset);
  for (let i = 0; i < shstr.length; i++) b[shstrOffset + i] = shstr.charCodeAt(i);
  if (debugLine) b.set(debugLine, debugLineOffset);
  // Section headers: null, .text, .bss, .symtab, .strtab, .shstrtab
  const sh = (i: number, name: number, type: number, flags: number, addr: number, off: number, size: number, link = 0, info = 0, al = 1, entsize = 0): void => {
    const o = shOffset + 40 * i;
    u32(o, name); u32(o + 4, type); u32(o + 8, flags); u32(o + 12, addr); u32(o + 16, off); u32(o + 20, size);
    u32(o + 24, link); u32(o + 28, info); u32(o + 32, al); u32(o + 36, entsize);
  };
  sh(1, shName('.text'), 1, 7, r.origin, imageOffset, r.image.length, 0, 0, 4);
  sh(2, shName('.bss'), 8, 3, r.origin + r.image.length, imageOffset + r.image.length, r.memorySize - r.image.length, 0, 0, 4);
  sh(3, shName('.symtab'), 2, 0, 0, symtabOffset, symtabSize, 4, 1, 4, 16);
  sh(4, shName('.strtab'), 3, 0, 0, strtabOffset, strtab.length);
  sh(5, shName('.shstrtab'), 3, 0, 0, shstrOffset, shstr.length);
  if (debugLine) sh(6, shName('.debug_line'), 1, 0, 0, debugLineOffset, debugLine.length);
  return b;
}

/**
 * The line table as a DWARF 3 line program (.debug_line) naming `sourcePath`, so a debugger that
 * reads DWARF (the adapter's source breakpoints and line stepping) maps addresses to .asm lines.
 */
export function lineProgram(r: AsmResult, sourcePath: string): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number): void => { out.push(v & 0xff, (v >>> 8) & 0xff); };
  const u32 = (v: number): void => { for (let k = 0; k < 4; k++) out.push((v >>> (8 * k)) & 0xff); };
  const uleb = (v: number): void => { do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; out.push(b); } while (v); };
  const sleb = (v: number): void => {
    for (;;) { const b = v & 0x7f; v >>= 7; if ((v === 0 && !(b & 0x40)) || (v === -1 && (b & 0x40))) { out.push(b); return; } out.push(b | 0x80); }
  };
  u32(0); // unit_length, patched below
  u16(3);
  const headerLengthAt = out.length;
  u32(0); // header_length, patched below
  out.push(1, 1, (-5) & 0xff, 14, 13); // min_inst_length, default_is_stmt, line_base, line_range, opcode_base
  out.push(0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1); // standard opcode lengths
  out.push(0); // no include directories
  for (const c of utf8(sourcePath)) out.push(c);
  out.push(0, 0, 0, 0); // NUL, dir 0, mtime 0, length 0
  out.push(0); // end of file names
  const headerEnd = out.length;
  const rows = r.lineTable;
  if (rows.length) {
    out.push(0, 5, 2); u32(rows[0]!.address); // DW_LNE_set_address
    let addr = rows[0]!.address, line = 1;
    for (const row of rows) {
      if (row.address !== addr) { out.push(2); uleb(row.address - addr); addr = row.address; }
      if (row.line !== line) { out.push(3); sleb(row.line - line); line = row.line; }
      out.push(1); // DW_LNS_copy
    }
    const last = rows[rows.length - 1]!;
    out.push(2); uleb(last.address + last.length - addr);
    out.push(0, 1, 1); // DW_LNE_end_sequence
  }
  const b = Uint8Array.from(out);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length - 4, true);
  dv.setUint32(headerLengthAt, headerEnd - (headerLengthAt + 4), true);
  return b;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function utf8(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return out;
}
