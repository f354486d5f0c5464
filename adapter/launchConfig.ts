// Launch arguments: validation with messages that name the launch.json attribute, and image loading.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { MmuMode } from '../src/core/machine/vm';
import { ASSEMBLY_IMAGE, assembleImage } from './assembleOnLaunch';
import { parseBootLaunch, type BootLaunch, type BootLaunchArguments } from './bootLaunch';
import { parseRtcStartAttribute } from './rtcStartAttribute';

/** What a `launch` request of type `vmm` may carry (package.json configurationAttributes.launch). */
export interface VmmLaunchArguments extends DebugProtocol.LaunchRequestArguments, BootLaunchArguments {
  image?: unknown;
  mmu?: unknown;
  shadowSync?: unknown;
  smp?: unknown;
  memory?: unknown;
  stopOnEntry?: unknown;
  cwd?: unknown;
  maxInstructions?: unknown;
  quantum?: unknown;
  vmxExits?: unknown;
  rtcStart?: unknown;
}

export interface LaunchConfig {
  /** Absolute path of the guest image. */
  imagePath: string;
  mmu: MmuMode;
  /** Shadow paging's sync policy (mmu "shadow"): lazy (default) or eager. */
  shadowSync: 'lazy' | 'eager';
  smp: number;
  memMiB?: number;
  stopOnEntry: boolean;
  noDebug: boolean;
  maxInstructions?: number;
  /** Disks, firmware, flat-binary address, Multiboot command line and modules (adapter/bootLaunch.ts). */
  boot: BootLaunch;
  /** Instructions per vCPU scheduling turn with smp > 1 (vmm/smpScheduler.ts; default 1000). */
  quantum?: number;
  /** Optional VM exits besides the VMM's default policy (vmm/exitPolicy.ts): "rdtsc", "pause", "desc", "apic". */
  vmxExits?: string[];
  /** RTC start time, Unix seconds (devices/cmosRtc.ts; default 2024-01-01 00:00:00 UTC). */
  rtcStart?: number;
}

/** A problem with the user's launch configuration; the message is shown as is. */
export class LaunchConfigError extends Error {
  override name = 'LaunchConfigError';
}

const MAX_SMP = 8;
const MAX_MEMORY_MIB = 3072;

/** A launch.json value as an error message shows it. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function intInRange(name: string, v: unknown, min: number, max: number, unit = ''): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new LaunchConfigError(`launch.json: ${name} must be an integer from ${min} to ${max}${unit}, got ${describe(v)}`);
  }
  return v;
}

/** Checks the arguments; throws LaunchConfigError naming the first bad attribute. */
export function parseLaunchArguments(args: VmmLaunchArguments, defaultCwd = process.cwd()): LaunchConfig {
  let cwd = defaultCwd;
  if (args.cwd !== undefined) {
    if (typeof args.cwd !== 'string' || args.cwd === '') {
      throw new LaunchConfigError(`launch.json: cwd must be a directory path, got ${describe(args.cwd)}`);
    }
    cwd = path.resolve(defaultCwd, args.cwd);
  }
  if ((args.image === undefined || args.image === null || args.image === '') && args.bios === undefined) {
    throw new LaunchConfigError('launch.json: image is required (path to a multiboot or ELF32 guest image, relative to cwd)');
  }
  if (args.image !== undefined && typeof args.image !== 'string') {
    throw new LaunchConfigError(`launch.json: image must be a file path, got ${describe(args.image)}`);
  }
  const imagePath = args.image === undefined || args.image === null || args.image === '' ? '' : path.resolve(cwd, args.image);
  const boot = parseBootLaunch(args, cwd);

  let mmu: MmuMode = 'ept';
  if (args.mmu !== undefined) {
    if (args.mmu !== 'ept' && args.mmu !== 'shadow') {
      throw new LaunchConfigError(`launch.json: mmu must be "ept" or "shadow", got ${describe(args.mmu)}`);
    }
    mmu = args.mmu;
  }
  let shadowSync: 'lazy' | 'eager' = 'lazy';
  if (args.shadowSync !== undefined) {
    if (args.shadowSync !== 'lazy' && args.shadowSync !== 'eager') {
      throw new LaunchConfigError(`launch.json: shadowSync must be "lazy" or "eager", got ${describe(args.shadowSync)}`);
    }
    shadowSync = args.shadowSync;
  }
  const smp = args.smp === undefined ? 1 : intInRange('smp', args.smp, 1, MAX_SMP, ' (vCPUs)');
  const memMiB = args.memory === undefined ? undefined : intInRange('memory', args.memory, 1, MAX_MEMORY_MIB, ' (MiB)');
  let stopOnEntry = true;
  if (args.stopOnEntry !== undefined) {
    if (typeof args.stopOnEntry !== 'boolean') {
      throw new LaunchConfigError(`launch.json: stopOnEntry must be true or false, got ${describe(args.stopOnEntry)}`);
    }
    stopOnEntry = args.stopOnEntry;
  }
  const maxInstructions = args.maxInstructions === undefined
    ? undefined
    : intInRange('maxInstructions', args.maxInstructions, 1, Number.MAX_SAFE_INTEGER);
  const noDebug = args.noDebug === true;
  const quantum = args.quantum === undefined ? undefined : intInRange('quantum', args.quantum, 1, 10_000_000, ' (instructions)');
  let vmxExits: string[] | undefined;
  if (args.vmxExits !== undefined) {
    if (!Array.isArray(args.vmxExits) || args.vmxExits.some((x) => typeof x !== 'string')) {
      throw new LaunchConfigError(`launch.json: vmxExits must be an array of names ("rdtsc", "pause", "desc", "apic"), got ${describe(args.vmxExits)}`);
    }
    vmxExits = args.vmxExits as string[];
  }
  const rtcStart = args.rtcStart === undefined ? undefined : parseRtcStartAttribute(args.rtcStart);
  return { imagePath, mmu, shadowSync, smp, memMiB, stopOnEntry: stopOnEntry && !noDebug, noDebug, maxInstructions, boot, ...(quantum !== undefined ? { quantum } : {}), ...(vmxExits ? { vmxExits } : {}), ...(rtcStart !== undefined ? { rtcStart } : {}) };
}

/** Reads the image; a missing or unreadable file becomes a LaunchConfigError naming the path. */
export function readImage(imagePath: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(imagePath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new LaunchConfigError(`launch.json: cannot read image "${imagePath}": ${why}`);
  }
  if (!st.isFile()) {
    throw new LaunchConfigError(`launch.json: image "${imagePath}" is not a file`);
  }
  if (ASSEMBLY_IMAGE.test(imagePath)) { // F5 on an .asm file: assemble it (adapter/assembleOnLaunch.ts)
    try {
      return assembleImage(imagePath, fs.readFileSync(imagePath, 'utf8'));
    } catch (e) {
      throw new LaunchConfigError(`launch.json: ${(e as Error).message}`);
    }
  }
  try {
    const buf = fs.readFileSync(imagePath);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new LaunchConfigError(`launch.json: cannot read image "${imagePath}": ${(e as Error).message}`);
  }
}
