// One state per instruction count with several vCPUs (issue 7, ADR 0014 / 0018): stepping vCPU 0 and
// vCPU 1 of the smp fixture over instructions that exit (I/O, CPUID, RDMSR, LAPIC MMIO, HLT woken by
// an interrupt, the AP's final HLT) reaches, at each instruction count, the state a plain run to that
// count reaches; step back then step forward returns to it; a breakpoint in an interrupt handler
// entered from HLT and "go to" its instruction count agree.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';

interface Fixture { name: string; path: string; symbols: Record<string, number>; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const smp = manifest.find((f) => f.name === 'smp')!;

function boot(): Vm {
  return Vm.fromImage(fs.readFileSync(smp.path), 'smp', { smp: 2 }, { serialOut: () => undefined });
}
const exits = (vm: Vm, k: number): number => vm.vmm.vcpus[k].exitCounts.reduce((a, b) => a + b, 0);
const mnemonic = (vm: Vm, k: number): string => (vm.disassemble(k, vm.pc(k), 1)[0]?.text ?? '').split(/\s+/)[0];

describe('SMP single steps are exact (one state per instruction count)', function () {
  this.timeout(300_000);

  it('stepping vCPU 0 and 1 over exiting instructions matches a plain run at each count, and step back / forward returns there', () => {
    const vm = boot(), ref = boot();
    vm.startRecording({ interval: 20_000, minInterval: 20_000 });
    const checked = new Map<string, number>();
    const failures: string[] = [];
    for (let k = 0; k < 400_000; k++) {
      // vCPU 1 while the AP runs (started, not blocked), else vCPU 0: both step over their own exits.
      const ap = vm.vmm.vcpus[1];
      const id = ap.started && !ap.blocked && ap.cpu.activity === 0 ? 1 : 0;
      const before = exits(vm, id), what = mnemonic(vm, id);
      const s = vm.step(id);
      if (s.kind === 'exited') break;
      assert.equal(s.kind, 'step', JSON.stringify(s));
      if (exits(vm, id) === before) continue;
      // Every HLT, and the first few of each other exiting instruction (IN runs ~34k times in calibrate()).
      const key = `vcpu${id} ${what}`;
      const seen = (checked.get(key) ?? 0) + 1;
      checked.set(key, seen);
      if (seen > 4 && what !== 'hlt') continue;
      const n = vm.icount, h = vm.stateHash();
      assert.equal(ref.run(n - ref.icount), null);
      if (ref.stateHash() !== h) failures.push(`${key} at ${n}: a run to ${n} reaches another state`);
      vm.stepBack(id);
      const back = vm.icount;
      vm.step(id);
      if (back !== n - 1 || vm.icount !== n || vm.stateHash() !== h) failures.push(`${key} at ${n}: step back went to ${back}, step forward to ${vm.icount}${vm.stateHash() === h ? '' : ' (another state)'}`);
    }
    assert.deepEqual(failures, []);
    for (const key of ['vcpu0 in', 'vcpu0 out', 'vcpu0 cpuid', 'vcpu0 rdmsr', 'vcpu0 mov', 'vcpu0 hlt', 'vcpu1 mov', 'vcpu1 hlt']) {
      assert.ok(checked.has(key), `stepped over ${key} (${[...checked.keys()].join(', ')})`);
    }
    assert.ok((checked.get('vcpu0 hlt') ?? 0) >= 5, 'HLTs woken by the LAPIC timer, IPIs and the PIT');
  });

  it('a breakpoint in the IPI handler (vCPU 0 woken from HLT) and "go to" its instruction count reach the same state', () => {
    const vm = boot();
    vm.startRecording({ interval: 20_000, minInterval: 20_000 });
    vm.setInstructionBreakpoints([smp.symbols.isr_ipi]);
    let s = null;
    for (let k = 0; k < 100 && !s; k++) s = vm.run(100_000);
    assert.deepEqual(s, { kind: 'breakpoint', vcpu: 0, address: smp.symbols.isr_ipi });
    const n = vm.icount, h = vm.stateHash();
    vm.setInstructionBreakpoints([]);
    vm.gotoIcount(n - 1000);
    vm.gotoIcount(n);
    assert.equal(vm.pc(0), smp.symbols.isr_ipi);
    assert.equal(vm.stateHash(), h);
  });
});
