// Boot paths: which kind of image the user gave and the machine state it starts in.
//   Multiboot kernel / ELF32      -> loadImage.ts (flat 32-bit protected mode)
//   raw disk image (0x55AA at 510) -> attached as IDE primary master; sector 0 at 0000:7C00, real mode, DL = 0x80
//   `loadAddress` (flat binary)    -> loaded at the address, entered there in flat 32-bit protected mode
//   `bios` ROM image               -> mapped below 4 GiB (its last 128 KiB also at 0xE0000), reset vector
// Every path except `bios` gets the paravirtual BIOS (IVT, BDA, service stubs) and the MP / ACPI tables.
import type { Vmm } from '../vmm/vmm';
import type { PcPlatform } from '../devices/pcPlatform';
import type { BootState } from '../vmm/vmcsSetup';
import { IdeDisk, SECTOR } from '../devices/ideDisk';
import { ImageFormatError, isElf } from './elf';
import { findMultibootHeader, loadImage, writeFlatGdt, type BootModule, type LoadedImage } from './loadImage';
import { BiosServices } from './firmware/biosServices';
import { installFirmware, postDevices } from './firmware/biosPost';
import { installTables } from './firmware/firmwareTables';
import { BOOT_SECTOR_GPA } from './firmware/biosLayout';
import { mapBiosRom, RESET_STATE } from './firmware/biosRomImage';

/** A disk the user attaches (`--disk FILE`, launch `disks`). */
export interface DiskAttachment {
  name: string;
  image: Uint8Array;
  /** Host write-back of guest writes (`--disk-writeback`); absent: writes stay in the overlay. */
  onWriteBack?: (lba: number, data: Uint8Array) => void;
}

/** How to boot, besides the image itself (CLI flags / launch attributes). */
export interface BootOptions {
  /** More disks: primary slave, secondary master, secondary slave (after a disk image that is IMAGE). */
  disks?: DiskAttachment[];
  /** Write-back for the IMAGE when it is a disk image. */
  imageWriteBack?: (lba: number, data: Uint8Array) => void;
  /** Load IMAGE as a flat binary at this guest-physical address and enter it there (32-bit protected mode). */
  loadAddress?: number;
  /** Firmware ROM image (64-256 KiB): replaces the built-in BIOS; IMAGE (optional) must then be a disk image. */
  bios?: { name: string; image: Uint8Array };
  /** Multiboot command line and modules. */
  cmdline?: string;
  modules?: BootModule[];
}

export type BootKind = 'multiboot-or-elf' | 'disk' | 'flat' | 'bios';
/** The image classified and the disks to attach, before any machine exists (errors are the user's). */
export interface BootPlan { kind: BootKind; disks: IdeDisk[]; }

export const MAX_DISKS = 4;

/** Why `b` cannot be a disk image, or '' when it can (bootable: with the 0x55AA signature). */
export function diskImageProblem(b: Uint8Array, bootable: boolean): string {
  if (b.length === 0) return 'the file is empty';
  if (b.length % SECTOR) return `its size (${b.length} bytes) is not a multiple of ${SECTOR}`;
  if (bootable && (b[510] !== 0x55 || b[511] !== 0xaa)) return 'sector 0 has no boot signature 0x55AA at offset 510';
  return '';
}

export function planBoot(image: Uint8Array, name: string, o: BootOptions): BootPlan {
  const disks: IdeDisk[] = [];
  let kind: BootKind;
  if (o.bios) {
    const n = o.bios.image.length;
    if (n < 0x10000 || n > 0x40000 || n % 0x1000) throw new ImageFormatError(`${o.bios.name}: a BIOS ROM must be 64 KiB to 256 KiB in whole 4 KiB pages, this one is ${n} bytes`);
    kind = 'bios';
    if (image.length || name) {
      const p = diskImageProblem(image, false);
      if (p) throw new ImageFormatError(`${name}: with --bios, IMAGE is attached as a disk, but ${p}`);
      disks.push(new IdeDisk(name, image, o.imageWriteBack ?? null));
    }
  } else if (o.loadAddress !== undefined) {
    if (!image.length) throw new ImageFormatError(`${name}: the file is empty`);
    kind = 'flat';
  } else if (isElf(image) || findMultibootHeader(image) >= 0) {
    kind = 'multiboot-or-elf';
  } else {
    const p = diskImageProblem(image, true);
    if (p) throw new ImageFormatError(`${name}: not a Multiboot kernel or ELF32 executable, and not a bootable disk image: ${p}`);
    kind = 'disk';
    disks.push(new IdeDisk(name, image, o.imageWriteBack ?? null));
  }
  for (const d of o.disks ?? []) {
    const p = diskImageProblem(d.image, false);
    if (p) throw new ImageFormatError(`disk ${d.name}: ${p}`);
    disks.push(new IdeDisk(d.name, d.image, d.onWriteBack ?? null));
  }
  if (disks.length > MAX_DISKS) throw new ImageFormatError(`${disks.length} disks: the two IDE channels take at most ${MAX_DISKS} (primary master/slave, secondary master/slave)`);
  if (kind !== 'multiboot-or-elf' && (o.cmdline !== undefined || o.modules?.length)) {
    throw new ImageFormatError(`${name}: a command line or modules are for Multiboot kernels`);
  }
  return { kind, disks };
}

export interface Booted extends LoadedImage { bios: BiosServices | null; }

/** Put the image, the firmware and the tables into the machine; return the boot state. */
export function bootMachine(image: Uint8Array, name: string, plan: BootPlan, o: BootOptions, vmm: Vmm, platform: PcPlatform, cpus: number, comPorts: number[]): Booted {
  const mem = vmm.memory, ram = mem.ramSize;
  if (plan.kind === 'bios') {
    mapBiosRom(mem, o.bios!.image);
    return { kind: 'bios', boot: { ...RESET_STATE }, symbols: [], bios: null };
  }
  installFirmware(mem, { comPorts, hardDisks: plan.disks.length });
  installTables(mem, cpus);
  const bios = new BiosServices(vmm, platform, plan.disks, ram);
  if (plan.kind === 'multiboot-or-elf') {
    const l = loadImage(image, name, mem, { cmdline: o.cmdline, modules: o.modules, bootDrive: plan.disks.length ? 0x80 : undefined });
    return { ...l, bios };
  }
  if (plan.kind === 'flat') {
    const at = o.loadAddress!;
    if (at < 0 || at + image.length > ram) throw new ImageFormatError(`${name}: ${image.length} bytes at 0x${at.toString(16)} do not fit in guest RAM (${ram >> 20} MiB): use --mem or another --load-addr`);
    mem.writeBytes(at, image);
    const gdt = writeFlatGdt(mem);
    const boot: BootState = { eip: at, esp: Math.min(ram, 0x100000000) - 16, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected', ...gdt };
    return { kind: 'flat', boot, symbols: [], bios };
  }
  // A disk image: POST, then the bootstrap loader's job (INT 19h): sector 0 at 0000:7C00, DL = boot drive.
  postDevices(mem, platform);
  mem.writeBytes(BOOT_SECTOR_GPA, image.subarray(0, SECTOR));
  const boot: BootState = { eip: BOOT_SECTOR_GPA, esp: BOOT_SECTOR_GPA, eax: 0, ebx: 0, edx: 0x80, eflags: 0x202, cr0: 0x10, mode: 'real', gdtBase: 0, gdtLimit: 0xffff };
  return { kind: 'disk', boot, symbols: [], bios };
}
