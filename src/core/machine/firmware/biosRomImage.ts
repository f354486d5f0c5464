// A user-supplied firmware ROM (`--bios FILE`, launch `bios`), mapped as on a PC: the whole image
// just below 4 GiB, its last 128 KiB (or all 64 KiB) also below 1 MiB ending at 0xFFFFF, and the CPU
// at the reset vector: CS selector F000 with base FFFF0000, IP FFF0, real mode (SDM Vol. 3A §9.1.4
// "First Instruction Executed", Table 9-1 for the register state after RESET).
import type { GuestMemory } from '../../vmm/memslots';
import type { BootState } from '../../vmm/vmcsSetup';

/** Processor state after RESET (SDM Table 9-1): EDX = family/model/stepping (CPUID.1:EAX). */
export const RESET_STATE: BootState = {
  eip: 0xfff0, esp: 0, eax: 0, ebx: 0, edx: 0x000006f1, eflags: 2, cr0: 0x60000010, mode: 'real',
  gdtBase: 0, gdtLimit: 0xffff, csSel: 0xf000, csBase: 0xffff0000,
};

export function mapBiosRom(mem: GuestMemory, rom: Uint8Array): void {
  const top = mem.addSlot(0x100000000 - rom.length, rom.length);
  mem.host.u8.set(rom, top.hpaStart);
  mem.host.noteWrite(top.hpaStart, rom.length);
  const low = Math.min(rom.length, 0x20000);
  // The alias comes first so that it wins over the RAM slot below 1 MiB (GuestMemory.gpaToHpa takes the first match).
  mem.slots.unshift({ gpaStart: 0x100000 - low, size: low, hpaStart: top.hpaStart + rom.length - low });
}
