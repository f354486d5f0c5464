// Isolation of shadow paging (ARCHITECTURE.md invariant 6, issue 4 Proof): with random guest page
// tables (32-bit with and without 4-MiB pages, PAE with 2-MiB pages and XD; frames inside and outside
// RAM, random permission and reserved bits) and random accesses, table rewrites, INVLPGs and CR3
// loads, under both sync policies, the shadow tables only ever map host pages of the VM's RAM memslot
// (or, read-only, the empty-bus page): never a shadow table, bitmap or other host page. Checked two
// ways: every leaf spte, and the hardware MMU walking the shadow root for random addresses.
import { strict as assert } from 'node:assert';
import { Vmm } from '../../../src/core/vmm/vmm';
import type { VCpu } from '../../../src/core/vmm/vcpu';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { GUEST_FAULT, ACC_READ, ACC_WRITE, ACC_FETCH } from '../../../src/core/hw/cpu/cpuSignals';
import type { ShadowStats, ShadowSync } from '../../../src/core/vmm/shadow/shadowMmu';

/** A small deterministic PRNG (xorshift32): same seed, same test. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

const RAM_MIB = 4;
const BOOT = { eip: 0x1000, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: 0, gdtLimit: 0 };

function setGuestMode(vmm: Vmm, vcpu: VCpu, cr3: number, pae: boolean, pse: boolean, nxe: boolean): void {
  const v = vcpu.vmcs;
  v.write(VMCS.CR0_READ_SHADOW, (v.read(VMCS.CR0_READ_SHADOW) | 0x80010001) >>> 0);
  v.write(VMCS.CR4_READ_SHADOW, (pae ? 0x20 : 0) | (pse ? 0x10 : 0) | 0x80);
  v.write(VMCS.GUEST_CR4, 0x2000 | (pae ? 0x20 : 0) | 0x80);
  v.write(VMCS.GUEST_IA32_EFER, nxe ? 0x800 : 0);
  assert.ok(vmm.shadow!.setCr3(vcpu, cr3));
  vmm.shadow!.resetContext(vcpu);
}

function property(policy: ShadowSync, pae: boolean, seed: number, shadowPages?: number): ShadowStats {
  const vmm = new Vmm({ memMiB: RAM_MIB, smp: 1, mmu: 'shadow', shadowSync: policy, shadowPages });
  const vcpu = vmm.vcpus[0];
  vmm.setupVcpu(vcpu, BOOT);
  const shadow = vmm.shadow!;
  const host = vmm.host, mem = vmm.memory;
  const slot = mem.slots[0];
  const inRam = (hpa: number): boolean => hpa >= slot.hpaStart && hpa < slot.hpaStart + slot.size;
  const r = rng(seed);
  const ram = RAM_MIB << 20;
  // Guest code: the instruction the write emulator runs is whatever GUEST_RIP points at; make it a store.
  vcpu.vmcs.write(VMCS.GUEST_RIP, 0x1000);
  const w32 = (gpa: number, v: number): void => { const h = mem.gpaToHpa(gpa); if (h !== -1) host.write32(h, v >>> 0); };
  const randomFrame = (): number => (r() % 2 ? r() % ram : r() % (ram * 2)) & ~0xfff; // half may be unbacked
  const randomFlags = (): number => (r() % 8 ? 1 : 0) | (r() % 4 ? 6 : r() & 0x166) | (r() & 0x160) | (r() % 16 === 0 ? 0x80 : 0);
  // Guest tables live in the first 1 MiB: PD (or PDPT + PDs) and a pool of page tables.
  const tables = Array.from({ length: 24 }, (_, k) => 0x40000 + k * 0x1000);
  let cr3: number;
  const fill = (): void => {
    for (const t of tables) for (let i = 0; i < 1024; i++) w32(t + 4 * i, 0);
    if (!pae) {
      cr3 = tables[0];
      for (let i = 0; i < 1024; i += 1 + (r() % 2)) {
        const big = r() % 5 === 0;
        w32(cr3 + 4 * i, big ? (randomFrame() & ~0x3fffff) | 0x80 | randomFlags() : tables[1 + (r() % 23)] | randomFlags());
      }
      for (const t of tables.slice(1)) for (let i = 0; i < 1024; i++) w32(t + 4 * i, randomFrame() | randomFlags());
    } else {
      cr3 = tables[0] + 0x20 * (r() % 4);
      for (let k = 0; k < 4; k++) { w32(cr3 + 8 * k, r() % 6 ? tables[1 + k] | 1 : 0); w32(cr3 + 8 * k + 4, 0); }
      for (let k = 1; k <= 4; k++) {
        for (let i = 0; i < 512; i += 1 + (r() % 2)) {
          const big = r() % 5 === 0;
          w32(tables[k] + 8 * i, big ? (randomFrame() & ~0x1fffff) | 0x80 | randomFlags() : tables[5 + (r() % 19)] | randomFlags());
          w32(tables[k] + 8 * i + 4, r() % 4 === 0 ? 0x80000000 : r() % 50 === 0 ? 1 : 0);
        }
      }
      for (const t of tables.slice(5)) for (let i = 0; i < 512; i++) { w32(t + 8 * i, randomFrame() | randomFlags()); w32(t + 8 * i + 4, r() % 4 === 0 ? 0x80000000 : 0); }
    }
  };
  fill();
  // The code page at 0x1000 holds `mov [eax], ebx`; the emulator may run it (or fault: also fine).
  host.u8.set([0x89, 0x18, 0xf4], mem.gpaToHpa(0x1000) as number);
  setGuestMode(vmm, vcpu, cr3!, pae, r() % 2 === 0, pae && r() % 2 === 0);

  const cpu = vcpu.cpu;
  const check = (what: string): void => {
    const tablePages = new Set(shadow.tablePages());
    for (const e of shadow.leafSptes()) {
      if (!(e.lo & 1)) continue;
      const frame = e.lo & ~0xfff;
      assert.ok(inRam(frame) || (frame === vmm.emptyBusPage && !(e.lo & 2)), `${what}: spte 0x${(e.lo >>> 0).toString(16)} at 0x${e.addr.toString(16)} maps host 0x${frame.toString(16)}`);
      assert.ok(!tablePages.has(frame), `${what}: a shadow table page is mapped into the guest`);
    }
    // The hardware MMU, as VM entry would set it up, walking the shadow root.
    const v = vcpu.vmcs;
    cpu.cr0 = v.read(VMCS.GUEST_CR0) | 0; cpu.cr3 = v.read(VMCS.GUEST_CR3) | 0; cpu.cr4 = v.read(VMCS.GUEST_CR4) | 0;
    cpu.efer = v.read(VMCS.GUEST_IA32_EFER) | 0; cpu.mmu.ept = null;
    if (cpu.cr4 & 0x20) cpu.mmu.loadPdptes(cpu.cr3);
    cpu.mmu.flushAll();
    for (let k = 0; k < 64; k++) {
      const lin = r() >>> 0, acc = [ACC_READ, ACC_WRITE, ACC_FETCH][r() % 3];
      cpu.cpl = r() % 2 ? 3 : 0;
      try {
        const hpa = cpu.mmu.translate(lin, acc);
        assert.ok(inRam(hpa) || (hpa >>> 12 === vmm.emptyBusPage >>> 12 && acc !== ACC_WRITE), `${what}: hardware reaches host 0x${(hpa >>> 0).toString(16)} for 0x${lin.toString(16)}`);
      } catch (e) { if (e !== GUEST_FAULT) throw e; }
    }
    cpu.cpl = 0;
  };

  let errors = 0;
  for (let step = 0; step < 400; step++) {
    const kind = r() % 20;
    if (kind === 0) {
      // The guest rewrites a table entry behind the shadow's back (an unsync'd or emulated write's result).
      const t = tables[r() % tables.length];
      w32(t + 4 * (r() % 1024), r() % 2 ? randomFrame() | randomFlags() : tables[r() % tables.length] | randomFlags());
    } else if (kind === 1) {
      shadow.invlpg(vcpu, r() >>> 0);
    } else if (kind === 2) {
      if (!shadow.setCr3(vcpu, cr3!)) errors++;
    } else {
      // An access through a region the tables map (or anywhere).
      const gva = r() % 4 ? (((r() % 1024) << 22) | (r() & 0x3fffff)) >>> 0 : r() >>> 0;
      const err = (r() % 2 ? 2 : 0) | (r() % 3 === 0 ? 4 : 0) | (pae && r() % 4 === 0 ? 16 : 0);
      cpu.cpl = 0;
      vcpu.vmcs.write(VMCS.GUEST_RIP, 0x1000);
      vcpu.regs[0] = gva | 0; vcpu.regs[3] = r() | 0;
      const out = shadow.pageFault(vcpu, gva, err);
      if (out === 'error') errors++;
      vcpu.vmcs.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0);
    }
    if (step % 20 === 19) check(`${policy} ${pae ? 'PAE' : '32-bit'} seed ${seed} step ${step}`);
  }
  check('end');
  // Host memory the guest must never reach is untouched: the empty-bus page is still all-ones.
  for (let k = 0; k < 4096; k++) assert.equal(host.u8[vmm.emptyBusPage + k], 0xff);
  assert.ok(errors < 400);
  return shadow.stats;
}

describe('shadow paging isolation (property test)', function () {
  this.timeout(120_000);
  for (const policy of ['lazy', 'eager'] as const) {
    for (const pae of [false, true]) {
      it(`${policy}, ${pae ? 'PAE' : '32-bit'} guest tables: sptes map only the VM's RAM`, () => {
        let faults = 0, reflected = 0, leaves = 0;
        for (const seed of [1, 2, 3, 4, 5, 6]) {
          const st = property(policy, pae, seed * 7919 + (pae ? 1 : 0));
          faults += st.shadowPageFaults; reflected += st.guestPageFaults; leaves += st.shadowPages;
        }
        // Not vacuous: many accesses built shadow entries, many were the guest's own faults.
        assert.ok(faults > 250 && reflected > 300 && leaves > 6, `faults ${faults}, reflected ${reflected}, pages ${leaves}`);
      });
      it(`${policy}, ${pae ? 'PAE' : '32-bit'}, a pool of 8 shadow pages: running out zaps the cache, isolation holds`, () => {
        let zaps = 0;
        for (const seed of [11, 12, 13]) zaps += property(policy, pae, seed, 8).zapAll;
        assert.ok(zaps > 3, `zaps ${zaps}`);
      });
    }
  }
});
