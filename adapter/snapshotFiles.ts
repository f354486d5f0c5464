// Snapshot files (issue 7): save the whole VM (suspend), restore it later in this session or launch a
// new one from it (resume, clone: launch.json "snapshot"). The format is time/snapshot.ts (versioned,
// checksummed). Saving writes a temporary file and renames it, so a failed save never leaves half a
// file; restoring refuses a file that is not a snapshot, is corrupt, has another format version or does
// not fit this VM, with one clear line, and leaves the running VM as it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Vm } from '../src/core/machine/vm';
import { SnapshotError } from '../src/core/time/snapshot';

export class SnapshotFileError extends Error { override name = 'RequestError'; }

function errno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : e instanceof Error ? e.message : String(e);
}

export function saveSnapshotFile(vm: Vm, file: string, note = ''): { path: string; bytes: number; icount: number } {
  if (!file) throw new SnapshotFileError('save snapshot: a file path is required');
  const abs = path.resolve(file);
  const bytes = vm.saveSnapshot(note || `instruction count ${vm.icount}`);
  const tmp = `${abs}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, abs);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new SnapshotFileError(`save snapshot: cannot write "${abs}": ${errno(e)}`);
  }
  return { path: abs, bytes: bytes.length, icount: vm.icount };
}

export function restoreSnapshotFile(vm: Vm, file: string): { path: string; note: string; icount: number } {
  if (!file) throw new SnapshotFileError('restore snapshot: a file path is required');
  const abs = path.resolve(file);
  let bytes: Uint8Array;
  try { bytes = fs.readFileSync(abs); } catch (e) { throw new SnapshotFileError(`restore snapshot: cannot read "${abs}": ${errno(e)}`); }
  try {
    const { note } = vm.loadSnapshot(bytes);
    return { path: abs, note, icount: vm.icount };
  } catch (e) {
    if (e instanceof SnapshotError) throw new SnapshotFileError(`restore snapshot "${path.basename(abs)}": ${e.message}`);
    throw e;
  }
}

/** What a session started from a snapshot file (resume, clone) tells the user about it and its history. */
export function resumedText(r: { path: string; note: string; icount: number }, recording: boolean): string {
  const what = `vmm-debug: resumed snapshot "${r.note}" from ${path.basename(r.path)} at instruction count ${r.icount}`;
  return recording
    ? `${what}; recording continues from here: recorded history begins at the snapshot (nothing before it can be reached by stepping back)\n`
    : `${what}; recording is off in this session\n`;
}
