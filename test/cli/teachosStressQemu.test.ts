// The teachos stress workload on the reference PC: QEMU + SeaBIOS with `stress 5` then `halt` on COM1
// prints byte for byte what our VMM prints with `--serial-input` (five rounds, free pages the same
// after each). Pending (not passed) where qemu-system-i386 is not installed.
import { strict as assert } from 'node:assert';
import { STRESS_INPUT, assertStressRounds } from './teachosExpected';
import { QEMU, qemuInstalled, runTeachosOnBoth } from './teachosQemuPair';

describe('teachos stress workload under QEMU (the reference PC)', function () {
  this.timeout(600_000);

  before(function () {
    if (!qemuInstalled()) {
      console.log(`    ${QEMU} not installed: the QEMU reference run is skipped (not a pass)`);
      this.skip();
    }
  });

  it('-smp 2 with `stress 5` on stdin: the same round lines and bytes as vmm-debug --serial-input, status 1', () => {
    const { qemu: q, ours } = runTeachosOnBoth(STRESS_INPUT);
    assertStressRounds(q.stdout, 5, 2);
    assert.equal(q.stdout, ours.stdout);
    assert.equal(q.status, 1, q.stderr);
    assert.equal(ours.status, 1, ours.stderr);
  });
});
