// The CLI's terminal escape (src/cli/ttyInput.ts): Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A,
// Ctrl-A then another key sends both, everything else goes to the guest unchanged, across chunks.
import { strict as assert } from 'node:assert';
import { TtyEscape } from '../../../src/cli/ttyInput';

function feed(chunks: number[][]): { sent: number[]; quits: number } {
  const sent: number[] = [];
  let quits = 0;
  const e = new TtyEscape((b) => sent.push(...b), () => { quits++; });
  for (const c of chunks) e.feed(Uint8Array.from(c));
  return { sent, quits };
}

describe('cli/ttyInput: Ctrl-A escape', () => {
  it('plain keys pass through', () => assert.deepEqual(feed([[0x68, 0x69, 0x0d]]), { sent: [0x68, 0x69, 0x0d], quits: 0 }));
  it('Ctrl-A x quits and drops what follows', () => assert.deepEqual(feed([[0x61, 0x01, 0x78, 0x62]]), { sent: [0x61], quits: 1 }));
  it('the escape spans chunks', () => assert.deepEqual(feed([[0x61, 0x01], [0x58]]), { sent: [0x61], quits: 1 }));
  it('Ctrl-A Ctrl-A sends one Ctrl-A; Ctrl-A c sends both; Ctrl-C goes to the guest', () =>
    assert.deepEqual(feed([[0x01, 0x01, 0x01, 0x63, 0x03]]), { sent: [0x01, 0x01, 0x63, 0x03], quits: 0 }));
});
