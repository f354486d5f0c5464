// Builds a 1.44 MB boot floppy for `npm run compare`: the boot sector of scripts/compareBoot.asm
// followed by a Multiboot ELF32 kernel's loadable segments as one flat image (from the lowest PT_LOAD
// physical address to the end of the last segment's file bytes). The sector's parameter block gets
// the sector count, load address, image size, memory size (the rest is zeroed: .bss) and entry.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const FLOPPY = 1474560;

/** The PT_LOAD segments and entry of an ELF32 little-endian file. */
export function elfSegments(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 1 || buf[5] !== 1) throw new Error('not an ELF32 little-endian file');
  const entry = buf.readUInt32LE(24), phoff = buf.readUInt32LE(28), phentsize = buf.readUInt16LE(42), phnum = buf.readUInt16LE(44);
  const segs = [];
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * phentsize;
    if (buf.readUInt32LE(o) !== 1) continue; // PT_LOAD
    segs.push({ offset: buf.readUInt32LE(o + 4), paddr: buf.readUInt32LE(o + 12), filesz: buf.readUInt32LE(o + 16), memsz: buf.readUInt32LE(o + 20) });
  }
  if (!segs.length) throw new Error('no PT_LOAD segment');
  return { entry, segs };
}

export function elfToFloppy(elfPath, workDir, memMiB) {
  const boot = path.join(workDir, 'compareBoot.bin');
  if (!fs.existsSync(boot)) execFileSync('nasm', ['-f', 'bin', '-o', boot, path.resolve('scripts/compareBoot.asm')]);
  const sector = Buffer.from(fs.readFileSync(boot));
  const elf = fs.readFileSync(elfPath);
  const { entry, segs } = elfSegments(elf);
  const lo = Math.min(...segs.map((s) => s.paddr));
  const fileEnd = Math.max(...segs.filter((s) => s.filesz).map((s) => s.paddr + s.filesz));
  const memEnd = Math.max(...segs.map((s) => s.paddr + s.memsz));
  const image = Buffer.alloc(fileEnd - lo);
  for (const s of segs) elf.copy(image, s.paddr - lo, s.offset, s.offset + s.filesz);
  // The loader stages the image at 0x10000 below the EBDA (0x9fc00): at most 0x8fc00 bytes.
  if (image.length > 0x8fc00) throw new Error(`${elfPath}: image too large for the floppy loader (${image.length} bytes)`);
  if (lo < 0x100000) throw new Error(`${elfPath}: segments below 1 MiB are not supported by the floppy loader`);
  const sectors = Math.ceil(image.length / 512);
  sector.writeUInt32LE(memMiB * 1024 - 1024, 0x1d8);
  sector.writeUInt16LE(sectors, 0x1e0);
  sector.writeUInt32LE(lo, 0x1e4);
  sector.writeUInt32LE(image.length, 0x1e8);
  sector.writeUInt32LE(memEnd - lo, 0x1ec);
  sector.writeUInt32LE(entry, 0x1f0);
  const floppy = Buffer.alloc(FLOPPY);
  sector.copy(floppy, 0);
  image.copy(floppy, 512);
  return floppy;
}
