// Loaders: Multiboot v1 kernels (ELF, and the a.out kludge) and plain ELF32 executables, with the
// boot state each promises (Multiboot Specification 0.6.96 section 3.2 "Machine state").
import type { GuestMemory } from '../vmm/memslots';
import type { BootState } from '../vmm/vmcsSetup';
import { ImageFormatError, isElf, parseElf32, type ElfSymbol } from './elf';

export const MULTIBOOT_MAGIC = 0x1badb002, MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Where the loader puts its own structures (below the 640 KiB of conventional memory). */
const GDT_GPA = 0x800, MBI_GPA = 0x9000, MMAP_GPA = 0x9100, NAME_GPA = 0x9400;

export interface LoadedImage { kind: 'multiboot' | 'elf'; boot: BootState; symbols: ElfSymbol[]; }

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

export function loadImage(b: Uint8Array, name: string, mem: GuestMemory): LoadedImage {
  const mbOff = findMultibootHeader(b);
  const ram = mem.ramSize;
  const place = (gpa: number, bytes: Uint8Array, memsz: number, what: string): void => {
    if (gpa + memsz > ram || gpa < 0) {
      throw new ImageFormatError(`${name}: ${what} at 0x${gpa.toString(16)}..0x${(gpa + memsz).toString(16)} does not fit in guest RAM (${ram >> 20} MiB): use --mem`);
    }
    mem.writeBytes(gpa, bytes);
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
    throw new ImageFormatError(`${name}: not a Multiboot kernel or ELF32 executable${bootSector ? ' (it looks like a bootable disk image; booting disk images arrives with the PC platform work)' : ''}; expected an ELF32 i386 executable or a Multiboot v1 image`);
  }

  // A flat GDT (null, code 0x08, data 0x10) so the selectors of the boot state are valid in memory too.
  const gdt = new Uint8Array(24);
  gdt.set([0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0], 8);
  gdt.set([0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0], 16);
  mem.writeBytes(GDT_GPA, gdt);

  const boot: BootState = {
    eip: entry, esp: 0, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected', gdtBase: GDT_GPA, gdtLimit: 23,
  };
  if (multiboot) {
    writeMultibootInfo(mem, ram);
    boot.eax = MULTIBOOT_BOOTLOADER_MAGIC;
    boot.ebx = MBI_GPA;
  } else {
    boot.esp = Math.min(ram, 0x100000000) - 16; // top of RAM: the loader's stack for a plain ELF
  }
  return { kind: multiboot ? 'multiboot' : 'elf', boot, symbols };
}

/** Multiboot information structure (spec 3.3): memory bounds, memory map, boot loader name. */
function writeMultibootInfo(mem: GuestMemory, ram: number): void {
  const mbi = new DataView(new ArrayBuffer(88));
  const flags = (1 << 0) | (1 << 6) | (1 << 9);
  mbi.setUint32(0, flags, true);
  mbi.setUint32(4, 639, true);
  mbi.setUint32(8, (ram - 0x100000) / 1024, true);
  const map: [number, number, number][] = [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, ram - 0x100000, 1]];
  const mm = new DataView(new ArrayBuffer(map.length * 24));
  map.forEach(([base, len, type], k) => {
    mm.setUint32(k * 24, 20, true);
    mm.setUint32(k * 24 + 4, base, true); mm.setUint32(k * 24 + 12, len, true); mm.setUint32(k * 24 + 20, type, true);
  });
  mbi.setUint32(44, mm.byteLength, true);
  mbi.setUint32(48, MMAP_GPA, true);
  mbi.setUint32(64, NAME_GPA, true);
  mem.writeBytes(MBI_GPA, new Uint8Array(mbi.buffer));
  mem.writeBytes(MMAP_GPA, new Uint8Array(mm.buffer));
  mem.writeBytes(NAME_GPA, Uint8Array.from('vmm-debug\0', (c) => c.charCodeAt(0)));
}
