// 8254 counter 2 as the PC wires it (datasheet 231164; IBM PC/AT port B 0x61): GATE from port 0x61
// bit 0, OUT read back at port 0x61 bit 5. Modes 2 (rate generator: OUT low for one clock per
// period) and 3 (square wave: OUT high for the first half, ceil(N/2) clocks), and what GATE does in
// each: mode 0 suspends counting while low; modes 2/3 hold the count with OUT high while low and
// reload on the rising edge. Times are PIT clocks on the virtual clock (100 instructions per µs).
import { strict as assert } from 'node:assert';
import { VirtualClock, timeOfTick } from '../../../src/core/devices/virtualClock';
import { Pit8254, PIT_HZ } from '../../../src/core/devices/pit8254';

function counter2(mode: number, n: number): { pit: Pit8254; at: (tick: number) => void; out2: () => boolean; count: () => number } {
  let icount = 0;
  const clk = new VirtualClock(() => icount);
  const pit = new Pit8254(clk, () => undefined);
  const at = (tick: number): void => { icount = timeOfTick(tick, PIT_HZ); };
  pit.portOut(0x61, 1, 0x01);                  // GATE2 high, speaker data off
  pit.portOut(0x43, 1, 0x80 | 0x30 | (mode << 1)); // counter 2, LSB then MSB, mode
  pit.portOut(0x42, 1, n & 0xff);
  pit.portOut(0x42, 1, n >> 8);                // loaded into the counting element at tick 1
  const out2 = (): boolean => (pit.portIn(0x61) & 0x20) !== 0;
  const count = (): number => { pit.portOut(0x43, 1, 0x80); return pit.portIn(0x42) | (pit.portIn(0x42) << 8); };
  return { pit, at, out2, count };
}

describe('devices/pit8254: counter 2 through port 0x61 (GATE2, OUT2)', () => {
  it('mode 2: OUT2 is low for exactly one clock per period of N clocks', () => {
    const { at, out2 } = counter2(2, 100);
    const lows: number[] = [];
    for (let t = 1; t <= 1 + 300; t++) { at(t); if (!out2()) lows.push(t); }
    // The count reaches 1 at N-1 clocks after loading: ticks 100, 200, 300.
    assert.deepEqual(lows, [100, 200, 300]);
  });

  it('mode 3, odd N = 5: OUT2 high for 3 clocks, low for 2, period 5 (the speaker frequency 1.193182 MHz / N)', () => {
    const { at, out2 } = counter2(3, 5);
    const wave: number[] = [];
    for (let t = 1; t < 1 + 10; t++) { at(t); wave.push(out2() ? 1 : 0); }
    assert.deepEqual(wave, [1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
  });

  it('mode 3, even N = 1193: 1000 Hz square wave, half the period high', () => {
    const { at, out2 } = counter2(3, 1193);
    let high = 0;
    for (let t = 1; t < 1 + 1193; t++) { at(t); if (out2()) high++; }
    assert.equal(high, 597);
  });

  it('mode 0: GATE2 low suspends counting; high again, it resumes where it stopped', () => {
    const { pit, at, out2, count } = counter2(0, 1000);
    at(1 + 300);
    assert.equal(count(), 700);
    pit.portOut(0x61, 1, 0x00);                // GATE2 low
    at(1 + 800);
    assert.equal(count(), 700, 'held while GATE is low');
    assert.equal(out2(), false);
    pit.portOut(0x61, 1, 0x01);
    at(1 + 800 + 700);
    assert.equal(out2(), true, 'terminal count 700 clocks after GATE rose');
  });

  it('mode 2: GATE2 low holds the count with OUT2 high; the rising edge reloads N', () => {
    const { pit, at, out2, count } = counter2(2, 100);
    at(1 + 30);
    assert.equal(count(), 70);
    pit.portOut(0x61, 1, 0x00);
    at(1 + 99);                                // would be the low clock with GATE high
    assert.equal(out2(), true, 'OUT high while GATE is low');
    assert.equal(count(), 70, 'count held while GATE is low');
    pit.portOut(0x61, 1, 0x01);                // reload on the next clock
    at(1 + 99 + 1 + 10);
    assert.equal(count(), 90);
    at(1 + 99 + 1 + 99);
    assert.equal(out2(), false, 'the first period after the reload ends N-1 clocks later');
  });

  it('port 0x61 reads back bits 0-1 as written and bit 4 toggling with refresh', () => {
    const { pit, at } = counter2(2, 100);
    pit.portOut(0x61, 1, 0x03);
    const seen = new Set<number>();
    for (let t = 0; t < 40; t++) { at(1000 + t); seen.add(pit.portIn(0x61) & 0x13); }
    assert.deepEqual([...seen].sort((a, b) => a - b), [0x03, 0x13]);
  });
});
