// The A20 gate as the hypervisor implements it: while the gate is off the processor's A20M# forces
// bit 20 of every physical address to 0 (SDM Vol. 3A 8.7.13.4 / 22.30 "A20M#"), so each odd megabyte
// aliases the even one below it. The CPU's hot path knows nothing about it: the VMM re-maps memory,
// as QEMU and KVM do with memory-region aliasing. GuestMemory.a20Mask folds bit 20 out of every
// memslot lookup, and a gate change zaps what was built from the old mapping: the EPT leaf entries of
// pages with bit 20 set (they fault back in through the new mask), every shadow page (shadow leaf
// entries hold host frames of guest frames), and every vCPU's TLB (linear -> host-physical).
// The gate itself lives in the devices (8042 output port, port 0x92), which snapshots restore; the
// restored EPT and shadow tables already match it, so a restore only sets the mask.
import type { Vmm } from './vmm';
import type { Hpa } from '../types';

const A20_BIT = 1 << 20;

export function a20Mask(enabled: boolean): number { return enabled ? 0xffffffff : ~A20_BIT >>> 0; }

/** After a snapshot restore: the mask only (the mappings in host memory were restored with it). */
export function restoreA20(vmm: Vmm, enabled: boolean): void { vmm.memory.a20Mask = a20Mask(enabled); }

/** The guest changed the A20 gate (an I/O exit or a BIOS call): re-alias guest-physical memory. */
export function setA20(vmm: Vmm, enabled: boolean): void {
  const mask = a20Mask(enabled);
  if (vmm.memory.a20Mask === mask) return;
  vmm.memory.a20Mask = mask;
  zapEptOddMegabytes(vmm);
  if (vmm.shadow) {
    vmm.shadow.zapAll();
    for (const v of vmm.vcpus) v.shadowReload = true;
  }
  // INVEPT / INVVPID: no vCPU may keep a translation made through the old mapping.
  for (const v of vmm.vcpus) {
    v.cpu.mmu.flushAll();
    if (v.inGuest) v.vmx.kick();
  }
}

/** Clear every present EPT leaf whose guest-physical page has bit 20 set (4-level tables, 4 KiB leaves; ept.ts). */
function zapEptOddMegabytes(vmm: Vmm): void {
  const mem = vmm.host, ept = vmm.ept;
  // PML4 entry 0 covers the whole 32-bit guest-physical space; PDPT entry i = GiB i; PD entry j = 2 MiB
  // region j; bit 20 is the low bit of nothing above the PT level, so walk PTs of 2 MiB regions whose
  // upper half (bit 20 = 1) is mapped: PT entries 256..511.
  const pml4e = mem.read32(ept.root);
  if ((pml4e & 7) === 0) return;
  const pdpt = pml4e & ~0xfff;
  for (let i = 0; i < 4; i++) {
    const pdpte = mem.read32((pdpt + i * 8) as Hpa);
    if ((pdpte & 7) === 0) continue;
    const pd = pdpte & ~0xfff;
    for (let j = 0; j < 512; j++) {
      const pde = mem.read32((pd + j * 8) as Hpa);
      if ((pde & 7) === 0) continue;
      const pt = pde & ~0xfff;
      for (let k = 256; k < 512; k++) {
        const at = (pt + k * 8) as Hpa;
        if ((mem.read32(at) & 7) === 0) continue;
        mem.write32(at, 0);
        mem.write32((at + 4) as Hpa, 0);
        ept.mapped--;
      }
    }
  }
}
