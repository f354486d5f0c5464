// Whole-machine state as the time-travel code sees it: the components (Snapshotable, in restore
// order) and host memory. Components are saved as one blob (checkpoints) or one blob each (snapshot
// files, so an error can name the component).
import type { HostPhysMem } from '../hw/physMem';
import { StateReader, StateWriter, StateFormatError, type Snapshotable } from './stateIo';

export interface MachineState {
  readonly host: HostPhysMem;
  /** Every stateful component except memory, in restore order. */
  components(): Snapshotable[];
}

export function saveComponent(c: Snapshotable): Uint8Array {
  const w = new StateWriter();
  c.saveState(w);
  return w.finish();
}

export function loadComponent(c: Snapshotable, blob: Uint8Array): void {
  const r = new StateReader(blob);
  c.loadState(r);
  if (!r.done) throw new StateFormatError(`"${c.stateName}" state has ${blob.length - r.offset} unexpected trailing bytes (a layout change without a version bump?)`);
}

export function saveAll(cs: Snapshotable[]): Uint8Array {
  const w = new StateWriter();
  w.u32(cs.length);
  for (const c of cs) c.saveState(w);
  return w.finish();
}

export function loadAll(cs: Snapshotable[], blob: Uint8Array): void {
  const r = new StateReader(blob);
  const n = r.u32();
  if (n !== cs.length) throw new StateFormatError(`saved state has ${n} components, this VM has ${cs.length}`);
  for (const c of cs) c.loadState(r);
  if (!r.done) throw new StateFormatError('saved state has trailing bytes');
}

/** After host memory was rewritten behind the CPUs' backs: drop decoded instructions of those pages. */
export function invalidateCode(host: HostPhysMem, pages: Iterable<number>): void {
  for (const p of pages) if (host.codePages[p]) host.codeWritten(p);
}
