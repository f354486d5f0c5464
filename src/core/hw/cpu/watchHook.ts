// The debugger's data watches as the CPU sees them (policy lives in debug/dataBreakpoints.ts).
// Watched pages are kept out of the TLB (Mmu.noCache), so only accesses to them take the slow path
// in Cpu.hpa(), which asks `check`; a hit stops the run loop after the instruction completes
// (RUN_WATCH). With no watches set the hook is null and costs nothing.
export interface WatchHook {
  /** An access of `size` bytes at linear `lin` (host-physical `hpa`): true when a watch matches. */
  check(lin: number, hpa: number, size: number, write: boolean): boolean;
  /** Whether a TLB entry for linear page `linPage` -> host page `hostPage` must not be cached. */
  noCache(linPage: number, hostPage: number): boolean;
  /** The access that matched last (for the stop report). */
  readonly lastHit: { id: number; linear: number; write: boolean; size: number } | null;
}

/** Cpu.dbgHits bit for a watch hit (above the DR0-DR3 bits). */
export const WATCH_HIT = 1 << 8;
/** Thrown after the instruction that hit a watch completed; Cpu.run returns RUN_WATCH. */
export const WATCH_STOP = { signal: 'watch-stop' } as const;
