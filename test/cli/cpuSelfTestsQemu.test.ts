// The guest self-tests against the reference machine: every cpu-* fixture that exits through
// isa-debug-exit is run under QEMU (qemu-system-i386 -kernel, as test/guests/README.md shows) and
// must print no FAIL line and exit with status 1, so the self-tests check x86, not our reading of
// the SDM. Where QEMU differs from the SDM the guest prints INFO instead of testing (QEMU 7.2 TCG:
// data-segment limits, RF in fault frames, the RSVD #PF error code). Where qemu-system-i386 is not
// installed the cases report themselves pending with that reason.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

interface Fixture { name: string; path: string; outcome: string }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const qemu = spawnSync('qemu-system-i386', ['--version'], { encoding: 'utf8' });
const haveQemu = qemu.status === 0;

describe('CPU self-tests under QEMU (the reference machine)', function () {
  this.timeout(120_000);
  const selftests = manifest.filter((f) => f.name.startsWith('cpu-') && f.outcome === 'exit' && f.name !== 'cpu-bench');

  it('covers cpu-selftest and cpu-tasks', () => {
    for (const n of ['cpu-selftest', 'cpu-tasks']) assert.ok(selftests.some((f) => f.name === n), `${n} missing from the manifest`);
  });

  for (const f of selftests) {
    if (!haveQemu) { it(`${f.name}: passes under qemu-system-i386 (pending: qemu-system-i386 is not installed)`); continue; }
    it(`${f.name}: passes under qemu-system-i386`, () => {
      const r = spawnSync('qemu-system-i386', ['-kernel', f.path, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-serial', 'stdio',
        '-display', 'none', '-no-reboot', '-m', '64'], { encoding: 'utf8', timeout: 100_000 });
      const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      assert.deepEqual(fails, [], r.stdout + r.stderr);
      assert.match(r.stdout, /^PASS /m, r.stdout + r.stderr);
      assert.equal(r.status, 1, `QEMU exit status ${r.status}\n${r.stdout}${r.stderr}`);
    });
  }
});
