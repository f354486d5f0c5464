// PC16550D UART against the datasheet: FIFO enable/reset and trigger levels, IIR priorities (line
// status > received data > character timeout > THR empty > modem status), LSR bits (DR, OE, THRE,
// TEMT) and their clearing, MCR loopback and OUT2 gating the IRQ, scratch register, save/restore.
import { strict as assert } from 'node:assert';
import {
  IER_MS, IER_RDA, IER_RLS, IER_THRE, IIR_MS, IIR_NONE, IIR_RDA, IIR_RLS, IIR_THRE, IIR_TIMEOUT, LSR_DR, LSR_OE, LSR_TEMT, LSR_THRE,
  MCR_DTR, MCR_LOOP, MCR_OUT2, MCR_RTS, Uart16550,
} from '../../../src/core/devices/uart16550';
import { StateReader, StateWriter } from '../../../src/core/time/stateIo';

const B = 0x3f8;
function uart(): { u: Uart16550; tx: number[]; irq: boolean[]; out: (r: number, v: number) => void; inb: (r: number) => number } {
  const tx: number[] = [], irq: boolean[] = [];
  const u = new Uart16550(0, B, (b) => tx.push(b), (l) => irq.push(l));
  return { u, tx, irq, out: (r, v) => u.portOut(B + r, 1, v), inb: (r) => u.portIn(B + r, 1) };
}
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('devices/uart16550: PC16550D', () => {
  it('reset state: IIR 01h (no interrupt, FIFOs off), LSR THRE|TEMT, scratch register read/write, DLAB divisor latch', () => {
    const { out, inb } = uart();
    assert.equal(inb(2), IIR_NONE);
    assert.equal(inb(5), LSR_THRE | LSR_TEMT);
    out(7, 0xa5);
    assert.equal(inb(7), 0xa5);
    out(3, 0x80); out(0, 0x0c); out(1, 0x00); out(3, 0x03);
    assert.equal(inb(3), 0x03);
    out(3, 0x80);
    assert.deepEqual([inb(0), inb(1)], [0x0c, 0]);
  });

  it('FIFO mode: IIR bits 7:6 set, 16-byte receiver, trigger levels 1/4/8/14 decide "received data available"', () => {
    const { u, out, inb } = uart();
    out(1, IER_RDA);
    out(2, 0x01 | 0x80); // FIFOs on, trigger 8
    assert.equal(inb(2) & 0xc0, 0xc0);
    u.receive(bytes('abcdefghijklmnopqrst')); // 20 bytes: 16 in the FIFO, 4 still on the line
    assert.equal(u.rxFifo.length, 16);
    assert.equal(inb(2) & 0x0f, IIR_RDA);
    let got = '';
    for (let k = 0; k < 9; k++) got += String.fromCharCode(inb(0));
    assert.equal(got, 'abcdefghi');
    assert.equal(u.rxFifo.length, 11, 'the line refilled the FIFO as it drained');
    for (let k = 0; k < 4; k++) inb(0);
    // 7 left, below the trigger level of 8, nothing more on the line: character timeout.
    assert.equal(u.rxFifo.length, 7);
    assert.equal(inb(2) & 0x0f, IIR_TIMEOUT);
    out(2, 0x01 | 0x02 | 0xc0); // clear the receiver FIFO, trigger 14
    assert.equal(inb(5) & LSR_DR, 0);
    assert.equal(inb(2) & 0x0f, IIR_NONE);
    assert.equal(u.triggerLevel, 14);
  });

  it('16450 mode (FIFOs off): one byte at a time in RBR, "data available" at one byte, no timeout', () => {
    const { u, out, inb } = uart();
    out(1, IER_RDA);
    u.receive(bytes('xy'));
    assert.equal(u.rxFifo.length, 1);
    assert.equal(inb(2), IIR_RDA);
    assert.equal(inb(0), 0x78);
    assert.equal(inb(0), 0x79);
    assert.equal(inb(5) & LSR_DR, 0);
    assert.equal(inb(2), IIR_NONE);
  });

  it('THR empty: raised by enabling ETBEI and after each transmit, cleared by reading IIR or writing THR', () => {
    const { out, inb, tx } = uart();
    out(1, IER_THRE);
    assert.equal(inb(2), IIR_THRE);
    assert.equal(inb(2), IIR_NONE, 'the IIR read that reported it cleared it');
    out(0, 0x41);
    assert.deepEqual(tx, [0x41]);
    assert.equal(inb(5) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
    assert.equal(inb(2), IIR_THRE);
  });

  it('priorities: line status (overrun in loopback) > received data > THR empty > modem status; LSR read clears OE', () => {
    const { out, inb, tx } = uart();
    out(4, MCR_LOOP);
    out(1, IER_RLS | IER_RDA | IER_THRE | IER_MS);
    out(0, 0x31); out(0, 0x32); // 16450 mode: the second byte overruns RBR
    assert.deepEqual(tx, [], 'loopback: nothing leaves the chip');
    assert.equal(inb(2), IIR_RLS);
    assert.equal(inb(5) & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
    assert.equal(inb(5) & LSR_OE, 0, 'OE cleared by reading LSR');
    assert.equal(inb(2), IIR_RDA);
    assert.equal(inb(0), 0x32, 'RBR was overwritten');
    assert.equal(inb(2), IIR_THRE);
    out(4, MCR_LOOP | MCR_RTS); // RTS -> CTS: delta CTS
    assert.equal(inb(2), IIR_MS);
    assert.equal(inb(6) & 0x11, 0x11, 'CTS and DCTS');
    assert.equal(inb(2), IIR_NONE, 'reading MSR cleared the delta');
  });

  it('FIFO overrun: a 17th byte in loopback is lost, OE set, the 16 kept', () => {
    const { u, out, inb } = uart();
    out(2, 0x01); out(4, MCR_LOOP);
    for (let k = 0; k < 17; k++) out(0, k);
    assert.equal(u.rxFifo.length, 16);
    assert.equal(inb(5) & LSR_OE, LSR_OE);
    assert.equal(inb(0), 0);
  });

  it('loopback modem lines: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD; outside loopback CTS, DSR, DCD asserted', () => {
    const { out, inb } = uart();
    assert.equal(inb(6) & 0xf0, 0xb0);
    out(4, MCR_LOOP | MCR_DTR | 0x04);
    assert.equal(inb(6) & 0xf0, 0x20 | 0x40);
  });

  it('the IRQ line needs MCR.OUT2 (the PC\'s gate) and follows the pending interrupt; input from the log is never lost', () => {
    const { u, out, inb, irq } = uart();
    out(1, IER_RDA);
    u.receive(bytes('k'));
    assert.deepEqual(irq, [], 'OUT2 clear: no IRQ');
    out(4, MCR_OUT2 | MCR_DTR | MCR_RTS);
    assert.deepEqual(irq, [true]);
    assert.equal(inb(0), 0x6b);
    assert.deepEqual(irq, [true, false]);
    const long = 'x'.repeat(100);
    u.receive(bytes(long));
    let got = '';
    while (inb(5) & LSR_DR) got += String.fromCharCode(inb(0));
    assert.equal(got, long);
  });

  it('save/restore keeps FIFO, line, interrupt and modem state', () => {
    const a = uart();
    a.out(2, 0x41); a.out(1, IER_RDA | IER_THRE); a.out(4, MCR_OUT2); a.out(7, 0x5c);
    a.u.receive(bytes('0123456789abcdefXYZ'));
    const w = new StateWriter();
    a.u.saveState(w);
    const b = uart();
    b.u.loadState(new StateReader(w.finish()));
    assert.equal(b.inb(7), 0x5c);
    assert.equal(b.inb(2), 0xc0 | IIR_RDA);
    let s = '';
    while (b.inb(5) & LSR_DR) s += String.fromCharCode(b.inb(0));
    assert.equal(s, '0123456789abcdefXYZ');
  });
});
