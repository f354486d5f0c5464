// Decoded-instruction cache (Bochs's iCache, v86's per-page code cache): decoded instructions kept
// per host-physical page, indexed by the offset in the page, so a loop decodes each instruction once
// (and its handler is specialized once, exec/specialize.ts). A write to a page with cached code
// (self-modifying code, a loader, the hypervisor) drops that page's entries: HostPhysMem.codePages
// marks the pages and calls back here. Caching by physical address keeps entries valid across address
// spaces (another CR3 mapping the same code), as the hardware's own caches are physically tagged.
// Instructions that cross a page boundary are not cached. The page table is a flat array indexed by
// host page number, so a lookup is two array loads. The shape (arrays of decoded instructions per
// page) is the one a later block translator can compile into generated functions without changing
// the rest of the core.
import type { HostPhysMem } from '../physMem';
import type { Insn } from '../../isa/insn';

export class DecodeCache {
  /** Per host page: the decoded instruction starting at each offset, or undefined. */
  private readonly pages: ((Insn | undefined)[] | undefined)[];
  misses = 0;
  invalidations = 0;

  constructor(private readonly mem: HostPhysMem) {
    this.pages = new Array<(Insn | undefined)[] | undefined>(mem.size >>> 12).fill(undefined);
    const prev = mem.codeWritten;
    // Several vCPUs share one host memory: chain the callbacks.
    mem.codeWritten = (page) => { this.drop(page); prev(page); };
  }

  /** The instruction decoded at `hpa` for default operand size `size` (CS.D), if cached. */
  lookup(hpa: number, size: number): Insn | undefined {
    const p = this.pages[hpa >>> 12];
    if (p === undefined) return undefined;
    const i = p[hpa & 0xfff];
    return i !== undefined && i.decodedFor === size ? i : undefined;
  }

  store(hpa: number, insn: Insn): void {
    const page = hpa >>> 12;
    let p = this.pages[page];
    if (p === undefined) {
      p = new Array<Insn | undefined>(4096).fill(undefined);
      this.pages[page] = p;
      this.mem.codePages[page] = 1;
    }
    p[hpa & 0xfff] = insn;
    this.misses++;
  }

  /** Bumped whenever cached code is dropped: a running translated block checks it after its writes. */
  epoch = 0;

  drop(page: number): void {
    if (this.pages[page] !== undefined) { this.pages[page] = undefined; this.invalidations++; this.epoch++; }
    this.mem.codePages[page] = 0;
  }

  /** Forget everything (restoring a checkpoint rewrites memory wholesale). */
  clear(): void {
    for (let page = 0; page < this.pages.length; page++) if (this.pages[page] !== undefined) this.mem.codeWritten(page);
  }
}
