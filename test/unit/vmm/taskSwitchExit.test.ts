// Task switches in VMX non-root operation (issue 4): every switch the cpu-tasks guest makes exits with
// reason 9 (SDM Vol. 3C 26.1.2), the qualification of Table 27-2 (new TSS selector, source 0 CALL,
// 1 IRET, 2 JMP, 3 IDT task gate), the instruction length for CALL/IRET/JMP, IDT-vectoring information
// for the #DF that went through the IDT task gate; the VMM emulates each one (handleTaskSwitch.ts,
// KVM's kvm_task_switch) and the guest's own checks pass under EPT and shadow paging.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';
import { EXIT_HANDLERS } from '../../../src/core/vmm/exitHandlers';
import type { StopEvent } from '../../../src/core/debug/debugApi';

interface Fixture { name: string; path: string }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const image = (): Uint8Array => fs.readFileSync(manifest.find((f) => f.name === 'cpu-tasks')!.path);

interface Seen { sel: number; source: number; len: number; idt: number; idtError: number }

function run(mmu: 'ept' | 'shadow'): { serial: string; stop: StopEvent; exits: Seen[] } {
  let serial = '';
  const vm = Vm.fromImage(image(), 'cpu-tasks', { mmu }, { serialOut: (_p, b) => { serial += String.fromCharCode(...b); } });
  const exits: Seen[] = [];
  const v = vm.vmm.vcpus[0].vmcs;
  vm.vmm.exitTrace = (e) => {
    if (e.reason !== ExitReason.TASK_SWITCH) return;
    exits.push({ sel: e.qualification & 0xffff, source: e.qualification >>> 30, len: v.read(VMCS.VM_EXIT_INSTRUCTION_LEN),
      idt: v.read(VMCS.IDT_VECTORING_INFO_FIELD) >>> 0, idtError: v.read(VMCS.IDT_VECTORING_ERROR_CODE) });
  };
  for (let n = 0; n < 200; n++) { const s = vm.run(100_000); if (s) return { serial, stop: s, exits }; }
  throw new Error('no stop');
}

describe('VMX: task switches exit (reason 9) and the VMM emulates them', function () {
  this.timeout(60_000);

  it('has a handler for TASK_SWITCH in the exit table', () => {
    assert.equal(typeof EXIT_HANDLERS[ExitReason.TASK_SWITCH], 'function');
  });

  for (const mmu of ['ept', 'shadow'] as const) {
    it(`cpu-tasks passes in the guest under ${mmu}, every switch an exit with the Table 27-2 qualification`, () => {
      const { serial, stop, exits } = run(mmu);
      assert.match(serial, /cpu-tasks: 10 passed, 0 failed/, serial);
      assert.deepEqual(stop, { kind: 'exited', vcpu: 0, status: 1 });
      const CALL = 0, IRET = 1, JMP = 2, IDT = 3;
      const sig = exits.map((e) => `${e.source}:${e.sel.toString(16)}`);
      assert.deepEqual(sig.slice(0, 9), [
        `${JMP}:20`, `${JMP}:18`, // task B and back
        `${CALL}:28`, `${IRET}:18`, // CALL TSS C, its IRET through the link
        `${CALL}:28`, `${IRET}:18`, // CALL through the task gate 0x30: the qualification names the TSS
        `${CALL}:48`, `${IRET}:18`, // the 16-bit TSS
        `${IDT}:38`, // #DF through the IDT task gate
      ]);
      for (const e of exits.slice(0, 8)) assert.equal(e.len, e.source === IRET ? 1 : 7, 'instruction length of ljmp/lcall (7) and iret (1)');
      const df = exits[8];
      assert.equal(df.idt, (0x80000000 | (3 << 8) | (1 << 11) | 8) >>> 0, 'IDT-vectoring: #DF, hardware exception, error code valid');
      assert.equal(df.idtError, 0);
      assert.equal(df.len, 0);
      assert.equal(exits[9].source, IRET, 'the #DF task returns by IRET');
    });
  }
});
