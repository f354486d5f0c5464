// The teachos shell's input through the input log (issue 5: "input from the user goes through the
// recorded input log"): commands typed at icount 0, and a second command typed mid-run while
// recording, give the same output, instruction count and final state hash in two runs sliced
// differently by the host; going back in time before the typed command and forward again replays it
// exactly (the input log re-delivers it at its icount).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import type { StopEvent } from '../../../src/core/debug/debugApi';

const IMAGE = 'build/guests/teachos.img';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Run { vm: Vm; out: () => string; stop: StopEvent | null }

function start(recording: boolean): Run {
  const bytes: number[] = [];
  const vm = Vm.fromImage(fs.readFileSync(IMAGE), 'teachos.img', { smp: 2 }, { serialOut: (_p, b) => { bytes.push(...b); } });
  if (recording) vm.startRecording();
  vm.serialInput(0, enc('ps\n'));
  return { vm, out: () => Buffer.from(bytes).toString('latin1'), stop: null };
}
/** Run until the shell has answered "ps" and prompts again (checked between slices). */
function runToSecondPrompt(r: Run, slice: number): void {
  const done = (): boolean => r.out().includes('teachos> ps\n') && r.out().endsWith('teachos> ');
  for (let k = 0; k < 2_000 && !done(); k++) { r.stop = r.vm.run(slice); assert.equal(r.stop, null, JSON.stringify(r.stop)); }
  assert.ok(done(), r.out().slice(-300));
}
/** Run to exactly instruction count `t`. */
function runTo(r: Run, t: number, slice: number): void {
  for (let k = 0; k < 20_000 && r.vm.icount < t; k++) { r.stop = r.vm.run(Math.min(slice, t - r.vm.icount)); assert.equal(r.stop, null); }
  assert.equal(r.vm.icount, t);
}
function runToStop(r: Run, slice: number): void {
  for (let k = 0; k < 20_000 && !r.stop; k++) r.stop = r.vm.run(slice);
  assert.ok(r.stop);
}

describe('teachos shell: typed input replays exactly (input log)', function () {
  this.timeout(600_000);

  it('two runs sliced differently, typing at the same icount: same transcript, icount and state hash', () => {
    // A probe run finds a moment at the second prompt; both runs type "echo again" and "halt" there.
    const probe = start(false);
    runToSecondPrompt(probe, 100_000);
    const typeAt = probe.vm.icount;
    const results: { out: string; icount: number; hash: string }[] = [];
    for (const slice of [100_000, 23_117]) {
      const r = start(false);
      runTo(r, typeAt, slice);
      r.vm.serialInput(0, enc('echo again\nhalt\n'));
      runToStop(r, slice);
      assert.equal(r.stop!.kind, 'exited');
      assert.match(r.out(), /teachos> ps\nPID NAME[\s\S]*teachos> echo again\nagain\nteachos> halt\nteachos: halting \(self-test status 0\)\n$/);
      results.push({ out: r.out(), icount: r.vm.icount, hash: r.vm.stateHash() });
    }
    assert.equal(results[1].out, results[0].out);
    assert.equal(results[1].icount, results[0].icount);
    assert.equal(results[1].hash, results[0].hash);
  });

  it('recording: back to before the typed command and forward again gives the same output and state hash', () => {
    const r = start(true);
    runToSecondPrompt(r, 100_000);
    const before = r.vm.icount;
    r.vm.serialInput(0, enc('echo replayed\nhalt\n'));
    runToStop(r, 100_000);
    const end = r.vm.icount, hash = r.vm.stateHash(), out = r.out();
    assert.match(out, /teachos> echo replayed\nreplayed\n/);
    r.vm.gotoIcount(before - 1000);
    r.vm.gotoIcount(end);
    assert.equal(r.vm.stateHash(), hash);
    assert.equal(r.out(), out, 'replayed output is not shown twice');
  });
});
