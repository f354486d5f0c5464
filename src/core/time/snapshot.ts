// Snapshot files: the whole VM at one moment (suspend / resume / clone). Layout, little-endian:
//   "VMMDSNAP" (8 bytes) | u32 format version | body | u32 checksum (FNV-1a of everything before)
// body (StateWriter encoding): str note | u32 n | n x (str component name, bytes component state) |
//   u32 host memory size | u32 page count | page count x (u32 host page number, 4096 raw bytes)
// Pages that are all zero are left out. Each component blob carries its own name and layout version
// (stateIo.ts), so a snapshot from a build with another layout is refused naming the component.
// Loading validates everything it can first and restores the previous state if a component still
// refuses, so an unknown or corrupt snapshot leaves the running VM as it was.
import { PAGE_SIZE } from '../hw/physMem';
import { StateFormatError, StateReader, StateWriter } from './stateIo';
import { invalidateCode, loadComponent, saveComponent, type MachineState } from './machineState';
import { Fnv32x2 } from './stateHash';
import type { Vmm } from '../vmm/vmm';
import { applyTlbs, readTlbs, writeTlbs, type SavedTlb } from './tlbState';

export const SNAPSHOT_MAGIC = 'VMMDSNAP';
export const SNAPSHOT_FORMAT_VERSION = 2;
/** The format versions this build reads (1: before the TLBs were saved). */
const READABLE_VERSIONS = [1, 2];

/** The machine as a snapshot sees it: the components, host memory and (for the TLBs) the VMM. */
export interface SnapshotMachine extends MachineState { readonly vmm?: Vmm; }

export class SnapshotError extends StateFormatError { override name = 'SnapshotError'; }

function checksum(b: Uint8Array, end: number): number {
  const h = new Fnv32x2();
  h.bytes(b.subarray(0, end));
  return h.a >>> 0;
}

function isZeroPage(i32: Int32Array, page: number): boolean {
  for (let k = page * 1024, e = k + 1024; k < e; k++) if (i32[k] !== 0) return false;
  return true;
}

export function saveSnapshot(m: SnapshotMachine, note = ''): Uint8Array {
  const w = new StateWriter();
  for (let k = 0; k < 8; k++) w.u8(SNAPSHOT_MAGIC.charCodeAt(k));
  w.u32(SNAPSHOT_FORMAT_VERSION);
  w.str(note);
  const cs = m.components();
  w.u32(cs.length);
  for (const c of cs) { w.str(c.stateName); w.bytes(saveComponent(c)); }
  const host = m.host;
  w.u32(host.size);
  const pages: number[] = [];
  for (let p = 0, n = host.size / PAGE_SIZE; p < n; p++) if (!isZeroPage(host.i32, p)) pages.push(p);
  w.u32(pages.length);
  for (const p of pages) { w.u32(p); w.bytes(host.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)); }
  if (m.vmm) writeTlbs(w, m.vmm); else w.u32(0);
  const body = w.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, checksum(out, body.length), true);
  return out;
}

interface ParsedSnapshot { version: number; note: string; components: { name: string; blob: Uint8Array }[]; hostSize: number; pages: { page: number; data: Uint8Array }[]; tlbs?: SavedTlb[]; }

export function parseSnapshot(bytes: Uint8Array): ParsedSnapshot {
  if (bytes.length < 16) throw new SnapshotError(`not a vmm-debug snapshot (${bytes.length} bytes is too short)`);
  for (let k = 0; k < 8; k++) {
    if (bytes[k] !== SNAPSHOT_MAGIC.charCodeAt(k)) throw new SnapshotError('not a vmm-debug snapshot (no "VMMDSNAP" signature)');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (!READABLE_VERSIONS.includes(version)) throw new SnapshotError(`snapshot format version ${version} is not supported (this build reads versions ${READABLE_VERSIONS.join(' and ')})`);
  const end = bytes.length - 4;
  if (dv.getUint32(end, true) !== checksum(bytes, end)) throw new SnapshotError('snapshot is corrupt (checksum mismatch): truncated or modified file');
  try {
    const r = new StateReader(bytes.subarray(12, end));
    const note = r.str();
    const n = r.u32();
    const components = [];
    for (let k = 0; k < n; k++) components.push({ name: r.str(), blob: r.bytes() });
    const hostSize = r.u32();
    const np = r.u32();
    const pages = [];
    for (let k = 0; k < np; k++) {
      const page = r.u32();
      const data = r.bytes();
      if (data.length !== PAGE_SIZE || page >= hostSize / PAGE_SIZE) throw new SnapshotError(`bad memory page record ${k}`);
      pages.push({ page, data });
    }
    const tlbs = version >= 2 ? readTlbs(r, hostSize) : undefined;
    if (!r.done) throw new SnapshotError(`trailing bytes after the ${version >= 2 ? 'TLBs' : 'memory pages'}`);
    return { version, note, components, hostSize, pages, tlbs };
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw new SnapshotError(`snapshot is corrupt: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function apply(m: SnapshotMachine, s: ParsedSnapshot): void {
  const cs = m.components();
  s.components.forEach((c, k) => loadComponent(cs[k], c.blob));
  // After the CPUs (loading one flushes its TLB): a version 1 file leaves them empty.
  if (m.vmm) applyTlbs(m.vmm, s.tlbs?.length ? s.tlbs : undefined);
  const host = m.host;
  host.u8.fill(0);
  for (const p of s.pages) host.u8.set(p.data, p.page * PAGE_SIZE);
  const all: number[] = [];
  for (let p = 0; p < host.codePages.length; p++) if (host.codePages[p]) all.push(p);
  invalidateCode(host, all);
  host.dirty.fill(1);
}

/**
 * Replace the machine's state with the snapshot's. Throws SnapshotError (the VM unchanged) when the
 * file is not a snapshot, is corrupt, comes from another format version, or does not fit this VM.
 */
export function loadSnapshot(m: SnapshotMachine, bytes: Uint8Array): { note: string } {
  const s = parseSnapshot(bytes);
  const cs = m.components();
  if (s.hostSize !== m.host.size) throw new SnapshotError(`snapshot has ${s.hostSize / 1048576} MiB of host memory, this VM ${m.host.size / 1048576} MiB (launch with the same "memory")`);
  const names = cs.map((c) => c.stateName).join(', '), theirs = s.components.map((c) => c.name).join(', ');
  if (names !== theirs) throw new SnapshotError(`snapshot components (${theirs}) do not match this VM's (${names})`);
  const backup = parseSnapshot(saveSnapshot(m));
  try {
    apply(m, s);
  } catch (e) {
    apply(m, backup);
    throw new SnapshotError(`snapshot not loaded, the VM is unchanged: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { note: s.note };
}
