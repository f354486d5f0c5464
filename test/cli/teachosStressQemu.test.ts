// The teachos stress workload on the reference PC: QEMU + SeaBIOS with `stress 5` then `halt` on COM1
// prints byte for byte what our VMM prints with `--serial-input` (five rounds, free pages the same
// after each). Pending (not passed) where qemu-system-i386 is not installed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { STRESS_INPUT, TEACHOS_IMAGE, assertStressRounds } from './teachosExpected';

const QEMU = 'qemu-system-i386';

describe('teachos stress workload under QEMU (the reference PC)', function () {
  this.timeout(600_000);

  before(function () {
    if (spawnSync(QEMU, ['--version']).status !== 0) {
      console.log(`    ${QEMU} not installed: the QEMU reference run is skipped (not a pass)`);
      this.skip();
    }
  });

  it('-smp 2 with `stress 5` on stdin: the same round lines and bytes as vmm-debug --serial-input, status 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teachos-stress-qemu-'));
    const img = path.join(dir, 'teachos.img'), input = path.join(dir, 'stress5.txt');
    fs.copyFileSync(TEACHOS_IMAGE, img); // QEMU writes to the disk (the IDE write tests)
    fs.writeFileSync(input, STRESS_INPUT);
    try {
      const q = spawnSync(QEMU, ['-smp', '2', '-m', '128', '-drive', `file=${img},format=raw,if=ide`, '-serial', 'stdio', '-display', 'none',
        '-monitor', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-no-reboot'], { encoding: 'utf8', input: STRESS_INPUT, timeout: 240_000 });
      assertStressRounds(q.stdout, 5, 2);
      const ours = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', TEACHOS_IMAGE, '--smp', '2', '--serial-input', input, '--max-insns', '400000000'],
        { encoding: 'utf8', input: '', timeout: 600_000 });
      assert.equal(q.stdout, ours.stdout);
      assert.equal(q.status, 1, q.stderr);
      assert.equal(ours.status, 1, ours.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
