// Decoded-instruction cache (Bochs's iCache, v86's per-page code cache): decoded instructions kept
// per host-physical page, indexed by the offset in the page, so a loop decodes each instruction once.
// A write to a page with cached code (self-modifying code, a loader, the hypervisor) drops that
// page's entries: HostPhysMem.codePages marks the pages and calls back here. Caching by physical
// address keeps entries valid across address spaces (another CR3 mapping the same code), as the
// hardware's own caches are physically tagged. Instructions that cross a page boundary are not cached.
// The shape (arrays of decoded instructions per page) is the one a later block translator can
// compile into generated functions without changing the rest of the core.
import type { HostPhysMem } from '../physMem';
import { Insn } from '../../isa/insn';

export class DecodeCache {
  private readonly pages = new Map<number, (Insn | undefined)[]>();
  hits = 0;
  misses = 0;
  invalidations = 0;

  constructor(private readonly mem: HostPhysMem) {
    const prev = mem.codeWritten;
    // Several vCPUs share one host memory: chain the callbacks.
    mem.codeWritten = (page) => { this.drop(page); prev(page); };
  }

  // The page of the last lookup: loops stay within a page, so most lookups skip the Map.
  private lastPage = -1;
  private lastArr: (Insn | undefined)[] | undefined = undefined;

  lookup(hpa: number, size: number): Insn | undefined {
    const page = hpa >>> 12;
    let p: (Insn | undefined)[] | undefined;
    if (page === this.lastPage) p = this.lastArr;
    else { p = this.pages.get(page); this.lastPage = page; this.lastArr = p; }
    if (p === undefined) return undefined;
    const i = p[hpa & 0xfff];
    if (i !== undefined && i.decodedFor === size) { this.hits++; return i; }
    return undefined;
  }

  store(hpa: number, insn: Insn): void {
    const page = hpa >>> 12;
    let p = this.pages.get(page);
    if (p === undefined) {
      p = new Array<Insn | undefined>(4096);
      this.pages.set(page, p);
      this.mem.codePages[page] = 1;
    }
    p[hpa & 0xfff] = insn;
    this.misses++;
    this.lastPage = -1;
  }

  drop(page: number): void {
    this.lastPage = -1;
    if (this.pages.delete(page)) this.invalidations++;
    this.mem.codePages[page] = 0;
  }

  /** Forget everything (restoring a checkpoint rewrites memory wholesale). */
  clear(): void {
    for (const page of [...this.pages.keys()]) this.mem.codeWritten(page);
    this.pages.clear();
    this.lastPage = -1;
  }
}
