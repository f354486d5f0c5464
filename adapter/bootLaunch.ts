// Launch attributes of the PC platform's boot paths: `disks`, `diskWriteback`, `loadAddress`, `bios`,
// `cmdline`, `modules` (package.json configurationAttributes.launch). Validation names the attribute;
// files are read here (the core never touches files), and guest disk writes reach the image files
// only with `diskWriteback: true`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BootOptions } from '../src/core/machine/bootImage';

export interface BootLaunchArguments {
  disks?: unknown; diskWriteback?: unknown; loadAddress?: unknown; bios?: unknown; cmdline?: unknown; modules?: unknown;
}
export interface BootLaunch {
  disks: string[]; diskWriteback: boolean; loadAddress?: number; bios?: string; cmdline?: string; modules: string[];
}

export class BootLaunchError extends Error { override name = 'LaunchConfigError'; }

function paths(name: string, v: unknown, cwd: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || p === '')) throw new BootLaunchError(`launch.json: ${name} must be an array of file paths`);
  return (v as string[]).map((p) => path.resolve(cwd, p));
}

export function parseBootLaunch(a: BootLaunchArguments, cwd: string): BootLaunch {
  const b: BootLaunch = { disks: paths('disks', a.disks, cwd), modules: paths('modules', a.modules, cwd), diskWriteback: false };
  if (a.diskWriteback !== undefined) {
    if (typeof a.diskWriteback !== 'boolean') throw new BootLaunchError('launch.json: diskWriteback must be true or false');
    b.diskWriteback = a.diskWriteback;
  }
  if (a.loadAddress !== undefined) {
    const v = a.loadAddress;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new BootLaunchError(`launch.json: loadAddress must be a guest-physical address (a number or a "0x..." string), got ${JSON.stringify(v)}`);
    b.loadAddress = n;
  }
  if (a.bios !== undefined) {
    if (typeof a.bios !== 'string' || a.bios === '') throw new BootLaunchError('launch.json: bios must be the path of a firmware ROM image');
    b.bios = path.resolve(cwd, a.bios);
  }
  if (a.cmdline !== undefined) {
    if (typeof a.cmdline !== 'string') throw new BootLaunchError('launch.json: cmdline must be a string');
    b.cmdline = a.cmdline;
  }
  return b;
}

function read(what: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BootLaunchError(`launch.json: cannot read ${what} "${file}": ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}
function writeBack(file: string): (lba: number, data: Uint8Array) => void {
  let fd = -1;
  return (lba, data) => { if (fd < 0) fd = fs.openSync(file, 'r+'); fs.writeSync(fd, data, 0, data.length, lba * 512); };
}

/** The files of a boot configuration, read, as the core's BootOptions. */
export function loadBootOptions(b: BootLaunch, imagePath: string): BootOptions {
  const o: BootOptions = {};
  if (b.disks.length) o.disks = b.disks.map((f) => ({ name: f, image: read('disk', f), ...(b.diskWriteback ? { onWriteBack: writeBack(f) } : {}) }));
  if (b.diskWriteback && imagePath) o.imageWriteBack = writeBack(imagePath);
  if (b.loadAddress !== undefined) o.loadAddress = b.loadAddress;
  if (b.bios) o.bios = { name: b.bios, image: read('bios ROM', b.bios) };
  if (b.cmdline !== undefined) o.cmdline = b.cmdline;
  if (b.modules.length) o.modules = b.modules.map((f) => ({ name: path.basename(f), image: read('module', f) }));
  return o;
}
