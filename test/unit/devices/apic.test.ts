// Local APIC (SDM Vol. 3A chapter 10) and I/O APIC (82093AA datasheet) models against the documented
// behaviour: register reset values, acceptance and priority (IRR/ISR/TPR/PPR), EOI of the highest ISR
// bit, the timer in virtual time (one-shot, periodic, divide configuration), ICR delivery with
// destination modes and shorthands (through the VMM's APIC bus), I/O APIC redirection with masking,
// edge and level triggering (remote IRR cleared by the EOI broadcast), and save/restore.
import { strict as assert } from 'node:assert';
import { VirtualClock } from '../../../src/core/devices/virtualClock';
import { LocalApic, APIC_REG as R, LAPIC_VERSION, DM, ESR_SEND_ILLEGAL_VECTOR, type LapicHost } from '../../../src/core/devices/lapic';
import { IoApic, type ApicMessage } from '../../../src/core/devices/ioapic';
import { Vmm } from '../../../src/core/vmm/vmm';
import { StateReader, StateWriter } from '../../../src/core/time/stateIo';
import { isaIrqToGsi } from '../../../src/core/devices/apicAddresses';

function clock(): { clk: VirtualClock; at: (t: number) => void } {
  let icount = 0;
  const clk = new VirtualClock(() => icount);
  return { clk, at: (t) => { icount = t; } };
}

class Host implements LapicHost {
  ipis: [number, number][] = [];
  eois: number[] = [];
  kicks = 0;
  sendIpi(_from: LocalApic, lo: number, hi: number): void { this.ipis.push([lo, hi]); }
  eoiBroadcast(v: number): void { this.eois.push(v); }
  kick(): void { this.kicks++; }
}

function lapic(id = 0): { l: LocalApic; host: Host; at: (t: number) => void; clk: VirtualClock } {
  const { clk, at } = clock();
  const host = new Host();
  const l = new LocalApic(id, clk, host);
  clk.register(l);
  return { l, host, at, clk };
}

const enable = (l: LocalApic): void => l.write(R.SVR, 0x1ff);

describe('devices/lapic: local APIC (SDM Vol. 3A ch. 10)', () => {
  it('power-up state: ID, version, DFR all ones, SVR 0xFF, LVTs masked, IA32_APIC_BASE enabled (BSP bit on APIC 0 only)', () => {
    const { l } = lapic(0);
    assert.equal(l.read(R.ID), 0);
    assert.equal(l.read(R.VERSION), LAPIC_VERSION);
    assert.equal((l.read(R.VERSION) >> 16) & 0xff, 5, 'max LVT entry 5 (six LVTs)');
    assert.equal(l.read(R.DFR), 0xffffffff);
    assert.equal(l.read(R.SVR), 0xff);
    for (const o of [R.LVT_TIMER, R.LVT_LINT0, R.LVT_LINT1, R.LVT_ERROR]) assert.equal(l.read(o), 0x10000);
    assert.equal(l.apicBase, 0xfee00900);
    assert.equal(lapic(3).l.apicBase, 0xfee00800);
    assert.equal(lapic(3).l.read(R.ID), 3 << 24);
    assert.equal(l.softwareEnabled, false);
  });

  it('a software-disabled APIC drops fixed interrupts and keeps LVT masks set', () => {
    const { l } = lapic();
    l.accept(DM.FIXED, 0x40, false);
    assert.equal(l.highestIrr(), -1);
    l.write(R.LVT_TIMER, 0x20);
    assert.equal(l.read(R.LVT_TIMER), 0x10020, 'mask cannot be cleared while software disabled (10.4.7.2)');
    enable(l);
    l.write(R.LVT_TIMER, 0x20);
    assert.equal(l.read(R.LVT_TIMER), 0x20);
    l.write(R.SVR, 0xff); // software disable again: every LVT gets masked
    assert.equal(l.read(R.LVT_TIMER), 0x10020);
  });

  it('IRR/ISR and priority: the highest vector is delivered; EOI clears the highest ISR bit; PPR follows ISR and TPR', () => {
    const { l } = lapic();
    enable(l);
    l.accept(DM.FIXED, 0x31, false);
    l.accept(DM.FIXED, 0x52, false);
    l.accept(DM.FIXED, 0x45, false);
    assert.equal(l.read(R.IRR0 + 0x10 * (0x52 >> 5)) >>> 0, (1 << (0x52 & 31)) >>> 0 | (1 << (0x45 & 31)) >>> 0);
    assert.ok(l.hasInterrupt());
    assert.equal(l.acknowledge(), 0x52);
    assert.equal(l.ppr, 0x50, 'PPR = ISR class while TPR is lower');
    // 0x45 has a lower class than the in-service 0x52: not deliverable until EOI.
    assert.equal(l.hasInterrupt(), false);
    l.write(R.EOI, 0);
    assert.equal(l.highestIsr(), -1);
    assert.equal(l.acknowledge(), 0x45);
    assert.equal(l.acknowledge(), 0xff, '0x31 is below the in-service 0x45 class: the INTA gets the spurious vector');
    l.write(R.EOI, 0);
    assert.equal(l.acknowledge(), 0x31);
  });

  it('nested in-service vectors: EOI clears only the highest ISR bit', () => {
    const { l } = lapic();
    enable(l);
    l.accept(DM.FIXED, 0x30, false);
    assert.equal(l.acknowledge(), 0x30);
    l.accept(DM.FIXED, 0x60, false);
    assert.equal(l.acknowledge(), 0x60, 'a higher class preempts');
    l.write(R.EOI, 0);
    assert.equal(l.highestIsr(), 0x30);
    l.write(R.EOI, 0);
    assert.equal(l.highestIsr(), -1);
  });

  it('TPR blocks classes at or below it; spurious vector when the INTA finds nothing', () => {
    const { l } = lapic();
    enable(l);
    l.write(R.TPR, 0x50);
    l.accept(DM.FIXED, 0x55, false);
    assert.equal(l.hasInterrupt(), false, 'class 5 is not above TPR class 5');
    assert.equal(l.acknowledge(), 0xff, 'spurious vector from SVR');
    l.write(R.TPR, 0x40);
    assert.ok(l.hasInterrupt());
    assert.equal(l.read(R.PPR), 0x40);
  });

  it('vectors 0-15 are illegal: receive-illegal-vector error, sent: send-illegal-vector error; ESR latches on write', () => {
    const { l, host } = lapic();
    enable(l);
    l.accept(DM.FIXED, 0x05, false);
    assert.equal(l.highestIrr(), -1);
    l.write(R.ICR_LO, 0x4003); // fixed, vector 3
    assert.equal(host.ipis.length, 0);
    assert.equal(l.read(R.ESR), 0, 'ESR reads the value latched by the last write');
    l.write(R.ESR, 0);
    assert.equal(l.read(R.ESR), ESR_SEND_ILLEGAL_VECTOR | 0x40);
    l.write(R.ESR, 0);
    assert.equal(l.read(R.ESR), 0);
  });

  it('level-triggered vectors set TMR and their EOI is broadcast to the I/O APIC', () => {
    const { l, host } = lapic();
    enable(l);
    l.accept(DM.FIXED, 0x61, true);
    assert.equal(l.read(R.TMR0 + 0x30) >>> 0, (1 << 1) >>> 0);
    l.acknowledge();
    l.write(R.EOI, 0);
    assert.deepEqual(host.eois, [0x61]);
    l.accept(DM.FIXED, 0x62, false);
    l.acknowledge();
    l.write(R.EOI, 0);
    assert.deepEqual(host.eois, [0x61], 'no broadcast for an edge-triggered vector');
  });

  it('timer one-shot: counts down at bus clock / divide in virtual time, fires once, current count 0 after', () => {
    const { l, at, clk } = lapic();
    enable(l);
    l.write(R.TIMER_DIVIDE, 0x3); // divide by 16
    assert.equal(l.divisor, 16);
    l.write(R.LVT_TIMER, 0x20);
    l.write(R.TIMER_INITIAL, 1000);
    assert.equal(l.nextDeadline(), 16_000);
    at(1600); assert.equal(l.read(R.TIMER_CURRENT), 900);
    at(15_999); clk.runDue(); assert.equal(l.highestIrr(), -1);
    at(16_000); clk.runDue();
    assert.equal(l.highestIrr(), 0x20);
    assert.equal(l.read(R.TIMER_CURRENT), 0);
    assert.equal(l.nextDeadline(), Infinity);
    assert.equal(l.timerFired, 1);
  });

  it('timer periodic: reloads every period; divide configuration values 1..128', () => {
    const { l, at, clk } = lapic();
    enable(l);
    const divs: [number, number][] = [[0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1]];
    for (const [v, d] of divs) { l.write(R.TIMER_DIVIDE, v); assert.equal(l.divisor, d, `divide value ${v}`); }
    l.write(R.TIMER_DIVIDE, 0x0); // by 2
    l.write(R.LVT_TIMER, 0x20000 | 0x30);
    l.write(R.TIMER_INITIAL, 50); // period 100
    for (let k = 1; k <= 5; k++) {
      at(100 * k); clk.runDue();
      assert.equal(l.timerFired, k);
      assert.equal(l.acknowledge(), 0x30); l.write(R.EOI, 0);
    }
    at(530); assert.equal(l.read(R.TIMER_CURRENT), 35);
    l.write(R.TIMER_INITIAL, 0);
    assert.equal(l.nextDeadline(), Infinity, 'initial count 0 stops the timer');
  });

  it('masked timer LVT: the count runs, no interrupt', () => {
    const { l, at, clk } = lapic();
    enable(l);
    l.write(R.TIMER_DIVIDE, 0xb);
    l.write(R.LVT_TIMER, 0x10020);
    l.write(R.TIMER_INITIAL, 10);
    at(10); clk.runDue();
    assert.equal(l.highestIrr(), -1);
    assert.equal(l.timerFired, 1);
  });

  it('LINT0 ExtINT passes the 8259 INTR; a globally disabled APIC passes it too', () => {
    const { l } = lapic();
    assert.equal(l.acceptsPicInterrupt(), false, 'masked LINT0');
    l.lvt[3] = DM.EXTINT << 8;
    assert.equal(l.acceptsPicInterrupt(), true);
    l.lvt[3] |= 0x10000;
    l.writeApicBase(0);
    assert.equal(l.hardwareEnabled, false);
    assert.equal(l.acceptsPicInterrupt(), true);
  });

  it('NMI delivery mode sets the pending NMI', () => {
    const { l } = lapic();
    l.accept(DM.NMI, 0, false);
    assert.equal(l.nmiPending, true);
  });

  it('save/restore round-trips the whole state, timer included', () => {
    const a = lapic(2), b = lapic(2);
    enable(a.l);
    a.l.write(R.TPR, 0x20); a.l.write(R.LDR, 0x04000000); a.l.write(R.DFR, 0x0fffffff);
    a.l.write(R.TIMER_DIVIDE, 0x1); a.l.write(R.LVT_TIMER, 0x20040); a.l.write(R.TIMER_INITIAL, 123);
    a.l.accept(DM.FIXED, 0x77, true);
    const w = new StateWriter(); a.l.saveState(w);
    b.l.loadState(new StateReader(w.finish()));
    for (const o of [R.TPR, R.LDR, R.DFR, R.SVR, R.LVT_TIMER, R.TIMER_INITIAL, R.TIMER_DIVIDE, R.IRR0 + 0x30, R.TMR0 + 0x30]) assert.equal(b.l.read(o), a.l.read(o), `offset 0x${o.toString(16)}`);
    assert.equal(b.l.nextDeadline(), a.l.nextDeadline());
  });
});

describe('devices/ioapic: 82093AA I/O APIC', () => {
  function io(): { a: IoApic; sent: ApicMessage[] } {
    const sent: ApicMessage[] = [];
    return { a: new IoApic(4, (m) => sent.push(m)), sent };
  }
  const sel = (a: IoApic, i: number): void => a.mmioWrite(0x00, i);

  it('ID, version (max redirection entry 23), arbitration; entries power up masked', () => {
    const { a } = io();
    sel(a, 0); assert.equal(a.mmioRead(0x10), 4 << 24);
    sel(a, 1); assert.equal(a.mmioRead(0x10), (23 << 16) | 0x11);
    sel(a, 2); assert.equal(a.mmioRead(0x10), 4 << 24);
    sel(a, 0x10); assert.equal(a.mmioRead(0x10), 0x10000);
    assert.equal(a.mmioRead(0x00), 0x10, 'IOREGSEL reads back');
    sel(a, 0); a.mmioWrite(0x10, 7 << 24); assert.equal(a.readReg(0), 7 << 24, 'ID is writable');
    sel(a, 1); a.mmioWrite(0x10, 0); assert.equal(a.readReg(1), (23 << 16) | 0x11, 'version is read-only');
  });

  it('edge-triggered entry: a message per rising edge with vector, mode, destination; masked edges are lost', () => {
    const { a, sent } = io();
    a.writeReg(0x10 + 2 * 2 + 1, 0x01000000);
    a.writeReg(0x10 + 2 * 2, 0x831); // vector 0x31, fixed, logical
    a.setIrq(2, true); a.setIrq(2, true); a.setIrq(2, false); a.setIrq(2, true);
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[0], { vector: 0x31, mode: 0, logical: true, dest: 1, level: false });
    a.writeReg(0x10 + 2 * 2, 0x10831);
    a.setIrq(2, false); a.setIrq(2, true);
    assert.equal(sent.length, 2, 'masked');
    a.setIrq(2, false);
    a.writeReg(0x10 + 2 * 2, 0x831);
    assert.equal(sent.length, 2, 'unmasking an edge entry does not replay a lost edge');
  });

  it('level-triggered entry: remote IRR until the EOI broadcast, re-sent while still asserted', () => {
    const { a, sent } = io();
    a.writeReg(0x10 + 2 * 14, 0x8000 | 0x4e); // level, fixed, vector 0x4e
    a.setIrq(14, true);
    assert.equal(sent.length, 1);
    assert.ok(a.readReg(0x10 + 2 * 14) & 0x4000, 'remote IRR set');
    a.setIrq(14, true);
    assert.equal(sent.length, 1, 'no new message while remote IRR is set');
    a.eoi(0x4e);
    assert.equal(sent.length, 2, 'still asserted: sent again after EOI');
    a.setIrq(14, false);
    a.eoi(0x4e);
    assert.equal(sent.length, 2);
    assert.equal(a.readReg(0x10 + 2 * 14) & 0x4000, 0, 'remote IRR clear');
    a.eoi(0x99);
  });

  it('active-low polarity inverts the pin', () => {
    const { a, sent } = io();
    a.setIrq(5, true); // idle high
    a.writeReg(0x10 + 2 * 5, 0x2000 | 0x8000 | 0x40); // level, active low
    assert.equal(sent.length, 0);
    a.setIrq(5, false);
    assert.equal(sent.length, 1);
  });

  it('masked level entry asserted: unmasking delivers it', () => {
    const { a, sent } = io();
    a.writeReg(0x10 + 2 * 4, 0x18000 | 0x44);
    a.setIrq(4, true);
    assert.equal(sent.length, 0);
    a.writeReg(0x10 + 2 * 4, 0x8000 | 0x44);
    assert.equal(sent.length, 1);
  });

  it('ISA IRQ0 arrives on GSI 2, others identity', () => {
    assert.equal(isaIrqToGsi(0), 2);
    assert.equal(isaIrqToGsi(4), 4);
    assert.equal(isaIrqToGsi(14), 14);
  });
});

describe('vmm/apicBus: ICR delivery between the local APICs of a VM', () => {
  function vm(n: number): Vmm {
    const v = new Vmm({ memMiB: 4, smp: n });
    for (const l of v.apic.lapics) l.write(R.SVR, 0x1ff);
    return v;
  }
  const icr = (v: Vmm, from: number, lo: number, dest = 0): void => {
    const l = v.apic.lapics[from];
    l.write(R.ICR_HI, dest << 24);
    l.write(R.ICR_LO, lo);
  };
  const irr = (v: Vmm): number[] => v.apic.lapics.map((l) => l.highestIrr());

  it('physical destination, and 0xFF broadcast', () => {
    const v = vm(4);
    icr(v, 0, 0x4041, 2);
    assert.deepEqual(irr(v), [-1, -1, 0x41, -1]);
    icr(v, 1, 0x4042, 0xff);
    assert.deepEqual(irr(v), [0x42, 0x42, 0x42, 0x42]);
  });

  it('shorthands: self, all including self, all excluding self', () => {
    let v = vm(3);
    icr(v, 1, 0x44050);
    assert.deepEqual(irr(v), [-1, 0x50, -1]);
    v = vm(3);
    icr(v, 1, 0x84051);
    assert.deepEqual(irr(v), [0x51, 0x51, 0x51]);
    v = vm(3);
    icr(v, 1, 0xc4052);
    assert.deepEqual(irr(v), [0x52, -1, 0x52]);
  });

  it('flat logical destination matches LDR bits; cluster model matches cluster and members', () => {
    let v = vm(4);
    v.apic.lapics.forEach((l, k) => l.write(R.LDR, (1 << k) << 24));
    icr(v, 0, 0x4860, 0b1010); // logical
    assert.deepEqual(irr(v), [-1, 0x60, -1, 0x60]);
    v = vm(4);
    v.apic.lapics.forEach((l, k) => { l.write(R.DFR, 0x0fffffff); l.write(R.LDR, (((k >> 1) << 4) | (1 << (k & 1))) << 24); });
    icr(v, 0, 0x4861, 0x12); // cluster 1, member bit 1 -> APIC 3
    assert.deepEqual(irr(v), [-1, -1, -1, 0x61]);
  });

  it('lowest priority is delivered as fixed to one APIC of the set (the lowest-numbered)', () => {
    const v = vm(4);
    icr(v, 0, 0x4170, 0xff);
    assert.deepEqual(irr(v), [0x70, -1, -1, -1]);
  });

  it('NMI, INIT and SIPI: NMI pends at the target; INIT/SIPI are queued for the target processor; INIT de-assert is ignored', () => {
    const v = vm(3);
    icr(v, 0, 0x4400, 1);
    assert.equal(v.apic.lapics[1].nmiPending, true);
    icr(v, 0, 0x8500, 2); // INIT level de-assert
    assert.equal(v.vcpus[2].pendingInit, false);
    icr(v, 0, 0xc4500);
    assert.deepEqual(v.vcpus.map((c) => c.pendingInit), [false, true, true]);
    icr(v, 0, 0xc4608);
    assert.deepEqual(v.vcpus.map((c) => c.pendingSipi), [-1, 8, 8]);
  });

  it('the I/O APIC sends through the bus to its destination', () => {
    const v = vm(2);
    v.apic.ioapic.writeReg(0x10 + 2 * 4 + 1, 1 << 24);
    v.apic.ioapic.writeReg(0x10 + 2 * 4, 0x34);
    v.apic.isaIrq(4, true);
    assert.deepEqual(irr(v), [-1, 0x34]);
  });
});
