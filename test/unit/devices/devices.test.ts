// PC platform devices against their datasheets: 8259A PIC pair, 8254 PIT (periods in virtual time),
// MC146818 RTC/CMOS, 8042, VGA CRTC, POST, debug console, and save/restore of their state.
import { strict as assert } from 'node:assert';
import { VirtualClock, INSNS_PER_US, VIRTUAL_CLOCK_HZ, ticksAt, timeOfTick } from '../../../src/core/devices/virtualClock';
import { DualPic8259 } from '../../../src/core/devices/pic8259';
import { Pit8254, PIT_HZ } from '../../../src/core/devices/pit8254';
import { CmosRtc, civilFromSeconds, daysFromCivil, RTC_DEFAULT_START } from '../../../src/core/devices/cmosRtc';
import { I8042, asciiToSet1 } from '../../../src/core/devices/i8042';
import { VgaText } from '../../../src/core/devices/vgaText';
import { PcPlatform } from '../../../src/core/devices/pcPlatform';
import { PortBus } from '../../../src/core/devices/portBus';
import { StateReader, StateWriter } from '../../../src/core/time/stateIo';

/** A clock driven by a settable instruction count. */
function clock(): { clk: VirtualClock; at: (t: number) => void } {
  let icount = 0;
  const clk = new VirtualClock(() => icount);
  return { clk, at: (t) => { icount = t; } };
}

/** Standard PC initialization: vectors 0x20/0x28, cascade on IR2, 8086 mode. */
function initPic(p: DualPic8259, icw4 = 0x01): void {
  p.portOut(0x20, 1, 0x11); p.portOut(0xa0, 1, 0x11);
  p.portOut(0x21, 1, 0x20); p.portOut(0xa1, 1, 0x28);
  p.portOut(0x21, 1, 0x04); p.portOut(0xa1, 1, 0x02);
  p.portOut(0x21, 1, icw4); p.portOut(0xa1, 1, icw4);
}

describe('devices/virtualClock', () => {
  it('100 instructions per virtual microsecond, exact tick conversions', () => {
    assert.equal(INSNS_PER_US, 100);
    assert.equal(VIRTUAL_CLOCK_HZ, 100_000_000);
    assert.equal(ticksAt(VIRTUAL_CLOCK_HZ, PIT_HZ), PIT_HZ);
    assert.equal(timeOfTick(PIT_HZ, PIT_HZ), VIRTUAL_CLOCK_HZ);
    const big = 3e14 + 12345;
    assert.equal(ticksAt(big, PIT_HZ), Number((BigInt(big) * BigInt(PIT_HZ)) / BigInt(VIRTUAL_CLOCK_HZ)));
    for (const n of [1, 1193, 1_000_000, 9e9 + 7]) {
      const t = timeOfTick(n, PIT_HZ);
      assert.ok(ticksAt(t, PIT_HZ) >= n && ticksAt(t - 1, PIT_HZ) < n, `tick ${n}`);
    }
  });
});

describe('devices/pic8259: 8259A pair', () => {
  it('ICW1-4 set the vector bases; IMR reads back; IRQ0 edge -> INTA vector 0x20, ISR set until EOI', () => {
    const p = new DualPic8259();
    initPic(p);
    p.portOut(0x21, 1, 0xfe);
    assert.equal(p.portIn(0x21), 0xfe);
    assert.equal(p.hasInterrupt(), false);
    p.setIrq(0, true);
    assert.equal(p.hasInterrupt(), true);
    p.portOut(0x20, 1, 0x0a); // OCW3: read IRR
    assert.equal(p.portIn(0x20), 0x01);
    assert.equal(p.acknowledge(), 0x20);
    p.portOut(0x20, 1, 0x0b); // OCW3: read ISR
    assert.equal(p.portIn(0x20), 0x01);
    assert.equal(p.hasInterrupt(), false);
    p.setIrq(0, true); // still high: no new edge
    assert.equal(p.master.irr, 0);
    p.portOut(0x20, 1, 0x20); // non-specific EOI
    assert.equal(p.portIn(0x20), 0x00);
  });

  it('masked lines stay in IRR; fully nested priority; specific EOI', () => {
    const p = new DualPic8259();
    initPic(p);
    p.portOut(0x21, 1, 0x02); // mask IRQ1
    p.pulseIrq(1);
    assert.equal(p.hasInterrupt(), false);
    assert.equal(p.master.irr, 0x02);
    p.portOut(0x21, 1, 0x00);
    p.pulseIrq(3);
    assert.equal(p.acknowledge(), 0x21); // IRQ1 beats IRQ3
    assert.equal(p.hasInterrupt(), false, 'IRQ3 waits while IRQ1 is in service');
    p.pulseIrq(0);
    assert.equal(p.acknowledge(), 0x20, 'IRQ0 nests over IRQ1');
    p.portOut(0x20, 1, 0x61); // specific EOI for IR1
    assert.equal(p.master.isr, 0x01);
    p.portOut(0x20, 1, 0x20); // EOI IR0
    assert.equal(p.acknowledge(), 0x23);
  });

  it('slave IRQs cascade through IR2: vector from the slave, both ISRs set', () => {
    const p = new DualPic8259();
    initPic(p);
    p.pulseIrq(8);
    assert.equal(p.hasInterrupt(), true);
    assert.equal(p.acknowledge(), 0x28);
    assert.equal(p.master.isr, 0x04);
    assert.equal(p.slave.isr, 0x01);
    p.pulseIrq(14);
    assert.equal(p.hasInterrupt(), false, 'IR2 in service on the master');
    p.portOut(0xa0, 1, 0x20); p.portOut(0x20, 1, 0x20);
    assert.equal(p.acknowledge(), 0x2e);
  });

  it('auto-EOI leaves ISR clear; spurious IRQ7 when the request vanished; poll command', () => {
    const p = new DualPic8259();
    initPic(p, 0x03);
    p.pulseIrq(5);
    assert.equal(p.acknowledge(), 0x25);
    assert.equal(p.master.isr, 0);
    assert.equal(p.acknowledge(), 0x27, 'spurious IRQ7');
    assert.equal(p.master.isr, 0);
    p.pulseIrq(4);
    p.portOut(0x20, 1, 0x0c); // OCW3 poll
    assert.equal(p.portIn(0x20), 0x84);
    assert.equal(p.master.irr & 0x10, 0);
  });

  it('rotation: OCW2 set priority makes IR3 the lowest (IR4 highest)', () => {
    const p = new DualPic8259();
    initPic(p);
    p.portOut(0x20, 1, 0xc3);
    p.pulseIrq(0); p.pulseIrq(5);
    assert.equal(p.acknowledge(), 0x25);
  });

  it('canAccept follows IMR and in-service priority (cascade included)', () => {
    const p = new DualPic8259();
    initPic(p);
    p.portOut(0x21, 1, 0xfe);
    assert.equal(p.canAccept(0), true);
    assert.equal(p.canAccept(1), false);
    assert.equal(p.canAccept(8), false, 'IR2 masked on the master');
    p.pulseIrq(0); p.acknowledge();
    assert.equal(p.canAccept(0), false, 'IR0 in service');
  });
});

describe('devices/pit8254: 8254 at 1.193182 MHz in virtual time', () => {
  function pitWith(mode: number, divisor: number): { pit: Pit8254; edges: number[]; clk: VirtualClock; at: (t: number) => void } {
    const { clk, at } = clock();
    const edges: number[] = [];
    let level = false;
    const pit = new Pit8254(clk, (l) => { if (l && !level) edges.push(clk.now()); level = l; });
    clk.register(pit);
    pit.portOut(0x43, 1, 0x30 | (mode << 1));
    pit.portOut(0x40, 1, divisor & 0xff);
    pit.portOut(0x40, 1, divisor >> 8);
    return { pit, edges, clk, at };
  }
  function runTo(clk: VirtualClock, at: (t: number) => void, end: number): void {
    for (;;) {
      const d = clk.nextDeadline();
      if (d > end) break;
      at(d); clk.runDue();
    }
    at(end); clk.runDue();
  }

  it('mode 2, divisor 1193: IRQ0 every 1193 PIT ticks = 0.99985 ms = 99,985 instructions (±1 rounding)', () => {
    const { edges, clk, at } = pitWith(2, 1193);
    runTo(clk, at, 10 * VIRTUAL_CLOCK_HZ / 1000);
    assert.equal(edges.length, 10);
    // Edge k at PIT tick 1 + 1193k (the count loads on the first clock after the write).
    edges.forEach((t, k) => assert.equal(t, timeOfTick(1 + 1193 * (k + 1), PIT_HZ)));
    for (let k = 1; k < edges.length; k++) {
      const d = edges[k] - edges[k - 1];
      assert.ok(d === 99_984 || d === 99_985, `period ${d}`);
    }
  });

  it('mode 3 square wave: one IRQ0 per period, OUT high for the first half', () => {
    const { pit, edges, clk, at } = pitWith(3, 11932);
    runTo(clk, at, VIRTUAL_CLOCK_HZ / 10 + 100_000); // 101 ms at 100 Hz: edges at ticks 1 + 11932k
    assert.equal(edges.length, 10);
    at(timeOfTick(1 + 100, PIT_HZ));
    assert.equal(pit.counters[0].out(pit.tick()), true);
    at(timeOfTick(1 + 6000, PIT_HZ));
    assert.equal(pit.counters[0].out(pit.tick()), false);
  });

  it('mode 0: one interrupt at terminal count, count reads back through a counter latch', () => {
    const { pit, edges, clk, at } = pitWith(0, 1000);
    at(timeOfTick(1 + 400, PIT_HZ));
    pit.portOut(0x43, 1, 0x00); // latch counter 0
    at(timeOfTick(1 + 500, PIT_HZ)); // the latch holds the old value
    const lo = pit.portIn(0x40), hi = pit.portIn(0x40);
    assert.equal(lo | (hi << 8), 600);
    runTo(clk, at, VIRTUAL_CLOCK_HZ);
    assert.equal(edges.length, 1);
    assert.equal(edges[0], timeOfTick(1001, PIT_HZ));
  });

  it('read-back command latches status (OUT, RW, mode) and count', () => {
    const { pit, at } = pitWith(2, 100);
    at(timeOfTick(1 + 30, PIT_HZ));
    pit.portOut(0x43, 1, 0xc2); // read-back, count + status, counter 0
    const status = pit.portIn(0x40);
    assert.equal(status & 0x3f, 0x34);
    assert.equal(status & 0x80, 0x80, 'OUT high');
    assert.equal(pit.portIn(0x40) | (pit.portIn(0x40) << 8), 70);
  });

  it('counter 2 gate and OUT on port 0x61 (mode 0 one-shot for calibration)', () => {
    const { clk, at } = clock();
    const pit = new Pit8254(clk, () => undefined);
    pit.portOut(0x61, 1, 0x01); // gate on
    pit.portOut(0x43, 1, 0xb0); // counter 2, LSB/MSB, mode 0
    pit.portOut(0x42, 1, 0xe8); pit.portOut(0x42, 1, 0x03); // 1000
    assert.equal(pit.portIn(0x61) & 0x21, 0x01, 'OUT2 low while counting');
    at(timeOfTick(1 + 1000, PIT_HZ));
    assert.equal(pit.portIn(0x61) & 0x20, 0x20, 'OUT2 high at terminal count');
  });
});

describe('devices/cmosRtc: MC146818 RTC and CMOS', () => {
  it('calendar arithmetic', () => {
    assert.equal(daysFromCivil(2024, 1, 1) * 86400, RTC_DEFAULT_START);
    assert.deepEqual(civilFromSeconds(RTC_DEFAULT_START + 86400 * 59 + 3661), { year: 2024, month: 2, day: 29, hour: 1, minute: 1, second: 1, weekday: 5 });
  });

  const read = (r: CmosRtc, i: number): number => { r.portOut(0x70, 1, i); return r.portIn(0x71); };

  it('BCD time advancing with virtual time; binary mode and 12-hour mode via register B', () => {
    const { clk, at } = clock();
    const rtc = new CmosRtc(clk, () => undefined, 32 << 20, RTC_DEFAULT_START + 13 * 3600 + 59 * 60 + 58);
    assert.deepEqual([0x32, 9, 8, 7, 6, 4, 2, 0].map((i) => read(rtc, i)), [0x20, 0x24, 0x01, 0x01, 0x02, 0x13, 0x59, 0x58]);
    at(3 * VIRTUAL_CLOCK_HZ);
    assert.equal(read(rtc, 0), 0x01);
    assert.equal(read(rtc, 2), 0x00);
    assert.equal(read(rtc, 4), 0x14);
    rtc.portOut(0x70, 1, 0x0b); rtc.portOut(0x71, 1, 0x04); // binary, 12-hour
    assert.equal(read(rtc, 4), 0x80 | 2);
    assert.equal(read(rtc, 0), 1);
  });

  it('SET freezes the clock; written time runs from when SET clears', () => {
    const { clk, at } = clock();
    const rtc = new CmosRtc(clk, () => undefined, 32 << 20);
    rtc.portOut(0x70, 1, 0x0b); rtc.portOut(0x71, 1, 0x82);
    rtc.portOut(0x70, 1, 0x04); rtc.portOut(0x71, 1, 0x12);
    at(5 * VIRTUAL_CLOCK_HZ);
    assert.equal(read(rtc, 0), 0);
    rtc.portOut(0x70, 1, 0x0b); rtc.portOut(0x71, 1, 0x02);
    at(7 * VIRTUAL_CLOCK_HZ);
    assert.equal(read(rtc, 4), 0x12);
    assert.equal(read(rtc, 0), 0x02);
  });

  it('UIP is set in the last 244 us before an update', () => {
    const { clk, at } = clock();
    const rtc = new CmosRtc(clk, () => undefined, 32 << 20);
    at(VIRTUAL_CLOCK_HZ - 245 * INSNS_PER_US);
    assert.equal(read(rtc, 0x0a) & 0x80, 0);
    at(VIRTUAL_CLOCK_HZ - 100 * INSNS_PER_US);
    assert.equal(read(rtc, 0x0a), 0xa6);
  });

  it('periodic interrupt at 1024 Hz on IRQ8; reading C clears IRQF and lowers the line', () => {
    const { clk, at } = clock();
    const levels: boolean[] = [];
    const rtc = new CmosRtc(clk, (l) => levels.push(l), 32 << 20);
    clk.register(rtc);
    rtc.portOut(0x70, 1, 0x0b); rtc.portOut(0x71, 1, 0x42); // PIE
    const d = clk.nextDeadline();
    assert.equal(d, timeOfTick(1, 1024)); // 976.5625 us
    at(d); clk.runDue();
    assert.deepEqual(levels, [true]);
    assert.equal(read(rtc, 0x0c), 0xc0);
    assert.deepEqual(levels, [true, false]);
    assert.equal(read(rtc, 0x0c), 0x00);
  });

  it('CMOS memory sizes match the RAM (base 640 KiB, extended, above 16 MiB in 64 KiB blocks); NMI bit', () => {
    const { clk } = clock();
    const rtc = new CmosRtc(clk, () => undefined, 64 << 20);
    assert.equal(read(rtc, 0x15) | (read(rtc, 0x16) << 8), 640);
    assert.equal(read(rtc, 0x17) | (read(rtc, 0x18) << 8), 63 * 1024);
    assert.equal(read(rtc, 0x30) | (read(rtc, 0x31) << 8), 63 * 1024);
    assert.equal(read(rtc, 0x34) | (read(rtc, 0x35) << 8), 48 * 16);
    rtc.portOut(0x70, 1, 0x8f);
    assert.equal(rtc.nmiDisabled, true);
    assert.equal(rtc.index, 0x0f);
  });
});

describe('devices/i8042: keyboard controller', () => {
  function kbd(): { k: I8042; irq: boolean[]; resets: number; a20: boolean[] } {
    const st = { irq: [] as boolean[], resets: 0, a20: [] as boolean[] };
    const k = new I8042((l) => st.irq.push(l), (e) => st.a20.push(e), () => { st.resets++; });
    return { k, get irq() { return st.irq; }, get resets() { return st.resets; }, get a20() { return st.a20; } };
  }

  it('self-test, command byte, scancode set 1 from ASCII with IRQ1 per byte', () => {
    const t = kbd();
    t.k.portOut(0x64, 1, 0xaa);
    assert.equal(t.k.portIn(0x64) & 1, 1);
    assert.equal(t.k.portIn(0x60), 0x55);
    t.k.portOut(0x64, 1, 0x20);
    assert.equal(t.k.portIn(0x60), 0x45);
    assert.deepEqual(asciiToSet1(0x61), [0x1e, 0x9e]);
    assert.deepEqual(asciiToSet1(0x41), [0x2a, 0x1e, 0x9e, 0xaa]);
    t.k.keyboardInput(new Uint8Array([0x61]));
    assert.equal(t.k.portIn(0x60), 0x1e);
    assert.equal(t.k.portIn(0x60), 0x9e);
    assert.equal(t.k.portIn(0x64) & 1, 0);
    // Rising edges: after each self-test/command reply and after each scancode byte.
    assert.ok(t.irq.filter((l) => l).length >= 4);
  });

  it('keyboard commands are acknowledged (reset -> FA AA, identify -> FA AB 83)', () => {
    const t = kbd();
    t.k.portOut(0x60, 1, 0xff);
    assert.deepEqual([t.k.portIn(0x60), t.k.portIn(0x60)], [0xfa, 0xaa]);
    t.k.portOut(0x60, 1, 0xf2);
    assert.deepEqual([t.k.portIn(0x60), t.k.portIn(0x60), t.k.portIn(0x60)], [0xfa, 0xab, 0x83]);
  });

  it('A20 through the output port (0xD1) and reset through 0xFE', () => {
    const t = kbd();
    t.k.portOut(0x64, 1, 0xd1); t.k.portOut(0x60, 1, 0x01);
    assert.deepEqual(t.a20, [false]);
    assert.equal(t.k.a20, false);
    t.k.portOut(0x64, 1, 0xd0);
    assert.equal(t.k.portIn(0x60), 0x01);
    t.k.portOut(0x64, 1, 0xfe);
    assert.equal(t.resets, 1);
  });
});

describe('devices/vgaText and the platform', () => {
  it('text screen from guest memory at 0xB8000; cursor from CRTC 0x0E/0x0F', () => {
    const mem = new Uint8Array(0x100000);
    const vga = new VgaText((a) => mem[a]);
    'Hi!'.split('').forEach((c, k) => { mem[0xb8000 + 2 * (80 + k)] = c.charCodeAt(0); mem[0xb8001 + 2 * (80 + k)] = 0x07; });
    const s = vga.textScreen();
    assert.equal(s.length, 25);
    assert.equal(s[1], 'Hi!'.padEnd(80));
    vga.portOut(0x3d4, 1, 0x0e); vga.portOut(0x3d5, 1, 0x00);
    vga.portOut(0x3d4, 2, 0x530f); // outw: index 0x0F, data 0x53
    assert.equal(vga.cursor, 83);
    vga.portOut(0x3d4, 1, 0x0f);
    assert.equal(vga.portIn(0x3d5), 0x53);
  });

  it('ports, POST code, debug console, device views, and save/restore round trip', () => {
    const { clk, at } = clock();
    const bus = new PortBus();
    const dbg: number[] = [];
    const pc = new PcPlatform(clk, bus, { ramBytes: 32 << 20, readGpa: () => 0, debugConsoleOut: (b) => dbg.push(...b), onReset: () => undefined });
    bus.portOut(0x80, 1, 0x42);
    bus.portOut(0xe9, 1, 0x41);
    assert.equal(bus.portIn(0xe9, 1), 0xe9);
    assert.deepEqual(dbg, [0x41]);
    assert.equal(pc.post.last, 0x42);
    initPic(pc.pic);
    bus.portOut(0x43, 1, 0x34); bus.portOut(0x40, 1, 0xa9); bus.portOut(0x40, 1, 0x04);
    at(12345);
    const views = pc.devices();
    assert.ok(views.some((g) => g.name.startsWith('8259A') && g.fields.some((f) => f.name === 'vector base' && f.value === 0x20)));
    assert.ok(views.some((g) => g.name === '8254 PIT' && g.fields.some((f) => f.name === 'counter 0 divisor' && f.value === 1193)));
    const w = new StateWriter();
    for (const s of pc.snapshotables()) s.saveState(w);
    const blob = w.finish();
    const { clk: clk2 } = clock();
    const pc2 = new PcPlatform(clk2, new PortBus(), { ramBytes: 32 << 20, readGpa: () => 0, debugConsoleOut: () => undefined, onReset: () => undefined });
    const r = new StateReader(blob);
    for (const s of pc2.snapshotables()) s.loadState(r);
    assert.ok(r.done);
    const w2 = new StateWriter();
    for (const s of pc2.snapshotables()) s.saveState(w2);
    assert.deepEqual(w2.finish(), blob);
  });
});
