import { strict as assert } from 'node:assert';
import { translate, walkEpt, type TranslateSource } from '../../../src/core/debug/translate';
import { pageTablesView, shadowTablesView } from '../../../src/core/debug/pageTablesView';
import { eptView } from '../../../src/core/debug/eptView';

/** Host memory as a map of dwords; guest-physical = host-physical + 0x100000 offset via memslot. */
function machine(): { src: TranslateSource; w32: (a: number, v: number) => void; ept: (gpa: number, hpa: number, perms?: number, mt?: number) => void } {
  const m = new Map<number, number>();
  const w32 = (a: number, v: number): void => { m.set(a >>> 0, v >>> 0); };
  const SLOT = 0x100000;
  // EPT: PML4 at 0x10000, PDPT at 0x11000, PD at 0x12000, PT at 0x13000 (covers GPA 0-2 MiB).
  w32(0x10000, 0x11000 | 7); w32(0x11000, 0x12000 | 7); w32(0x12000, 0x13000 | 7);
  const ept = (gpa: number, hpa: number, perms = 7, mt = 6): void => { w32(0x13000 + ((gpa >>> 12) & 511) * 8, hpa | (mt << 3) | perms); };
  const src: TranslateSource = {
    paging: { cr0: 0x80000011, cr3: 0x1000, cr4: 0, efer: 0 },
    eptp: 0x10000 | 0x1e,
    hostRead32: (a) => m.get(a >>> 0) ?? 0,
    memslotHpa: (gpa) => (gpa < 0x200000 ? gpa + SLOT : -1),
  };
  return { src, w32: (a, v) => w32(a + SLOT, v), ept };
}

describe('debug/translate', () => {
  it('32-bit paging through EPT: every level, the final HPA and permissions', () => {
    const { src, w32, ept } = machine();
    w32(0x1000 + 1 * 4, 0x2000 | 0x27); // PDE[1] (4-8 MiB) -> PT at GPA 0x2000, P RW US A
    w32(0x2000 + 5 * 4, 0x7000 | 0x63); // PTE[5] -> GPA 0x7000, P RW A D
    ept(0x1000, 0x101000); ept(0x2000, 0x102000); ept(0x7000, 0x107000, 5);
    const t = translate(src, 0x00405abc);
    assert.equal(t.mode, '32-bit');
    assert.deepEqual(t.guest.map((g) => [g.name, g.entryGpa, g.lo]), [['PDE', 0x1004, 0x2027], ['PTE', 0x2014, 0x7063]]);
    assert.equal(t.guest[0].ept!.hpa, 0x101004);
    assert.equal(t.gpa, 0x7abc);
    assert.equal(t.hpa, 0x107abc);
    assert.equal(t.ept!.perms, 'r-x');
    assert.equal(t.ept!.memType, 'WB');
    assert.equal(t.guestPerms, 'w-x'); // the PTE has no US: supervisor only
    assert.equal(t.fault, undefined);
  });
  it('faults: guest not present, EPT not present (with what the VMM does), EPT misconfiguration', () => {
    const { src, w32, ept } = machine();
    ept(0x1000, 0x101000);
    assert.match(translate(src, 0x00400000).fault!, /#PF: PDE not present/);
    w32(0x1000, 0x3000 | 3);
    const t = translate(src, 0x00000123);
    assert.match(t.fault!, /PTE at guest-physical 0x00003000 cannot be read: EPT violation: EPT PTE not present/);
    assert.match(t.vmmAction!, /maps guest-physical page 0x00003000 to host page 0x00103000/);
    ept(0x3000, 0x103000, 2);
    assert.match(walkEpt(src, 0x3000).fault!, /EPT misconfiguration at EPT PTE: writable but not readable/);
    ept(0x3000, 0x103000, 7, 2);
    assert.match(walkEpt(src, 0x3000).fault!, /memory type 2 is reserved/);
  });
  it('PAE with a 2-MiB page and the XD bit', () => {
    const { src, w32, ept } = machine();
    src.paging = { cr0: 0x80000011, cr3: 0x1000, cr4: 0x20, efer: 0x800, pdpte: [0x2001, 0, 0, 0, 0, 0, 0, 0] };
    w32(0x2000 + 8 * 2, 0x00600000 | 0x83); w32(0x2000 + 8 * 2 + 4, 0x80000000); // PDE[2]: 2 MiB at GPA 6 MiB, XD
    ept(0x2000, 0x102000);
    const t = translate(src, 0x00412345);
    assert.equal(t.mode, 'PAE');
    assert.deepEqual(t.guest.map((g) => g.name), ['PDPTE', 'PDE']);
    assert.equal(t.gpa, 0x612345);
    assert.equal(t.pageSize, 0x200000);
    assert.equal(t.guestPerms, 'w--');
    assert.match(t.fault!, /no memslot|EPT/); // GPA 6 MiB is outside this machine's 2 MiB of EPT
  });
  it('page-table and EPT views list present entries and flag disagreements with the memslots', () => {
    const { src, w32, ept } = machine();
    w32(0x1000, 0x2000 | 3);
    w32(0x2000, 0x5000 | 3);
    ept(0x1000, 0x101000); ept(0x2000, 0x102000); ept(0x5000, 0x1a5000);
    const pts = pageTablesView(src);
    assert.match(pts[0].value, /32-bit paging/);
    const pde = pts[1];
    assert.match(pde.name, /^PDE\[0x0\] 0x00000000-0x003fffff/);
    const pte = pde.children!()[0];
    assert.match(pte.value, /DISAGREES with memslot HPA 0x00105000/);
    const e = eptView(src);
    assert.match(e[0].value, /PML4 at HPA 0x00010000/);
    const leaves = e[1].children!()[0].children!()[0].children!();
    assert.ok(leaves.some((l) => /GPA 0x00005000.*/.test(l.name) && /DISAGREES/.test(l.value)));
  });
  it('shadow paging: the processor\'s walk of the shadow tables is compared with the guest\'s tables', () => {
    const { src, w32 } = machine();
    src.eptp = null;
    const host = new Map<number, number>();
    const base = src.hostRead32;
    src.hostRead32 = (a) => host.get(a >>> 0) ?? base(a);
    // Guest: PDE[0] -> PT at GPA 0x2000; PTE[1] -> GPA 0x5000, PTE[2] -> GPA 0x6000.
    w32(0x1000, 0x2000 | 3); w32(0x2004, 0x5000 | 3); w32(0x2008, 0x6000 | 3);
    // Shadow (host): root at HPA 0x30000 -> PT at HPA 0x31000; VA 0x1000 -> HPA 0x105000 (right), VA 0x2000 -> HPA 0x1ff000 (stale).
    host.set(0x30000, 0x31000 | 3); host.set(0x31004, 0x105000 | 3); host.set(0x31008, 0x1ff000 | 1);
    src.shadow = { cr0: 0x80000011, cr3: 0x30000, cr4: 0, efer: 0 };
    const ok = translate(src, 0x1234);
    assert.equal(ok.via, 'memslots');
    assert.equal(ok.hpa, 0x105234);
    assert.equal(ok.shadow!.hpa, 0x105234);
    assert.match(ok.shadow!.verdict, /^agrees with the guest's tables \(shadow w-x\)/);
    const stale = translate(src, 0x2010);
    assert.equal(stale.shadow!.stale, true);
    assert.match(stale.shadow!.verdict, /STALE: the shadow maps HPA 0x001ff010, the guest's tables say HPA 0x00106010/);
    assert.match(translate(src, 0x3000).shadow!.verdict, /the guest does not map it either/);
    const leaves = shadowTablesView(src)[1].children!();
    assert.deepEqual(leaves.map((l) => /agrees|STALE/.exec(l.value)?.[0]), ['agrees', 'STALE']);
  });
});
