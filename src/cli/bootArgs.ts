// CLI flags of the PC platform's boot paths (--disk, --disk-writeback, --load-addr, --bios, --cmdline,
// --module) and the host file I/O they need: reading the files, and writing guest disk writes back
// to the image files only when --disk-writeback asks for it (src/core never touches files).
import * as fs from 'node:fs';
import type { BootOptions, DiskAttachment } from '../core/machine/bootImage';

export interface CliBootArgs { disks: string[]; modules: string[]; writeBack: boolean; loadAddress?: number; bios?: string; cmdline?: string; }

export class BootArgError extends Error {}

/** Parse a number the way the CLI takes addresses: decimal or 0x-hex. */
export function parseAddress(flag: string, v: string | undefined): number {
  if (v === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(v)) throw new BootArgError(`${flag} needs an address (decimal or 0x hex), got ${v === undefined ? 'nothing' : `"${v}"`}`);
  const n = Number(v);
  if (n >= 0x100000000) throw new BootArgError(`${flag} ${v} is beyond 4 GiB`);
  return n;
}

export function parseBootFlag(b: CliBootArgs, flag: string, v: string | undefined): void {
  const need = (): string => { if (!v) throw new BootArgError(`${flag} needs a value`); return v; };
  switch (flag) {
    case '--disk': b.disks.push(need()); break;
    case '--disk-writeback': b.writeBack = true; break;
    case '--load-addr': b.loadAddress = parseAddress(flag, v); break;
    case '--bios': b.bios = need(); break;
    case '--cmdline': if (v === undefined) throw new BootArgError('--cmdline needs a value'); b.cmdline = v; break;
    case '--module': b.modules.push(need()); break;
    default: break;
  }
}

function readOrFail(what: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new BootArgError(`cannot read ${what} "${file}": ${why}`);
  }
}

/** Write-back of a disk's sectors to its file (opened once, on the first guest write). */
export function writeBackTo(file: string): (lba: number, data: Uint8Array) => void {
  let fd = -1;
  return (lba, data) => {
    if (fd < 0) fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, data, 0, data.length, lba * 512);
  };
}

export function readBootFiles(b: CliBootArgs, image: string): BootOptions {
  const o: BootOptions = {};
  const disks: DiskAttachment[] = b.disks.map((f) => ({ name: f, image: readOrFail('disk', f), ...(b.writeBack ? { onWriteBack: writeBackTo(f) } : {}) }));
  if (disks.length) o.disks = disks;
  if (b.writeBack && image) o.imageWriteBack = writeBackTo(image);
  if (b.loadAddress !== undefined) o.loadAddress = b.loadAddress;
  if (b.bios) o.bios = { name: b.bios, image: readOrFail('BIOS ROM', b.bios) };
  if (b.cmdline !== undefined) o.cmdline = b.cmdline;
  if (b.modules.length) o.modules = b.modules.map((f) => ({ name: f, image: readOrFail('module', f) }));
  return o;
}
