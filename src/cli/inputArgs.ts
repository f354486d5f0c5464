// CLI flags that feed the guest recorded input (`--serial-input FILE`, `--keyboard-input FILE`) and
// fix the RTC's start (`--rtc-start`). Input files are put on the line at icount 0 through the VM's
// input log (Vm.serialInput / Vm.keyboardInput), so a run with the same files is the same run, bit
// for bit: the UART hands the bytes to the guest as its receiver has room (flow control), the 8042
// turns ASCII into scancode set 1 presses and releases.
import * as fs from 'node:fs';
import type { Vm, VmOptions } from '../core/machine/vm';

export interface CliInputArgs { serialInput?: string; keyboardInput?: string; }

export class InputArgError extends Error {}

/** `--rtc-start`: Unix seconds, or an ISO 8601 UTC date-time (2024-01-01T00:00:00Z). */
export function parseRtcStart(v: string | undefined): number {
  if (v === undefined) throw new InputArgError('--rtc-start needs Unix seconds or a UTC date such as 2024-01-01T00:00:00Z');
  if (/^\d+$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$/.test(v) ? Date.parse(/T/.test(v) && !v.endsWith('Z') ? `${v}Z` : v) : NaN;
  if (!Number.isFinite(ms)) throw new InputArgError(`--rtc-start needs Unix seconds or a UTC date such as 2024-01-01T00:00:00Z, got "${v}"`);
  return Math.floor(ms / 1000);
}

/** One input flag; false when `flag` is not one of ours. */
export function parseInputFlag(a: CliInputArgs, opts: VmOptions, flag: string, v: string | undefined): boolean {
  switch (flag) {
    case '--serial-input': if (!v) throw new InputArgError('--serial-input needs a file name'); a.serialInput = v; return true;
    case '--keyboard-input': if (!v) throw new InputArgError('--keyboard-input needs a file name'); a.keyboardInput = v; return true;
    case '--rtc-start': opts.rtcStart = parseRtcStart(v); return true;
    default: return false;
  }
}

function read(flag: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InputArgError(`cannot read ${flag} file "${file}": ${why}`);
  }
}

/** Read the files (before the VM is built, so a bad name fails fast). */
export function readInputFiles(a: CliInputArgs): { serial?: Uint8Array; keyboard?: Uint8Array } {
  return {
    serial: a.serialInput ? read('--serial-input', a.serialInput) : undefined,
    keyboard: a.keyboardInput ? read('--keyboard-input', a.keyboardInput) : undefined,
  };
}

/** Put the bytes on COM1's line and into the keyboard, at the VM's current instruction count. */
export function deliverInputFiles(vm: Vm, f: { serial?: Uint8Array; keyboard?: Uint8Array }): void {
  if (f.serial?.length) vm.serialInput(0, f.serial);
  if (f.keyboard?.length) vm.keyboardInput(f.keyboard);
}
