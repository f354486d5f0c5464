// Loaders: Multiboot v1 kernels (ELF, and the a.out kludge) and plain ELF32 executables, with the
// boot state each promises (Multiboot Specification 0.6.96 section 3.2 "Machine state").
import type { GuestMemory } from '../vmm/memslots';
import type { BootState } from '../vmm/vmcsSetup';
import { ImageFormatError, isElf, parseElf32, type ElfSymbol } from './elf';
import { memoryMap } from './firmware/memoryMap';

export const MULTIBOOT_MAGIC = 0x1badb002, MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Where the loader puts its own structures (below the 640 KiB of conventional memory). */
const GDT_GPA = 0x800, MBI_GPA = 0x9000, MMAP_GPA = 0x9100, MODS_GPA = 0x9300, NAME_GPA = 0x9400, STRINGS_END = 0xa000;
const MAX_MODULES = 16;

export interface LoadedImage { kind: 'multiboot' | 'elf' | 'disk' | 'flat' | 'bios'; boot: BootState; symbols: ElfSymbol[]; }

/** A Multiboot module (`--module FILE`, launch `modules`): loaded page-aligned after the kernel. */
export interface BootModule { name: string; image: Uint8Array; cmdline?: string; }
/** What a Multiboot boot loader passes besides the kernel (Multiboot spec 3.3). */
export interface MultibootExtras {
  cmdline?: string;
  modules?: BootModule[];
  /** BIOS drive the kernel was "loaded from" (0x80 when disks are attached): info flag 1. */
  bootDrive?: number;
}

/** The flat GDT of every protected-mode boot path (null, code 0x08, data 0x10). */
export function writeFlatGdt(mem: GuestMemory): { gdtBase: number; gdtLimit: number } {
  const gdt = new Uint8Array(24);
  gdt.set([0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0], 8);
  gdt.set([0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0], 16);
  mem.writeBytes(GDT_GPA, gdt);
  return { gdtBase: GDT_GPA, gdtLimit: 23 };
}

/** Find the Multiboot header: 4-byte aligned in the first 8192 bytes, with a valid checksum. */
export function findMultibootHeader(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0; o + 12 <= Math.min(b.length, 8192); o += 4) {
    if (dv.getUint32(o, true) !== MULTIBOOT_MAGIC) continue;
    const flags = dv.getUint32(o + 4, true), sum = dv.getUint32(o + 8, true);
    if (((MULTIBOOT_MAGIC + flags + sum) >>> 0) === 0) return o;
  }
  return -1;
}

export function loadImage(b: Uint8Array, name: string, mem: GuestMemory, extras: MultibootExtras = {}): LoadedImage {
  const mbOff = findMultibootHeader(b);
  const ram = mem.ramSize;
  let imageEnd = 0;
  const place = (gpa: number, bytes: Uint8Array, memsz: number, what: string): void => {
    if (gpa + memsz > ram || gpa < 0) {
      throw new ImageFormatError(`${name}: ${what} at 0x${gpa.toString(16)}..0x${(gpa + memsz).toString(16)} does not fit in guest RAM (${ram >> 20} MiB): use --mem`);
    }
    mem.writeBytes(gpa, bytes);
    imageEnd = Math.max(imageEnd, gpa + memsz);
    if (memsz > bytes.length) mem.writeBytes(gpa + bytes.length, new Uint8Array(memsz - bytes.length)); // .bss
  };
  let entry: number;
  let symbols: ElfSymbol[] = [];
  const multiboot = mbOff >= 0;
  if (isElf(b)) {
    const elf = parseElf32(b, name);
    for (const [k, s] of elf.segments.entries()) {
      // Multiboot ELF kernels load at their physical addresses (p_paddr), as GRUB and QEMU do.
      place(multiboot ? s.paddr : s.vaddr, b.subarray(s.offset, s.offset + s.filesz), s.memsz, `segment ${k}`);
    }
    entry = elf.entry;
    symbols = elf.symbols;
  } else if (multiboot && (new DataView(b.buffer, b.byteOffset).getUint32(mbOff + 4, true) & 0x10000)) {
    // The a.out kludge: addresses from the header (Multiboot spec 3.1.3).
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (mbOff + 32 > b.length) throw new ImageFormatError(`${name}: truncated Multiboot header`);
    const headerAddr = dv.getUint32(mbOff + 12, true), loadAddr = dv.getUint32(mbOff + 16, true);
    const loadEnd = dv.getUint32(mbOff + 20, true), bssEnd = dv.getUint32(mbOff + 24, true);
    entry = dv.getUint32(mbOff + 28, true);
    const fileStart = mbOff - (headerAddr - loadAddr);
    const len = loadEnd ? loadEnd - loadAddr : b.length - fileStart;
    if (fileStart < 0 || fileStart + len > b.length) throw new ImageFormatError(`${name}: Multiboot a.out addresses point outside the file`);
    place(loadAddr, b.subarray(fileStart, fileStart + len), bssEnd ? bssEnd - loadAddr : len, 'kernel image');
  } else {
    const bootSector = b.length >= 512 && b[510] === 0x55 && b[511] === 0xaa;
    throw new ImageFormatError(`${name}: not a Multiboot kernel or ELF32 executable${bootSector ? ' (it looks like a bootable disk image)' : ''}; expected an ELF32 i386 executable or a Multiboot v1 image`);
  }

  // A flat GDT (null, code 0x08, data 0x10) so the selectors of the boot state are valid in memory too.
  writeFlatGdt(mem);
  if (!multiboot && (extras.cmdline !== undefined || extras.modules?.length)) {
    throw new ImageFormatError(`${name}: a command line or modules need a Multiboot kernel; this is a plain ELF executable`);
  }

  const boot: BootState = {
    eip: entry, esp: 0, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected', gdtBase: GDT_GPA, gdtLimit: 23,
  };
  if (multiboot) {
    writeMultibootInfo(mem, ram, name, imageEnd, extras);
    boot.eax = MULTIBOOT_BOOTLOADER_MAGIC;
    boot.ebx = MBI_GPA;
  } else {
    boot.esp = Math.min(ram, 0x100000000) - 16; // top of RAM: the loader's stack for a plain ELF
  }
  return { kind: multiboot ? 'multiboot' : 'elf', boot, symbols };
}

/** Multiboot information structure (spec 3.3): memory bounds, boot device, command line, modules, memory map, boot loader name. */
function writeMultibootInfo(mem: GuestMemory, ram: number, name: string, imageEnd: number, x: MultibootExtras): void {
  const mbi = new DataView(new ArrayBuffer(88));
  let flags = (1 << 0) | (1 << 6) | (1 << 9);
  mbi.setUint32(4, 639, true);
  mbi.setUint32(8, (ram - 0x100000) / 1024, true);
  // Strings (boot loader name, command line, module strings) go one after another below 0xA000.
  let str = NAME_GPA;
  const putString = (s: string, what: string): number => {
    const bytes = Uint8Array.from(s + '\0', (c) => c.charCodeAt(0) & 0xff);
    if (str + bytes.length > STRINGS_END) throw new ImageFormatError(`${name}: ${what} too long (the boot loader's string area holds ${STRINGS_END - NAME_GPA} bytes in all)`);
    mem.writeBytes(str, bytes);
    const at = str;
    str += bytes.length;
    return at;
  };
  mbi.setUint32(64, putString('vmm-debug', 'boot loader name'), true);
  if (x.bootDrive !== undefined) { flags |= 1 << 1; mbi.setUint32(12, ((x.bootDrive & 0xff) << 24 | 0xffffff) >>> 0, true); } // no partition
  if (x.cmdline !== undefined) { flags |= 1 << 2; mbi.setUint32(16, putString(x.cmdline, 'the command line'), true); }
  const mods = x.modules ?? [];
  if (mods.length) {
    if (mods.length > MAX_MODULES) throw new ImageFormatError(`${name}: ${mods.length} modules; at most ${MAX_MODULES}`);
    flags |= 1 << 3;
    let at = Math.max(0x100000, Math.ceil(imageEnd / 4096) * 4096);
    const table = new DataView(new ArrayBuffer(16 * mods.length));
    mods.forEach((m, k) => {
      if (at + m.image.length > ram) throw new ImageFormatError(`module ${m.name}: ${m.image.length} bytes at 0x${at.toString(16)} do not fit in guest RAM (${ram >> 20} MiB): use --mem`);
      mem.writeBytes(at, m.image);
      table.setUint32(16 * k, at, true); table.setUint32(16 * k + 4, at + m.image.length, true);
      table.setUint32(16 * k + 8, putString(m.cmdline ?? m.name, `module ${m.name}'s string`), true);
      at = Math.ceil((at + m.image.length) / 4096) * 4096; // page-aligned (header flag 0 asks for it; it costs nothing)
    });
    mem.writeBytes(MODS_GPA, new Uint8Array(table.buffer));
    mbi.setUint32(20, mods.length, true); mbi.setUint32(24, MODS_GPA, true);
  }
  mbi.setUint32(0, flags, true);
  const map = memoryMap(ram);
  const mm = new DataView(new ArrayBuffer(map.length * 24));
  map.forEach(({ base, length, type }, k) => {
    mm.setUint32(k * 24, 20, true);
    mm.setUint32(k * 24 + 4, base, true); mm.setUint32(k * 24 + 12, length, true); mm.setUint32(k * 24 + 20, type, true);
  });
  mbi.setUint32(44, mm.byteLength, true);
  mbi.setUint32(48, MMAP_GPA, true);
  mem.writeBytes(MBI_GPA, new Uint8Array(mbi.buffer));
  mem.writeBytes(MMAP_GPA, new Uint8Array(mm.buffer));
}
