// Drives the real GNU gdb (Debian's /usr/bin/gdb) in batch mode against `vmm-debug run IMAGE --gdb`.
import * as cp from 'node:child_process';
import * as fs from 'node:fs';

export const GDB = process.env.VMM_DEBUG_GDB ?? '/usr/bin/gdb';
export const CLI = 'bin/vmm-debug.js';

export function haveGdb(): boolean {
  return fs.existsSync(GDB);
}

export interface CliUnderGdb {
  proc: cp.ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the CLI's exit status. */
  exited: Promise<number | null>;
}

/** Start `vmm-debug run IMAGE --gdb 127.0.0.1:0` and wait for the port it prints. */
export function startCli(image: string, extra: string[] = []): Promise<CliUnderGdb> {
  return new Promise((resolve, reject) => {
    const proc = cp.spawn(process.execPath, [CLI, 'run', image, '--gdb', '127.0.0.1:0', ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`vmm-debug printed no gdb port: ${err}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve({ proc, port: Number(m[1]), stdout: () => out, stderr: () => err, exited }); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`vmm-debug exited (${code}) before listening: ${err}`)); });
  });
}

/** `gdb -batch -nx` with the ELF for symbols, connected to the stub, running `commands` (-ex each). */
export function runGdb(elf: string, port: number, commands: string[], timeoutMs = 60_000): Promise<{ out: string; status: number | null }> {
  const args = ['-batch', '-nx', '-ex', 'set architecture i386', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`];
  for (const c of commands) args.push('-ex', c);
  args.push(elf);
  return new Promise((resolve, reject) => {
    const p = cp.spawn(GDB, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`gdb did not finish within ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    p.on('exit', (status) => { clearTimeout(timer); resolve({ out, status }); });
  });
}

/** The value gdb prints for `info registers NAME` (hex). */
export function regValue(out: string, name: string): number[] {
  const re = new RegExp(`^${name}\\s+0x([0-9a-f]+)`, 'gm');
  return [...out.matchAll(re)].map((m) => parseInt(m[1], 16));
}
