// vmm-debug CLI: `vmm-debug run IMAGE [options]`. The contract (README "CLI") is stable: tests and
// comparisons with other emulators rely on it.
//   exit status: the guest's (v << 1) | 1 via port 0xf4 or HC_EXIT; 124 when --max-insns is reached;
//   0 when the VM shuts down (triple fault) or halts for good; 2 for bad input; 4 for a VM error.
import * as fs from 'node:fs';
import { Vm, ImageError, VmOptionError, type VmOptions } from '../core/machine/vm';
import type { ExitEvent, StopEvent } from '../core/debug/debugApi';
import { formatExitStats } from './exitStatsTable';
import { formatVcpuExitStats } from './vcpuStatsTable';
import { parseGdbAddress } from '../gdbstub/server';
import { runUnderGdb } from '../gdbstub/cliGdb';
import { parseBootFlag, readBootFiles, type CliBootArgs } from './bootArgs';
import { deliverInputFiles, parseInputFlag, readInputFiles, type CliInputArgs } from './inputArgs';
import { TtyEscape, startTtyInput } from './ttyInput';

const USAGE = `usage: vmm-debug run IMAGE [--mmu ept|shadow|shadow-lazy|shadow-eager] [--smp N] [--quantum N] [--vmx-exits rdtsc,pause,desc,apic] [--mem MiB] [--max-insns N] [--exit-stats] [--trace exits|io] [--debugcon FILE|-] [--gdb 127.0.0.1:PORT]
       [--disk FILE]... [--disk-writeback] [--load-addr ADDR] [--bios ROM] [--cmdline STR] [--module FILE]...
       [--serial-input FILE] [--keyboard-input FILE] [--rtc-start SECONDS|YYYY-MM-DDTHH:MM:SSZ]`;

class UsageError extends Error {}

interface CliArgs { image: string; opts: VmOptions; maxInsns: number; exitStats: boolean; traceExits: boolean; traceIo: boolean; debugcon: string; gdbPort?: number; boot: CliBootArgs; input?: CliInputArgs; }

function intArg(name: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${name} needs a non-negative integer, got ${v === undefined ? 'nothing' : `"${v}"`}`);
  return Number(v);
}

export function parseArgs(argv: string[]): CliArgs {
  const [cmd, ...rest] = argv;
  if (cmd !== 'run') throw new UsageError(cmd ? `unknown command "${cmd}"` : 'missing command');
  const a: CliArgs = { image: '', opts: {}, maxInsns: Infinity, exitStats: false, traceExits: false, traceIo: false, debugcon: '', boot: { disks: [], modules: [], writeBack: false } };
  for (let k = 0; k < rest.length; k++) {
    const t = rest[k];
    const [flag, inline] = t.startsWith('--') && t.includes('=') ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)] : [t, undefined];
    const val = (): string | undefined => inline ?? rest[++k];
    switch (flag) {
      case '--mmu': {
        // shadow = shadow-lazy; shadow-eager traps and emulates every guest page-table write.
        const m = val();
        if (m !== 'ept' && m !== 'shadow' && m !== 'shadow-lazy' && m !== 'shadow-eager') throw new UsageError(`--mmu must be "ept" or "shadow", got "${m ?? ''}" (shadow paging's sync policy: "shadow-lazy", the default, or "shadow-eager")`);
        a.opts.mmu = m === 'ept' ? 'ept' : 'shadow';
        if (m !== 'ept') a.opts.shadowSync = m === 'shadow-eager' ? 'eager' : 'lazy';
        break;
      }
      case '--smp': a.opts.smp = intArg('--smp', val()); break;
      case '--quantum': a.opts.quantum = intArg('--quantum', val()); break;
      case '--vmx-exits': a.opts.vmxExits = (val() ?? '').split(','); break;
      case '--mem': a.opts.memMiB = intArg('--mem', val()); break;
      case '--max-insns': a.maxInsns = intArg('--max-insns', val()); break;
      case '--exit-stats': a.exitStats = true; break;
      case '--trace': {
        const w = val();
        if (w === 'exits') a.traceExits = true;
        else if (w === 'io') a.traceIo = true;
        else throw new UsageError(`--trace supports "exits" and "io", got "${w ?? ''}"`);
        break;
      }
      case '--debugcon': { const d = val(); if (!d) throw new UsageError('--debugcon needs a file name (or - for stdout)'); a.debugcon = d; break; }
      case '--disk': case '--disk-writeback': case '--load-addr': case '--bios': case '--cmdline': case '--module':
        parseBootFlag(a.boot, flag, flag === '--disk-writeback' ? undefined : val()); break;
      case '--gdb': try { a.gdbPort = parseGdbAddress(val() ?? '').port; } catch (e) { throw new UsageError((e as Error).message); } break;
      default:
        if (parseInputFlag(a.input ??= {}, a.opts, flag, flag.startsWith('--') ? inline ?? rest[k + 1] : undefined)) { if (inline === undefined) k++; break; }
        if (t.startsWith('-')) throw new UsageError(`unknown option ${t}`);
        if (a.image) throw new UsageError(`more than one image given ("${a.image}", "${t}")`);
        a.image = t;
    }
  }
  if (!a.image && !a.boot.bios) throw new UsageError('missing IMAGE');
  return a;
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16);
/** One `--trace io` line: icount, vCPU, port, direction, size, value. */
export function ioTraceLine(icount: number, vcpu: number, port: number, size: number, isIn: boolean, value: number): string {
  const mask = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
  return `${icount} vcpu${vcpu} io port=0x${port.toString(16).padStart(4, '0')} ${isIn ? 'in' : 'out'} size=${size} value=0x${((value & mask) >>> 0).toString(16).padStart(size * 2, '0')}`;
}

export function traceLine(e: ExitEvent): string {
  return `${e.icount} vcpu${e.vcpu} ${e.reasonName} qual=${hex(e.qualification)} rip=${hex(e.guestRip)} ${e.detail}`;
}

async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`vmm-debug: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let image: Uint8Array;
  let boot;
  try {
    boot = readBootFiles(args.boot, args.image);
  } catch (e) {
    process.stderr.write(`vmm-debug: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    image = args.image ? fs.readFileSync(args.image) : new Uint8Array(0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    process.stderr.write(`vmm-debug: cannot read image "${args.image}": ${why}\n`);
    return 2;
  }
  let inputFiles;
  try {
    inputFiles = readInputFiles(args.input ?? {});
  } catch (e) {
    process.stderr.write(`vmm-debug: ${(e as Error).message}\n`);
    return 2;
  }
  const out: Buffer[] = [];
  let debugconFd = -1;
  if (args.debugcon && args.debugcon !== '-') {
    try {
      debugconFd = fs.openSync(args.debugcon, 'w');
    } catch (e) {
      process.stderr.write(`vmm-debug: cannot write --debugcon file "${args.debugcon}": ${(e as Error).message}\n`);
      return 2;
    }
  }
  // Port 0xE9 output: to stdout in order with COM1 output (`-`), or to a file.
  const debugConsoleOut = !args.debugcon ? undefined
    : debugconFd >= 0 ? (b: Uint8Array): void => { fs.writeSync(debugconFd, b); }
      : (b: Uint8Array): void => { out.push(Buffer.from(b)); };
  let vm: Vm;
  try {
    vm = Vm.fromImage(image, args.image, args.opts, { serialOut: (_p, b) => { out.push(Buffer.from(b)); }, debugConsoleOut }, boot);
  } catch (e) {
    if (e instanceof ImageError || e instanceof VmOptionError) {
      process.stderr.write(`vmm-debug: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (args.traceExits || args.traceIo) {
    // I/O accesses happen while an IO_INSTRUCTION exit is handled: that exit gives icount and vCPU.
    let last: ExitEvent | null = null;
    vm.vmm.exitTrace = (e) => { last = e; if (args.traceExits) process.stderr.write(traceLine(e) + '\n'); };
    if (args.traceIo) {
      vm.vmm.ports.tap = (port, size, isIn, value) => {
        const e = last as ExitEvent | null;
        process.stderr.write(ioTraceLine(e ? e.icount : vm.icount, e ? e.vcpu : 0, port, size, isIn, value) + '\n');
      };
    }
  }
  deliverInputFiles(vm, inputFiles);
  const flush = (): void => { if (out.length) { process.stdout.write(Buffer.concat(out)); out.length = 0; } };
  const onInput = (d: Buffer): void => { vm.serialInput(0, d); };
  if (!process.stdin.isTTY) process.stdin.on('data', onInput).on('error', () => undefined);
  let quit = false;
  const endTty = process.stdin.isTTY && args.gdbPort === undefined
    ? startTtyInput(process.stdin, new TtyEscape((b) => vm.serialInput(0, b), () => { quit = true; }), (l) => process.stderr.write(l + '\n')) : null;
  let stop: StopEvent | null = null;
  if (args.gdbPort !== undefined) {
    // Like QEMU's -s -S: wait for gdb before the first instruction; gdb drives the VM until it detaches.
    const g = await runUnderGdb(vm, args.gdbPort, (l) => process.stderr.write(l + '\n'), flush);
    if (g.killed && !g.stop) { process.stdin.off('data', onInput); process.stdin.pause(); process.stderr.write('vmm-debug: killed by gdb\n'); return 0; }
    stop = g.stop;
  }
  const SLICE = 1_000_000;
  while (!stop && !quit) {
    const left = args.maxInsns - vm.icount;
    if (left <= 0) break;
    stop = vm.run(Math.min(SLICE, left));
    flush();
    if (!stop) await new Promise((r) => setImmediate(r)); // let stdin events in between slices
  }
  process.stdin.off('data', onInput);
  process.stdin.pause();
  endTty?.();
  flush();
  if (debugconFd >= 0) fs.closeSync(debugconFd);
  if (args.exitStats) {
    process.stderr.write(formatExitStats(vm.exitStats(), vm.icount));
    const st = vm.vmStats();
    process.stderr.write(`mmu ${st.mmu}: ${st.eptMaps} EPT mappings, ${st.injectedEvents} injected events\n`);
    if (st.shadow) process.stderr.write(`shadow: ${Object.entries(st.shadow).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    if (vm.vcpuCount > 1) process.stderr.write(formatVcpuExitStats(vm.vcpuExitStats()));
  }
  if (!stop && quit) { process.stderr.write(`vmm-debug: quit from the terminal after ${vm.icount} instructions\n`); return 0; }
  if (!stop) {
    process.stderr.write(`vmm-debug: stopped after ${vm.icount} instructions (--max-insns)\n`);
    return 124;
  }
  switch (stop.kind) {
    case 'exited': return stop.status;
    case 'shutdown': process.stderr.write(`vmm-debug: ${stop.text}\n`); return 0;
    case 'error': process.stderr.write(`vmm-debug: ${stop.text}\n`); return 4;
    default: process.stderr.write(`vmm-debug: stopped: ${stop.kind}\n`); return 4;
  }
}

/** Entry for bin/vmm-debug.js: sets process.exitCode when done. */
export function runCli(argv: string[]): void {
  main(argv).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`vmm-debug: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 4;
  });
}
