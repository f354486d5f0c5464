// teachos booted from a copy of its disk image under QEMU + SeaBIOS (-smp 2, COM1 on stdin/stdout) and
// under our VMM with the same bytes through --serial-input: the two runs the QEMU reference tests compare.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TEACHOS_IMAGE } from './teachosExpected';

export const QEMU = 'qemu-system-i386';

/** True when QEMU can run here (otherwise the reference tests are pending, never passed). */
export function qemuInstalled(): boolean { return spawnSync(QEMU, ['--version']).status === 0; }

export function runTeachosOnBoth(input: string): { qemu: SpawnSyncReturns<string>; ours: SpawnSyncReturns<string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teachos-qemu-'));
  const img = path.join(dir, 'teachos.img'), inputFile = path.join(dir, 'input.txt');
  fs.copyFileSync(TEACHOS_IMAGE, img); // QEMU writes to the disk (the IDE write tests)
  fs.writeFileSync(inputFile, input);
  try {
    const qemu = spawnSync(QEMU, ['-smp', '2', '-m', '128', '-drive', `file=${img},format=raw,if=ide`, '-serial', 'stdio', '-display', 'none',
      '-monitor', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'], { encoding: 'utf8', input, timeout: 240_000 });
    const ours = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', TEACHOS_IMAGE, '--smp', '2', '--serial-input', inputFile, '--max-insns', '400000000'],
      { encoding: 'utf8', input: '', timeout: 600_000 });
    return { qemu, ours };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
