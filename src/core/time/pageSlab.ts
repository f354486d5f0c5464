// Storage for history's full page copies and sparse deltas (time/pageVersions.ts), carved out of a
// few large typed arrays. Allocating a 4 KiB typed array per saved page costs several microseconds
// in V8 (an off-heap backing store each, and garbage-collector pressure); a checkpoint that saves a
// few hundred pages paid most of its time there. Here a page copy is a slot of a 1 MiB slab (free
// slots are reused), and a delta is a view into a bump-allocated chunk; a chunk whose deltas all
// died is dropped, and the owner compacts (moves live deltas to fresh chunks) when holes dominate.

const WORDS = 1024;
const SLAB_PAGES = 256;
const CHUNK_WORDS = 1 << 16;

/** Fixed-size page slots (1024 words each), by slot number. */
export class PageSlab {
  private readonly slabs: Int32Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  /** A free slot (its old content is garbage: the caller fills it). */
  alloc(): number {
    if (this.free.length) return this.free.pop()!;
    const id = this.next++;
    if (((id / SLAB_PAGES) | 0) >= this.slabs.length) this.slabs.push(new Int32Array(SLAB_PAGES * WORDS));
    return id;
  }
  /** The slot's words (a view: valid while the slot is held). */
  view(id: number): Int32Array {
    const o = (id % SLAB_PAGES) * WORDS;
    return this.slabs[(id / SLAB_PAGES) | 0].subarray(o, o + WORDS);
  }
  release(id: number): void { this.free.push(id); }

  /** Bytes of slabs allocated (held and free slots). */
  get bytes(): number { return this.slabs.length * SLAB_PAGES * WORDS * 4; }
}

interface Chunk { readonly words: Int32Array; used: number; live: number; }

/** Variable-size word arrays bump-allocated in chunks; a chunk is freed when all of its arrays are. */
export class DeltaArena {
  private readonly chunks = new Map<ArrayBufferLike, Chunk>();
  private cur: Chunk | null = null;
  /** Words handed out and not released; words of the chunks held. */
  liveWords = 0;
  heldWords = 0;

  alloc(n: number): Int32Array {
    let c = this.cur;
    if (!c || c.used + n > c.words.length) {
      if (c && c.live === 0) this.drop(c);
      c = { words: new Int32Array(Math.max(CHUNK_WORDS, n)), used: 0, live: 0 };
      this.chunks.set(c.words.buffer, c);
      this.heldWords += c.words.length;
      this.cur = c;
    }
    const v = c.words.subarray(c.used, c.used + n);
    c.used += n;
    c.live += n;
    this.liveWords += n;
    return v;
  }

  release(v: Int32Array): void {
    const c = this.chunks.get(v.buffer);
    if (!c) return;
    c.live -= v.length;
    this.liveWords -= v.length;
    if (c.live === 0 && c !== this.cur) this.drop(c);
  }

  private drop(c: Chunk): void {
    this.chunks.delete(c.words.buffer);
    this.heldWords -= c.words.length;
  }

  /** Bytes of chunks held (live words, holes, the unused tail of the current chunk). */
  get bytes(): number { return this.heldWords * 4; }

  /** Holes are most of what is held: worth moving the live arrays (see `startCompaction`). */
  get fragmented(): boolean { return this.heldWords > 4 * CHUNK_WORDS && this.liveWords * 2 < this.heldWords; }

  /** Compaction: later `move`s go to fresh chunks. */
  startCompaction(): void { this.cur = null; }

  /** A copy of `v` in the current chunk; `v` is released (the caller replaces its reference). */
  move(v: Int32Array): Int32Array {
    const n = this.alloc(v.length);
    n.set(v);
    this.release(v);
    return n;
  }
}
