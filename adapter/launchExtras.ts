// Launch attributes beyond the VM's own (launchConfig.ts): extra symbol files, the serial console's
// place, default exit breakpoints, the GDB port; and a warning for attribute names nobody reads
// (a typo such as "mmmu" would otherwise be silently ignored). Every error names the attribute.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Vm } from '../src/core/machine/vm';
import type { ExitFilterSetting } from '../src/core/debug/debugApi';
import { readSymbolFile, type SymbolFile } from '../src/core/debug/symbolFiles';
import { ActiveFilters } from '../src/core/debug/exitFilters';
import { LaunchConfigError, describe } from './launchConfig';

export interface LaunchExtras {
  /** Extra ELF files (absolute paths) with their load offsets. */
  symbols: { path: string; offset: number }[];
  serial: 'debugConsole' | 'terminal';
  /** Exception filters checked from launch on, in addition to the client's (launch `exitBreakpoints`). */
  exitBreakpoints: ExitFilterSetting[] | undefined;
  /** Start the GDB remote stub on 127.0.0.1:gdbPort (0: any free port). */
  gdbPort: number | undefined;
  /** Attribute names no part of vmm-debug reads. */
  unknown: string[];
}

/** Attributes this adapter reads (here and in launchConfig.ts), plus what VS Code and DAP add themselves. */
export const KNOWN_ATTRIBUTES = new Set([
  'type', 'request', 'name', 'image', 'mmu', 'shadowSync', 'smp', 'memory', 'stopOnEntry', 'cwd', 'maxInstructions',
  'serial', 'symbols', 'exitBreakpoints', 'gdbPort', 'disks', 'diskWriteback', 'noDebug', 'quantum', 'loadAddress', 'bios', 'cmdline', 'modules', 'recording', 'snapshot', 'historyBudgetMiB', 'vmxExits',
  'rtcStart',
  'preLaunchTask', 'postDebugTask', 'internalConsoleOptions', 'debugServer', 'presentation', 'suppressMultipleSessionWarning',
]);

/** A number or a numeric string ("0x400000", "4194304"), as launch.json authors write addresses. */
function address(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*(0x[0-9a-f]+|\d+)\s*$/i.test(v) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new LaunchConfigError(`launch.json: ${name} must be an address from 0 to 0xffffffff (a number or a string like "0x400000"), got ${describe(v)}`);
  }
  return n;
}

export function parseLaunchExtras(args: Record<string, unknown>, defaultCwd = process.cwd()): LaunchExtras {
  const cwd = typeof args.cwd === 'string' && args.cwd !== '' ? path.resolve(defaultCwd, args.cwd) : defaultCwd;

  const symbols: LaunchExtras['symbols'] = [];
  if (args.symbols !== undefined) {
    if (!Array.isArray(args.symbols)) throw new LaunchConfigError(`launch.json: symbols must be an array of ELF paths or { "path", "offset" } objects, got ${describe(args.symbols)}`);
    args.symbols.forEach((s: unknown, k) => {
      const at = `symbols[${k}]`;
      if (typeof s === 'string' && s !== '') { symbols.push({ path: path.resolve(cwd, s), offset: 0 }); return; }
      if (s && typeof s === 'object' && !Array.isArray(s)) {
        const o = s as Record<string, unknown>;
        if (typeof o.path !== 'string' || o.path === '') throw new LaunchConfigError(`launch.json: ${at}.path must be the path of an ELF file, got ${describe(o.path)}`);
        symbols.push({ path: path.resolve(cwd, o.path), offset: o.offset === undefined ? 0 : address(`${at}.offset`, o.offset) });
        return;
      }
      throw new LaunchConfigError(`launch.json: ${at} must be an ELF path or { "path": ..., "offset": ... }, got ${describe(s)}`);
    });
  }

  let serial: LaunchExtras['serial'] = 'debugConsole';
  if (args.serial !== undefined) {
    if (args.serial !== 'debugConsole' && args.serial !== 'terminal') throw new LaunchConfigError(`launch.json: serial must be "debugConsole" or "terminal", got ${describe(args.serial)}`);
    serial = args.serial;
  }

  let exitBreakpoints: ExitFilterSetting[] | undefined;
  if (args.exitBreakpoints !== undefined) {
    if (!Array.isArray(args.exitBreakpoints)) throw new LaunchConfigError(`launch.json: exitBreakpoints must be an array of filter ids ("exit.CPUID") or { "filter", "condition" } objects, got ${describe(args.exitBreakpoints)}`);
    const known = new Set(Vm.exitFilters().map((f) => f.id));
    exitBreakpoints = args.exitBreakpoints.map((e: unknown, k) => {
      const at = `exitBreakpoints[${k}]`;
      const o = typeof e === 'string' ? { filter: e } : e && typeof e === 'object' && !Array.isArray(e) ? e as Record<string, unknown> : undefined;
      if (!o || typeof o.filter !== 'string') throw new LaunchConfigError(`launch.json: ${at} must be a filter id or { "filter": ..., "condition": ... }, got ${describe(e)}`);
      if (!known.has(o.filter)) throw new LaunchConfigError(`launch.json: ${at}: unknown filter "${o.filter}" (known: ${[...known].join(', ')})`);
      if (o.condition !== undefined && typeof o.condition !== 'string') throw new LaunchConfigError(`launch.json: ${at}.condition must be a string, got ${describe(o.condition)}`);
      const setting: ExitFilterSetting = o.condition ? { id: o.filter, condition: o.condition } : { id: o.filter };
      const problem = new ActiveFilters().set([setting])[0];
      if (problem) throw new LaunchConfigError(`launch.json: ${at}: ${problem}`);
      return setting;
    });
  }

  let gdbPort: number | undefined;
  if (args.gdbPort !== undefined) {
    if (typeof args.gdbPort !== 'number' || !Number.isInteger(args.gdbPort) || args.gdbPort < 0 || args.gdbPort > 65535) {
      throw new LaunchConfigError(`launch.json: gdbPort must be an integer from 0 to 65535 (0: any free port), got ${describe(args.gdbPort)}`);
    }
    gdbPort = args.gdbPort;
  }

  const unknown = Object.keys(args).filter((k) => !k.startsWith('__') && !KNOWN_ATTRIBUTES.has(k));
  return { symbols, serial, exitBreakpoints, gdbPort, unknown };
}

/** Reads and parses each symbol file; a LaunchConfigError names `symbols[k]` and the problem. */
export function loadSymbolFiles(list: LaunchExtras['symbols']): SymbolFile[] {
  return list.map((s, k) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(s.path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new LaunchConfigError(`launch.json: symbols[${k}]: cannot read "${s.path}": ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    try {
      return readSymbolFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path.basename(s.path), s.offset);
    } catch (e) {
      throw new LaunchConfigError(`launch.json: symbols[${k}]: ${(e as Error).message}`);
    }
  });
}
