// IA-32 system architecture on the bare CPU (no VMX): PAE paging and its PDPTE registers, #PF error
// codes (RSVD, I/D), the TLB across CR3/CR4 writes, the double-fault classes, debug registers and
// CPUID consistency. Behaviour the guest self-test (test/guests/cpu-selftest) cannot assert because
// QEMU differs from the SDM there (PDPTE caching, P with RSVD, global entries across CR3 loads) is
// asserted here against the SDM.
import { strict as assert } from 'node:assert';
import { Cpu, CS, DS, ES, FS, GS, SS } from '../../../src/core/hw/cpu/cpu';
import { HostPhysMem } from '../../../src/core/hw/physMem';
import { writeCr } from '../../../src/core/hw/cpu/exec/system';
import { ACC_FETCH, ACC_READ, ACC_WRITE, GUEST_FAULT } from '../../../src/core/hw/cpu/cpuSignals';
import { cpuidHardware } from '../../../src/core/hw/cpu/cpuidHardware';
import { cpuidPolicy } from '../../../src/core/vmm/cpuidPolicy';
import { wrmsrHw, rdmsrHw } from '../../../src/core/hw/cpu/msrs';

const PDPT = 0x10000, PD = 0x11000, PT = 0x12000, PD32 = 0x20000, PT32 = 0x21000;
const PAGE_A = 0x30000, PAGE_B = 0x31000;

function bareCpu(): { cpu: Cpu; mem: HostPhysMem } {
  const mem = new HostPhysMem(0x100000);
  const cpu = new Cpu(0, mem);
  cpu.cr0 |= 1;
  for (const s of [ES, SS, DS, FS, GS]) cpu.setSegCache(s, 0x10, 0, -1, 0xc093);
  cpu.setSegCache(CS, 0x08, 0, -1, 0xc09b);
  return { cpu, mem };
}
const w64 = (mem: HostPhysMem, at: number, lo: number, hi = 0): void => { mem.write32(at as never, lo); mem.write32((at + 4) as never, hi); };

/** PAE tables: identity for 0-2 MiB through a 4-KiB page table, linear 0x40000000 via PDPTE 1. */
function paeSetup(cpu: Cpu, mem: HostPhysMem): void {
  w64(mem, PDPT, PD | 1);
  w64(mem, PD, PT | 7);
  for (let k = 0; k < 512; k++) w64(mem, PT + 8 * k, (k << 12) | 7);
  writeCr(cpu, 4, 0x20);
  writeCr(cpu, 3, PDPT);
  writeCr(cpu, 0, cpu.cr0 | 0x80010000);
}

/** Translate and return the guest-fault error code, or -1 when the access succeeded. */
function access(cpu: Cpu, lin: number, kind: number): number {
  try { cpu.mmu.translate(lin, kind); return -1; } catch (e) {
    if (e !== GUEST_FAULT) throw e;
    return cpu.excVector === 14 ? cpu.excError : 1000 + cpu.excVector;
  }
}

describe('CPU: PAE paging (SDM 4.4)', () => {
  it('translates through the PDPTE registers, 2-MiB pages and 4-KiB pages', () => {
    const { cpu, mem } = bareCpu();
    paeSetup(cpu, mem);
    mem.write32(0x5000 as never, 0x12345678);
    assert.equal(cpu.readLin32(0x5000), 0x12345678);
    w64(mem, PDPT + 8, 0x13000 | 1);
    writeCr(cpu, 3, PDPT);
    w64(mem, 0x13000, 0x0 | 0x83); // 0x40000000: a 2-MiB page at physical 0
    assert.equal(cpu.readLin32(0x40005000), 0x12345678);
    assert.equal(mem.read32(0x13000 as never) & 0x20, 0x20, 'accessed bit set in the 2-MiB PDE');
  });

  it('keeps using the PDPTEs loaded at MOV CR3 until CR3 is loaded again (SDM 4.4.1)', () => {
    const { cpu, mem } = bareCpu();
    paeSetup(cpu, mem);
    mem.write32(0x5000 as never, 0xaaaa);
    w64(mem, PDPT, 0); // not present in memory, but the register still holds the old PDPTE
    cpu.mmu.flushAll();
    assert.equal(cpu.readLin32(0x5000), 0xaaaa);
    w64(mem, PDPT, PD | 1);
    w64(mem, PDPT, 0);
    assert.throws(() => { cpu.mmu.flushAll(); writeCr(cpu, 3, PDPT); cpu.readLin32(0x5000); }, (e) => e === GUEST_FAULT && cpu.excVector === 14 && cpu.excError === 0);
  });

  it('MOV to CR3 with a reserved bit in a present PDPTE is #GP(0) and leaves CR3 unchanged', () => {
    const { cpu, mem } = bareCpu();
    paeSetup(cpu, mem);
    w64(mem, 0x14000, PD | 1 | 0x2); // bit 1 is reserved in a PAE PDPTE
    assert.throws(() => writeCr(cpu, 3, 0x14000), (e) => e === GUEST_FAULT && cpu.excVector === 13 && cpu.excError === 0);
    assert.equal(cpu.cr3, PDPT);
  });

  it('#PF error codes: RSVD with P (0x9), user write to supervisor (0x7), NX fetch with I/D (0x11)', () => {
    const { cpu, mem } = bareCpu();
    paeSetup(cpu, mem);
    w64(mem, PT + 8 * 0x30, PAGE_A | 3, 1 << 30); // bit 62 reserved
    assert.equal(access(cpu, 0x30010, ACC_READ), 0x9);
    w64(mem, PT + 8 * 0x31, PAGE_B | 3); // supervisor
    cpu.cpl = 3;
    assert.equal(access(cpu, 0x31000, ACC_WRITE), 0x7);
    cpu.cpl = 0;
    // XD without IA32_EFER.NXE is a reserved bit.
    w64(mem, PT + 8 * 0x32, PAGE_B | 3, 0x80000000 | 0);
    assert.equal(access(cpu, 0x32000, ACC_READ), 0x9);
    assert.ok(wrmsrHw(cpu, 0xc0000080, 0x800, 0));
    assert.deepEqual(rdmsrHw(cpu, 0xc0000080), [0x800, 0]);
    assert.equal(access(cpu, 0x32000, ACC_READ), -1, 'XD pages are readable');
    assert.equal(access(cpu, 0x32000, ACC_FETCH), 0x11);
    assert.equal(access(cpu, 0x33000, ACC_FETCH), -1);
    assert.equal(wrmsrHw(cpu, 0xc0000080, 0x100, 0), false, 'LME is reserved: no IA-32e mode');
  });
});

describe('CPU: 32-bit paging and the TLB (SDM 4.10.4)', () => {
  function setup32(): { cpu: Cpu; mem: HostPhysMem } {
    const { cpu, mem } = bareCpu();
    mem.write32(PD32 as never, PT32 | 7);
    for (let k = 0; k < 1024; k++) mem.write32((PT32 + 4 * k) as never, (k << 12) | 7);
    writeCr(cpu, 3, PD32);
    writeCr(cpu, 0, cpu.cr0 | 0x80010000);
    mem.write32(PAGE_A as never, 0x1111); mem.write32(PAGE_B as never, 0x2222);
    return { cpu, mem };
  }
  const V = 0x80000;

  it('stale until INVLPG; a CR3 load flushes non-global entries but keeps global ones; a PGE toggle flushes all', () => {
    const { cpu, mem } = setup32();
    writeCr(cpu, 4, 0x80);
    mem.write32((PT32 + 4 * (V >>> 12)) as never, PAGE_A | 7);
    assert.equal(cpu.readLin32(V), 0x1111);
    mem.write32((PT32 + 4 * (V >>> 12)) as never, PAGE_B | 7);
    assert.equal(cpu.readLin32(V), 0x1111, 'stale without INVLPG');
    cpu.mmu.flushPage(V);
    assert.equal(cpu.readLin32(V), 0x2222);
    mem.write32((PT32 + 4 * (V >>> 12)) as never, PAGE_A | 7 | 0x100);
    writeCr(cpu, 3, PD32);
    assert.equal(cpu.readLin32(V), 0x1111, 'non-global entry flushed by the CR3 load');
    mem.write32((PT32 + 4 * (V >>> 12)) as never, PAGE_B | 7 | 0x100);
    writeCr(cpu, 3, PD32);
    assert.equal(cpu.readLin32(V), 0x1111, 'global entry kept across the CR3 load');
    writeCr(cpu, 4, 0);
    writeCr(cpu, 4, 0x80);
    assert.equal(cpu.readLin32(V), 0x2222, 'PGE toggle flushes global entries');
  });

  it('4-MiB PDE with a reserved bit (21:13, no PSE-36) is #PF with RSVD', () => {
    const { cpu, mem } = setup32();
    writeCr(cpu, 4, 0x10);
    mem.write32((PD32 + 4) as never, 0x400000 | 0x83 | 0x2000);
    assert.equal(access(cpu, 0x400000, ACC_READ), 0x9);
  });
});

describe('CPU: exception classes and debug registers', () => {
  it('#PF while delivering #PF becomes #DF; #DF while delivering #DF shuts down', () => {
    const { cpu, mem } = bareCpu();
    mem.write32(PD32 as never, PT32 | 3);
    for (let k = 0; k < 1024; k++) mem.write32((PT32 + 4 * k) as never, (k << 12) | 3);
    mem.write32((PT32 + 4 * 0x50) as never, 0); // the IDT page is not present
    writeCr(cpu, 3, PD32);
    writeCr(cpu, 0, cpu.cr0 | 0x80000000);
    cpu.idtrBase = 0x50000; cpu.idtrLimit = 0x7ff;
    const seen: number[] = [];
    const orig = cpu.deliverException.bind(cpu);
    cpu.deliverException = (v, e, l, s): void => { seen.push(v); orig(v, e, l, s); };
    cpu.deliverException(14, 0, 0, false);
    assert.deepEqual(seen, [14, 8]);
    assert.equal(cpu.activity, 2, 'shutdown (triple fault)');
  });

  it('DR7.GD makes MOV DR a #DB fault with DR6.BD; CPUID advertises PAE, SEP, NX consistently', () => {
    const { cpu, mem } = bareCpu();
    cpu.dr[7] = 0x2400;
    mem.u8.set([0x0f, 0x21, 0xc0], 0x1000); // mov eax, dr0
    cpu.eip = 0x1000;
    const got: number[] = [];
    cpu.deliverException = (v): void => { got.push(v); };
    cpu.step();
    assert.deepEqual(got, [1]);
    assert.equal(cpu.dr[6] & 0x2000, 0x2000);
    assert.equal(cpu.dr[7] & 0x2000, 0);
    for (const f of [(l: number) => cpuidHardware(l, 0), (l: number) => cpuidPolicy(l, 0, 0)]) {
      const edx1 = f(1)[3];
      assert.equal((edx1 >> 6) & 1, 1, 'PAE');
      assert.equal((edx1 >> 11) & 1, 1, 'SEP');
      assert.ok(f(0x80000000)[0] >>> 0 >= 0x80000001);
      assert.equal((f(0x80000001)[3] >> 20) & 1, 1, 'NX');
      assert.equal(f(0x80000008)[0] & 0xff, 32, 'MAXPHYADDR');
    }
  });
});
