// Compressed page history (time/pageVersions.ts): every version decodes to exactly what was pushed,
// through pushes, removals of middle / newest versions (thinning, forks) and shared content; and the
// store is small for the kinds of change guests make (sparse writes, zeroing, a buffer returning to
// the same content).
import { strict as assert } from 'node:assert';
import { PageVersionStore } from '../../../src/core/time/pageVersions';
import { lcg } from './runHelpers';

const W = 1024;

describe('time travel: compressed page versions', () => {
  it('decodes every version exactly through random pushes and removals', () => {
    const rnd = lcg(42);
    const pages = 4;
    const store = new PageVersionStore(pages);
    const model: { seq: number; data: Int32Array }[][] = Array.from({ length: pages }, () => []);
    const mem = new Int32Array(pages * W);
    const patterns = [new Int32Array(W).fill(7), new Int32Array(W)];
    let seq = 0;
    for (let step = 0; step < 600; step++) {
      const p = Math.floor(rnd() * pages);
      const r = rnd();
      const view = mem.subarray(p * W, (p + 1) * W);
      if (r < 0.6) {
        // A change: a few scattered words, a dense block, a zeroed page, or a known pattern.
        const kind = rnd();
        if (kind < 0.5) for (let k = 0; k < 1 + rnd() * 20; k++) view[Math.floor(rnd() * W)] = (rnd() * 2 ** 32) | 0;
        else if (kind < 0.7) { const a = Math.floor(rnd() * W); for (let k = a; k < Math.min(W, a + 900); k++) view[k] = k * step; }
        else if (kind < 0.85) view.fill(0);
        else view.set(patterns[Math.floor(rnd() * 2)]);
        const head = store.head(p);
        const same = head ? head.every((x, k) => x === view[k]) : view.every((x) => x === 0);
        if (same && model[p].length) continue;
        store.push(p, seq, mem, p * W);
        model[p].push({ seq, data: view.slice() });
        seq++;
      } else if (model[p].length > 1) {
        const k = r < 0.9 ? Math.floor(rnd() * (model[p].length - 1)) : model[p].length - 1;
        store.remove(p, k);
        model[p].splice(k, 1);
        if (k === model[p].length) mem.set(model[p][k - 1].data, p * W); // the newest went: memory is the new head
      }
      // Every version of every page decodes to the model.
      const out = new Int32Array(W);
      for (let q = 0; q < pages; q++) {
        model[q].forEach((v, k) => {
          store.decodeInto(q, k, out, 0);
          assert.deepEqual(out, v.data, `page ${q} version ${k} after step ${step}`);
          assert.equal(store.indexAt(q, v.seq), k);
        });
      }
    }
    assert.equal(store.versions, model.reduce((n, m) => n + m.length, 0));
  });

  it('stores sparse changes as small deltas and repeated content once', () => {
    const store = new PageVersionStore(2);
    const mem = new Int32Array(2 * W);
    for (let k = 0; k < W; k++) mem[k] = k * 2654435761;
    store.push(0, 0, mem, 0);
    const full = store.bytes;
    for (let s = 1; s <= 100; s++) { mem[(s * 37) % W] ^= s; store.push(0, s, mem, 0); }
    // 100 one-word changes: a head page plus 100 tiny deltas, far below 100 pages.
    assert.ok(store.bytes - full < 100 * 64, `100 sparse versions cost ${store.bytes - full} bytes`);
    // The same content in another page is shared; a zero page costs no page.
    const pool = store.poolPages;
    mem.copyWithin(W, 0, W);
    store.push(1, 101, mem, W);
    assert.equal(store.poolPages, pool, 'identical content is shared');
    mem.fill(0, W, 2 * W);
    store.push(1, 102, mem, W);
    const out = new Int32Array(W);
    store.decodeInto(1, 1, out, 0);
    assert.ok(out.every((x) => x === 0));
    store.decodeInto(1, 0, out, 0);
    assert.deepEqual(out, mem.subarray(0, W));
  });
});
