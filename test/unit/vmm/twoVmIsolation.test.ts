// Isolation between VMs (ARCHITECTURE.md invariant 6, issue 4): two VMs in one process, one on EPT and
// one on shadow page tables (and two on the same mode), each running real guest code that walks random
// guest page tables (frames in and out of RAM, random present/writable bits) and performs random reads
// and writes, interleaved slice by slice. Each VM's RAM starts filled with its own tag (top byte) and
// writes only its own tag: a read never returns the other VM's tag, and at the end no VM's RAM holds a
// value of the other's. The single-VM version for shadow paging is shadowIsolation.test.ts.
import { strict as assert } from 'node:assert';
import { Vmm } from '../../../src/core/vmm/vmm';
import type { VCpu } from '../../../src/core/vmm/vcpu';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

const RAM_MIB = 4, N_OPS = 400, OPS = 0x40000, CODE = 0x1000, PF_HANDLER = 0x2000, IDT = 0x3000, GDT = 0x500, PD = 0x10000, PTS = 0x11000;
const BOOT = { eip: CODE, esp: 0x8000, eax: 0, ebx: 0, eflags: 2, cr0: 0x11, mode: 'protected' as const, gdtBase: GDT, gdtLimit: 0x17 };

/** The guest: for each op {lin, value, kind} write value to [lin] or read [lin] into the op; #PF marks the op. */
function guestCode(): number[] {
  const loop = [0x8b, 0x06, 0x8b, 0x56, 0x04, 0xf6, 0x46, 0x08, 0x01, 0x74, 0x04, 0x89, 0x10, 0xeb, 0x05, 0x8b, 0x10, 0x89, 0x56, 0x04, 0x83, 0xc6, 0x0c, 0x49];
  const code = [0xbe, ...le(OPS), 0xb9, ...le(N_OPS), ...loop, 0x75, (-(loop.length + 2)) & 0xff, 0x30, 0xc0, 0xe6, 0xf4, 0xf4];
  return code;
}
const le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
// #PF: skip the 2-byte access, mark the op (kind byte = 0xfa), drop the error code, IRET.
const PF_CODE = [0x83, 0x44, 0x24, 0x04, 0x02, 0xc7, 0x46, 0x08, 0xfa, 0, 0, 0, 0x83, 0xc4, 0x04, 0xcf];

interface Guest { vmm: Vmm; vcpu: VCpu; tag: number; ops: { lin: number; value: number; write: boolean }[] }

function makeGuest(mmu: 'ept' | 'shadow', tag: number, seed: number): Guest {
  const vmm = new Vmm({ memMiB: RAM_MIB, smp: 1, mmu });
  const vcpu = vmm.vcpus[0];
  vmm.setupVcpu(vcpu, BOOT);
  const mem = vmm.memory, host = vmm.host;
  const w32 = (gpa: number, v: number): void => host.write32(mem.gpaToHpa(gpa) as never, v >>> 0);
  const r = rng(seed);
  // RAM above 1 MiB: this VM's tag in every dword.
  const ramBase = mem.gpaToHpa(0) as number; // one RAM memslot: contiguous in host memory
  for (let g = 0x100000; g < RAM_MIB << 20; g += 4) host.i32[(ramBase + g) >> 2] = (tag << 24) | ((g >>> 2) & 0xffffff);
  host.u8.set(guestCode(), mem.gpaToHpa(CODE) as number);
  host.u8.set(PF_CODE, mem.gpaToHpa(PF_HANDLER) as number);
  w32(GDT + 8, 0x0000ffff); w32(GDT + 12, 0x00cf9b00); w32(GDT + 16, 0x0000ffff); w32(GDT + 20, 0x00cf9300);
  w32(IDT + 14 * 8, (0x08 << 16) | PF_HANDLER); w32(IDT + 14 * 8 + 4, 0x8e00);
  // Page tables: the first 1 MiB identity-mapped (code, tables, stack); linear 4-64 MiB through random
  // page tables onto random frames between 1 and 8 MiB (half of them outside this VM's RAM).
  w32(PD, (PTS) | 3);
  for (let i = 0; i < 256; i++) w32(PTS + 4 * i, (i << 12) | 3);
  for (let d = 1; d < 16; d++) {
    const pt = PTS + d * 0x1000;
    w32(PD + 4 * d, r() % 8 ? pt | 7 : 0);
    for (let i = 0; i < 1024; i++) {
      const frame = (0x100000 + (r() % (7 << 20))) & ~0xfff;
      w32(pt + 4 * i, frame | (r() % 6 ? 1 : 0) | (r() % 3 ? 2 : 0) | 4);
    }
  }
  const ops: Guest['ops'] = [];
  for (let k = 0; k < N_OPS; k++) {
    const lin = ((1 + (r() % 15)) << 22 | (r() & 0x3ffffc)) >>> 0;
    const write = r() % 2 === 0;
    const value = ((tag << 24) | (r() & 0xffffff)) >>> 0;
    ops.push({ lin, value, write });
    w32(OPS + 12 * k, lin); w32(OPS + 12 * k + 4, value); w32(OPS + 12 * k + 8, write ? 1 : 0);
  }
  // Paging on: under EPT the guest's CR0/CR3 are the processor's; under shadow paging the guest's view
  // lives in the read shadow and the shadow MMU's CR3.
  const v = vcpu.vmcs;
  v.write(VMCS.GUEST_IDTR_BASE, IDT); v.write(VMCS.GUEST_IDTR_LIMIT, 0x7ff);
  if (mmu === 'ept') {
    v.write(VMCS.GUEST_CR0, (v.read(VMCS.GUEST_CR0) | 0x80000001) >>> 0);
    v.write(VMCS.GUEST_CR3, PD);
  } else {
    v.write(VMCS.CR0_READ_SHADOW, (v.read(VMCS.CR0_READ_SHADOW) | 0x80000001) >>> 0);
    assert.ok(vmm.shadow!.setCr3(vcpu, PD));
    vmm.shadow!.resetContext(vcpu);
  }
  return { vmm, vcpu, tag, ops };
}

function runInterleaved(a: Guest, b: Guest): void {
  const done = new Set<Guest>();
  for (let slice = 0; slice < 2000 && done.size < 2; slice++) {
    for (const g of [a, b]) {
      if (done.has(g)) continue;
      const s = g.vmm.run(g.vcpu, 2_000);
      if (s) { assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 1 }, `tag ${g.tag.toString(16)}: ${JSON.stringify(s)}`); done.add(g); }
    }
  }
  assert.equal(done.size, 2, 'both guests finished');
}

function verify(g: Guest, other: Guest): { reads: number; writes: number; faults: number } {
  const { vmm, tag } = g;
  const mem = vmm.memory, host = vmm.host;
  let reads = 0, writes = 0, faults = 0;
  for (let k = 0; k < g.ops.length; k++) {
    const kind = host.read32(mem.gpaToHpa(OPS + 12 * k + 8) as never) & 0xff;
    const got = host.read32(mem.gpaToHpa(OPS + 12 * k + 4) as never) >>> 0;
    if (kind === 0xfa) { faults++; continue; }
    if (kind === 1) { writes++; continue; }
    reads++;
    assert.notEqual(got >>> 24, other.tag, `VM ${tag.toString(16)} read the other VM's value 0x${got.toString(16)} at 0x${g.ops[k].lin.toString(16)}`);
    assert.ok(got >>> 24 === tag || got === 0xffffffff, `VM ${tag.toString(16)} read 0x${got.toString(16)}: neither its own memory nor the empty bus`);
  }
  const ramBase = mem.gpaToHpa(0) as number;
  for (let gpa = 0x100000; gpa < RAM_MIB << 20; gpa += 4) {
    const v = host.i32[(ramBase + gpa) >> 2] >>> 0;
    if (v >>> 24 !== tag) assert.fail(`VM ${tag.toString(16)} RAM at 0x${gpa.toString(16)} holds 0x${v.toString(16)}`);
  }
  return { reads, writes, faults };
}

describe('isolation between two VMs (property test)', function () {
  this.timeout(120_000);
  for (const [ma, mb] of [['ept', 'shadow'], ['ept', 'ept'], ['shadow', 'shadow']] as const) {
    it(`${ma} + ${mb}: random guest page tables and accesses, interleaved; neither VM sees the other's memory`, () => {
      let reads = 0, writes = 0, faults = 0;
      for (const seed of [3, 5, 7]) {
        const a = makeGuest(ma, 0xa1, seed * 1009), b = makeGuest(mb, 0xb2, seed * 2003 + 1);
        assert.notEqual(a.vmm.host.u8.buffer, b.vmm.host.u8.buffer, 'separate host memory');
        runInterleaved(a, b);
        for (const [g, o] of [[a, b], [b, a]] as const) {
          const st = verify(g, o);
          reads += st.reads; writes += st.writes; faults += st.faults;
        }
      }
      // Not vacuous: many reads and writes went through, many faulted in the guest.
      assert.ok(reads > 500 && writes > 500 && faults > 200, `reads ${reads} writes ${writes} faults ${faults}`);
    });
  }
});
