// Hardware task switching on the bare CPU (SDM Vol. 3A 7.3-7.4), and the debug/fault details of
// issue 3 that the guest self-tests (test/guests/cpu-tasks, cpu-selftest) cannot see: CR3 and LDTR
// loaded from the new TSS, the #TS error codes of Table 7-1 (with the EXT bit for an event through an
// IDT task gate), faults after the commit point delivered in the new task, the 16-bit TSS stack
// switch, RF in the EFLAGS image of a fault (SDM 17.3.1.1), and DR7 I/O breakpoints (17.2.4).
import { strict as assert } from 'node:assert';
import { Cpu, CS, DS, ES, FS, GS, SS } from '../../../src/core/hw/cpu/cpu';
import { HostPhysMem } from '../../../src/core/hw/physMem';
import { GUEST_FAULT } from '../../../src/core/hw/cpu/cpuSignals';
import { writeCr } from '../../../src/core/hw/cpu/exec/system';
import { armDebugRegisters } from '../../../src/core/hw/cpu/debugExceptions';
import { LDTR, TR } from '../../../src/core/hw/cpu/regs';

const GDT = 0x1000, IDT = 0x2000, MAIN = 0x3000, NEWT = 0x3200, CODE = 0x8000, PD = 0x20000, PT = 0x21000, PD2 = 0x22000;
const KCS = 0x08, KDS = 0x10, MAIN_SEL = 0x18, NEW_SEL = 0x20, LDT_SEL = 0x28, TSS16_SEL = 0x30, UCS = 0x3b, UDS = 0x43, GATE_SEL = 0x48;

function seg(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((limit & 0xffff) | (base << 16)) >>> 0;
  const hi = (((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000)) >>> 0;
  return [lo, hi];
}

function machine(): { cpu: Cpu; mem: HostPhysMem; setGdt: (sel: number, d: [number, number]) => void } {
  const mem = new HostPhysMem(0x100000);
  const cpu = new Cpu(0, mem);
  const setGdt = (sel: number, [lo, hi]: [number, number]): void => { mem.write32((GDT + (sel & ~7)) as never, lo); mem.write32((GDT + (sel & ~7) + 4) as never, hi); };
  setGdt(KCS, seg(0, 0xfffff, 0x9b, 0xc));
  setGdt(KDS, seg(0, 0xfffff, 0x93, 0xc));
  setGdt(MAIN_SEL, seg(MAIN, 0x67, 0x8b, 0)); // busy: the current task
  setGdt(NEW_SEL, seg(NEWT, 0x67, 0x89, 0));
  setGdt(LDT_SEL, seg(0x5000, 0x17, 0x82, 0));
  setGdt(UCS, seg(0, 0xfffff, 0xfb, 0xc));
  setGdt(UDS, seg(0, 0xfffff, 0xf3, 0xc));
  setGdt(GATE_SEL, [(NEW_SEL << 16) >>> 0, 0x8500]); // task gate -> NEW_SEL
  cpu.cr0 |= 1;
  cpu.gdtrBase = GDT; cpu.gdtrLimit = 0x7f; cpu.idtrBase = IDT; cpu.idtrLimit = 0x7ff;
  for (const s of [ES, SS, DS, FS, GS]) cpu.setSegCache(s, KDS, 0, -1, 0xc093);
  cpu.setSegCache(CS, KCS, 0, -1, 0xc09b);
  cpu.setSegCache(TR, MAIN_SEL, MAIN, 0x67, 0x8b);
  cpu.setSegCache(LDTR, 0, 0, 0, 0x10000);
  cpu.reg[4] = 0x7000;
  return { cpu, mem, setGdt };
}

/** A 32-bit TSS image at `at` (SDM Figure 7-2). */
function tss32(mem: HostPhysMem, at: number, f: { eip: number; esp: number; cs?: number; ss?: number; ds?: number; cr3?: number; ldt?: number; eax?: number }): void {
  mem.write32((at + 0x1c) as never, f.cr3 ?? 0);
  mem.write32((at + 0x20) as never, f.eip);
  mem.write32((at + 0x24) as never, 2);
  mem.write32((at + 0x28) as never, f.eax ?? 0);
  mem.write32((at + 0x38) as never, f.esp);
  const segs = [f.ds ?? KDS, f.cs ?? KCS, f.ss ?? KDS, f.ds ?? KDS, f.ds ?? KDS, f.ds ?? KDS];
  segs.forEach((s, k) => mem.write32((at + 0x48 + 4 * k) as never, s));
  mem.write32((at + 0x60) as never, f.ldt ?? 0);
}

/** Run instructions placed at CODE (bytes) until `n` retired. */
function exec(cpu: Cpu, mem: HostPhysMem, bytes: number[], n: number): void {
  bytes.forEach((b, k) => { mem.u8[CODE + k] = b; });
  cpu.eip = CODE;
  cpu.run(n);
}
const ljmp = (sel: number): number[] => [0xea, 0, 0, 0, 0, sel & 0xff, sel >> 8];
const lcall = (sel: number): number[] => [0x9a, 0, 0, 0, 0, sel & 0xff, sel >> 8];
const idtGate = (mem: HostPhysMem, v: number, lo: number, hi: number): void => { mem.write32((IDT + 8 * v) as never, lo); mem.write32((IDT + 8 * v + 4) as never, hi); };
const descType = (mem: HostPhysMem, sel: number): number => (mem.read32((GDT + (sel & ~7) + 4) as never) >> 8) & 0x1f;

describe('CPU: hardware task switching (SDM 7.3)', () => {
  it('JMP to a TSS saves the old task, loads the new one with CR3 and LDTR, moves the busy bit, sets CR0.TS', () => {
    const { cpu, mem } = machine();
    // Paging on with an identity map; the new task runs on a second page directory with the same map.
    for (let k = 0; k < 1024; k++) mem.write32((PT + 4 * k) as never, (k << 12) | 3);
    mem.write32(PD as never, PT | 3); mem.write32(PD2 as never, PT | 3);
    writeCr(cpu, 3, PD); writeCr(cpu, 0, cpu.cr0 | 0x80000000);
    tss32(mem, NEWT, { eip: 0x9000, esp: 0x6000, cr3: PD2, ldt: LDT_SEL, eax: 0xabcd });
    mem.u8[0x9000] = 0x90;
    cpu.reg[3] = 0x1234;
    exec(cpu, mem, ljmp(NEW_SEL), 1);
    assert.equal(cpu.eip, 0x9000);
    assert.equal(cpu.reg[0], 0xabcd);
    assert.equal(cpu.reg[4], 0x6000);
    assert.equal(cpu.cr3, PD2, 'CR3 from the 32-bit TSS');
    assert.equal(cpu.segSel[LDTR], LDT_SEL);
    assert.equal(cpu.segBase[LDTR], 0x5000);
    assert.equal(cpu.segSel[TR], NEW_SEL);
    assert.equal(cpu.segAr[TR] & 0xf, 0xb, 'TR cache: busy 32-bit TSS');
    assert.equal(cpu.cr0 & 8, 8, 'CR0.TS');
    assert.equal(cpu.getEflags() & 0x4000, 0, 'JMP does not nest');
    assert.equal(descType(mem, MAIN_SEL), 0x09, 'the old TSS is available again');
    assert.equal(descType(mem, NEW_SEL), 0x0b);
    assert.equal(mem.read32((MAIN + 0x20) as never), CODE + 7, 'old EIP = the instruction after the JMP');
    assert.equal(mem.read32((MAIN + 0x34) as never), 0x1234, 'old EBX saved');
  });

  it('CALL through a task gate nests (link, NT); IRET returns and clears the busy bit of the returning task', () => {
    const { cpu, mem } = machine();
    tss32(mem, NEWT, { eip: 0x9000, esp: 0x6000 });
    mem.u8[0x9000] = 0xcf; // iret
    exec(cpu, mem, lcall(GATE_SEL), 1);
    assert.equal(cpu.segSel[TR], NEW_SEL);
    assert.equal(cpu.getEflags() & 0x4000, 0x4000);
    assert.equal(mem.read32(NEWT as never) & 0xffff, MAIN_SEL, 'previous-task link');
    assert.equal(descType(mem, MAIN_SEL), 0x0b, 'the caller stays busy');
    cpu.run(1);
    assert.equal(cpu.segSel[TR], MAIN_SEL);
    assert.equal(cpu.eip, CODE + 7);
    assert.equal(descType(mem, NEW_SEL), 0x09);
    assert.equal(mem.read32((NEWT + 0x24) as never) & 0x4000, 0, 'NT cleared in the returning task\'s saved EFLAGS');
  });

  it('a bad SS in the new TSS is #TS(SS selector) in the new task, after the commit point', () => {
    const { cpu, mem } = machine();
    tss32(mem, NEWT, { eip: 0x9000, esp: 0x6000, ss: KCS });
    // #TS handler: an interrupt gate to 0xa000 (it would run on the new task's bad stack: see what is pushed).
    idtGate(mem, 10, (KCS << 16) | 0xa000, 0x8e00);
    const vectors: number[] = [];
    const orig = cpu.deliverException.bind(cpu);
    cpu.deliverException = (v, e, l, s) => { vectors.push(v, e); throw new Error('stop'); };
    assert.throws(() => exec(cpu, mem, ljmp(NEW_SEL), 1), /stop/);
    cpu.deliverException = orig;
    assert.deepEqual(vectors, [10, KCS]);
    assert.equal(cpu.segSel[TR], NEW_SEL, 'the switch committed');
    assert.equal(cpu.eip, 0x9000, 'the fault is reported at the new task\'s first instruction');
  });

  it('an exception through an IDT task gate pushes its error code on the new stack; #TS error codes carry EXT', () => {
    const { cpu, mem } = machine();
    tss32(mem, NEWT, { eip: 0x9000, esp: 0x6000 });
    idtGate(mem, 13, (NEW_SEL << 16) >>> 0, 0x8500);
    cpu.reg[0] = 0x1f8; // mov ax, ds <- 0x1f8 beyond the GDT: #GP(0x1f8)
    exec(cpu, mem, [0x8e, 0xd8], 1);
    assert.equal(cpu.segSel[TR], NEW_SEL);
    assert.equal(cpu.reg[4], 0x6000 - 4);
    assert.equal(mem.read32(0x5ffc as never), 0x1f8, 'error code on the new task\'s stack');
    assert.equal(mem.read32((MAIN + 0x20) as never), CODE, 'the fault EIP is saved in the old TSS');
    // #UD (benign) through a task gate naming a TSS below the minimum limit: #TS(selector | EXT), delivered
    // serially in the old task (benign then contributory, SDM Table 6-5).
    const m2 = machine();
    m2.setGdt(NEW_SEL, seg(NEWT, 0x50, 0x89, 0));
    idtGate(m2.mem, 6, (NEW_SEL << 16) >>> 0, 0x8500);
    const seen: number[] = [];
    m2.cpu.deliverException = ((orig) => (v: number, e: number, l: number, s: boolean) => { seen.push(v, e); if (seen.length > 2) throw new Error('stop'); orig(v, e, l, s); })(m2.cpu.deliverException.bind(m2.cpu));
    assert.throws(() => exec(m2.cpu, m2.mem, [0x0f, 0x0b], 1), /stop/);
    assert.deepEqual(seen, [6, -1, 10, NEW_SEL | 1]);
    assert.equal(m2.cpu.segSel[TR], MAIN_SEL, 'no switch');
  });

  it('a 16-bit TSS supplies SP0/SS0 for an interrupt from ring 3 (SDM Figure 7-11)', () => {
    const { cpu, mem, setGdt } = machine();
    setGdt(TSS16_SEL, seg(0x3400, 0x2b, 0x83, 0));
    cpu.setSegCache(TR, TSS16_SEL, 0x3400, 0x2b, 0x83);
    mem.write32((0x3400 + 2) as never, (KDS << 16) | 0x4ff0); // SP0 = 0x4ff0, SS0 = KDS
    idtGate(mem, 0x80, (KCS << 16) | 0xa000, 0xee00);
    cpu.setSegCache(CS, UCS, 0, -1, 0xc0fb); cpu.cpl = 3;
    for (const s of [SS, DS, ES]) cpu.setSegCache(s, UDS, 0, -1, 0xc0f3);
    cpu.reg[4] = 0x7000;
    exec(cpu, mem, [0xcd, 0x80], 1);
    assert.equal(cpu.cpl, 0);
    assert.equal(cpu.segSel[SS], KDS);
    assert.equal(cpu.reg[4], 0x4ff0 - 20);
    assert.equal(mem.read32((0x4ff0 - 8) as never), 0x7000, 'old ESP pushed');
  });
});

describe('CPU: RF and I/O breakpoints (SDM 17.3.1.1, 17.2.4)', () => {
  it('a fault pushes EFLAGS with RF set; a trap (INT3) does not', () => {
    const { cpu, mem } = machine();
    idtGate(mem, 13, (KCS << 16) | 0xa000, 0x8e00);
    idtGate(mem, 3, (KCS << 16) | 0xa000, 0x8e00);
    cpu.reg[0] = 0x1f8;
    [0x8e, 0xd8].forEach((b, k) => { mem.u8[CODE + k] = b; });
    cpu.eip = CODE;
    cpu.step(); // mov ds, ax: #GP(0x1f8)
    assert.equal(cpu.eip, 0xa000);
    assert.equal(mem.read32((0x7000 - 4) as never) & 0x10000, 0x10000, 'RF in the #GP frame');
    assert.equal(mem.read32((0x7000 - 16) as never), 0x1f8, 'error code below EIP, CS, EFLAGS');
    const m2 = machine();
    idtGate(m2.mem, 3, (KCS << 16) | 0xa000, 0x8e00);
    m2.mem.u8[CODE] = 0xcc;
    m2.cpu.eip = CODE;
    m2.cpu.step();
    assert.equal(m2.cpu.eip, 0xa000);
    assert.equal(m2.mem.read32((0x7000 - 4) as never) & 0x10000, 0, 'no RF for a trap');
  });

  it('DR7 R/W = 10b with CR4.DE: OUT to the port traps after the instruction with DR6.Bn; without DE nothing', () => {
    for (const de of [true, false]) {
      const { cpu, mem } = machine();
      idtGate(mem, 1, (KCS << 16) | 0xa000, 0x8e00);
      if (de) cpu.cr4 |= 8;
      cpu.dr[2] = 0x80;
      cpu.dr[7] = (0x400 | (1 << 4) | (2 << 24)) >>> 0; // L2, R/W2 = 10b, LEN2 = 1 byte
      armDebugRegisters(cpu);
      exec(cpu, mem, [0xe6, 0x80, 0x90], 1); // out 0x80, al
      if (de) {
        assert.equal(cpu.eip, 0xa000, '#DB delivered');
        assert.equal(mem.read32((0x7000 - 12) as never), CODE + 2, 'trap: the saved EIP is the next instruction');
        assert.equal(cpu.dr[6] & 0xf, 4, 'DR6.B2');
      } else {
        assert.equal(cpu.eip, CODE + 2);
      }
    }
  });

  it('an I/O breakpoint matches by range (LEN) and on IN as well', () => {
    const { cpu, mem } = machine();
    idtGate(mem, 1, (KCS << 16) | 0xa000, 0x8e00);
    cpu.cr4 |= 8;
    cpu.dr[0] = 0x3f8;
    cpu.dr[7] = (0x401 | (2 << 16) | (3 << 18)) >>> 0; // 4 ports 0x3f8-0x3fb
    armDebugRegisters(cpu);
    cpu.reg[2] = 0x3fa;
    exec(cpu, mem, [0xec], 1); // in al, dx
    assert.equal(cpu.eip, 0xa000);
    assert.equal(cpu.dr[6] & 1, 1);
  });
});

void GUEST_FAULT;
