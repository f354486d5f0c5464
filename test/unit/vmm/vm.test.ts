// The Vm facade end to end on real guest fixtures: stepping, instruction breakpoints, VM-exit
// filters, guest-exception filters (exception bitmap + re-injection), VM-entry checks, determinism.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import type { StopEvent } from '../../../src/core/debug/debugApi';

interface Fixture { name: string; path: string; entry: number; symbols: Record<string, number>; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const fx = (n: string): Fixture => manifest.find((f) => f.name === n)!;

function boot(name: string): { vm: Vm; serial: () => string } {
  let out = '';
  const vm = Vm.fromImage(fs.readFileSync(fx(name).path), name, {}, { serialOut: (_p, b) => { out += String.fromCharCode(...b); } });
  return { vm, serial: () => out };
}
function runToStop(vm: Vm, limit = 50_000_000): StopEvent {
  for (let n = 0; n < limit; n += 100_000) { const s = vm.run(100_000); if (s) return s; }
  throw new Error('no stop');
}
const reg = (vm: Vm, name: string): number => vm.registers(0).flatMap((g) => g.fields).find((f) => f.name === name)!.value >>> 0;

describe('Vm on guest fixtures', function () {
  this.timeout(60_000);

  it('starts at the ELF entry point with the Multiboot registers', () => {
    const { vm } = boot('hello');
    assert.equal(vm.pc(0), fx('hello').entry);
    assert.equal(reg(vm, 'eax'), 0x2badb002);
    assert.equal(vm.imageKind, 'multiboot');
    assert.ok(vm.symbols.some((s) => s.name === '_start' && s.address === fx('hello').entry));
  });

  it('step executes exactly one guest instruction', () => {
    const { vm } = boot('hello');
    const before = vm.icount;
    const pc0 = vm.pc(0);
    let s = vm.step(0);
    // The first step may take the EPT violation that maps the code page: it retires nothing.
    while (vm.icount === before) s = vm.step(0);
    assert.equal(s.kind, 'step');
    assert.equal(vm.icount, before + 1);
    assert.notEqual(vm.pc(0), pc0);
  });

  it('stops at an instruction breakpoint, and continuing executes that instruction', () => {
    const { vm } = boot('hello');
    const at = fx('hello').symbols.serial_putc;
    vm.setInstructionBreakpoints([at]);
    const s = runToStop(vm);
    assert.deepEqual(s, { kind: 'breakpoint', vcpu: 0, address: at });
    const s2 = runToStop(vm);
    assert.equal(s2.kind, 'breakpoint', 'the next call to serial_putc');
    assert.ok(vm.icount > 0);
  });

  it('a breakpoint at a slice boundary still fires (running in one-instruction slices)', () => {
    const { vm } = boot('hello');
    const at = fx('hello').symbols.serial_putc;
    vm.setInstructionBreakpoints([at]);
    let s: StopEvent | null = null;
    for (let k = 0; k < 10_000 && !s; k++) s = vm.run(1);
    assert.deepEqual(s, { kind: 'breakpoint', vcpu: 0, address: at });
  });

  it('stops on a CPUID exit with the guest state in the VMCS; stepping completes the emulation', () => {
    const { vm } = boot('hello');
    vm.setExitFilters([{ id: 'exit.CPUID' }]);
    const s = runToStop(vm);
    assert.equal(s.kind, 'vmexit');
    if (s.kind !== 'vmexit') return;
    assert.equal(s.exit.reasonName, 'CPUID');
    assert.equal(s.exit.reason, 10);
    const v = vm.vmm.vcpus[0].vmcs;
    assert.equal(v.read(VMCS.VM_EXIT_REASON), 10);
    assert.equal(v.read(VMCS.VM_EXIT_INSTRUCTION_LEN), 2);
    assert.equal(vm.pc(0), s.exit.guestRip);
    const vmcsGuest = vm.vmcs(0).find((g) => /Guest-state/.test(g.name))!;
    assert.equal(vmcsGuest.fields.find((f) => f.name === 'GUEST_RIP')!.value >>> 0, s.exit.guestRip);
    const st = vm.step(0);
    assert.equal(st.kind, 'step');
    assert.equal(vm.pc(0), s.exit.guestRip + 2, 'RIP advanced past CPUID by the handler');
    assert.equal(reg(vm, 'eax'), 1, 'max basic leaf of the virtual CPU model');
    assert.equal(reg(vm, 'ebx'), 0x756e6547, '"Genu"');
  });

  it('an I/O exit decodes port, direction and size', () => {
    const { vm } = boot('hello');
    vm.setExitFilters([{ id: 'exit.IO_INSTRUCTION' }]);
    const s = runToStop(vm);
    assert.ok(s.kind === 'vmexit' && s.exit.fields.port === 0x3f9 && s.exit.fields.in === false && s.exit.fields.size === 1, JSON.stringify(s));
  });

  it('a guest #UD stops through the exception bitmap, then is re-injected to the guest handler', () => {
    const { vm, serial } = boot('ud');
    vm.setExitFilters([{ id: 'guest.UD' }]);
    const s = runToStop(vm);
    assert.equal(s.kind, 'vmexit');
    if (s.kind !== 'vmexit') return;
    assert.equal(s.filterId, 'guest.UD');
    assert.equal(s.exit.fields.vector, 6);
    assert.equal(s.exit.guestRip, fx('ud').symbols.ud_insn);
    vm.setExitFilters([]);
    const end = runToStop(vm);
    assert.deepEqual(end, { kind: 'exited', vcpu: 0, status: 13 });
    assert.equal(serial(), `#UD at 0x${fx('ud').symbols.ud_insn.toString(16).padStart(8, '0')}\n`);
  });

  it('a triple fault shuts the VM down and it stays inspectable', () => {
    const { vm } = boot('triple');
    const s = runToStop(vm);
    assert.equal(s.kind, 'shutdown');
    assert.ok(vm.ended);
    assert.equal(vm.vmm.vcpus[0].vmcs.read(VMCS.GUEST_ACTIVITY_STATE), 2);
    assert.ok(vm.registers(0).length > 0);
    assert.equal(vm.run(1000)?.kind, 'shutdown', 'running again reports the same end');
  });

  it('a failed VM-entry check stops the VM and names the field', () => {
    const { vm } = boot('hello');
    vm.vmm.vcpus[0].vmcs.write(VMCS.HOST_CR0, 0x11);
    const s = vm.run(10);
    assert.equal(s?.kind, 'error');
    assert.match(s!.kind === 'error' ? s!.text : '', /VM entry failed: HOST_CR0 .*\[HOST_CR0\] \(VM-instruction error 8\)/);
  });

  it('an invalid guest state fails VM entry with exit reason 33 and names the field', () => {
    const { vm } = boot('hello');
    vm.vmm.vcpus[0].vmcs.write(VMCS.GUEST_RFLAGS, 0);
    const s = vm.run(10);
    assert.match(s!.kind === 'error' ? s!.text : '', /GUEST_RFLAGS.*exit reason 33/);
  });

  it('is deterministic: the same image gives the same icount, exits and output', () => {
    const a = boot('demo'), b = boot('demo');
    const sa = runToStop(a.vm), sb = runToStop(b.vm);
    assert.deepEqual(sa, sb);
    assert.equal(a.vm.icount, b.vm.icount);
    assert.deepEqual(a.vm.exitStats(), b.vm.exitStats());
    assert.equal(a.serial(), b.serial());
  });

  it('reads guest memory through the guest page tables and reports unmapped bytes', () => {
    const { vm } = boot('demo');
    assert.equal(vm.run(20_000), null); // paging is on by now
    const entry = fx('demo').entry;
    const m = vm.readMemory(0, 'gva', entry, 4);
    assert.equal(m.unreadable, 0);
    assert.deepEqual([...m.data], [...vm.readMemory(0, 'gpa', entry, 4).data], 'the demo identity-maps its kernel');
    assert.notDeepEqual([...m.data], [0, 0, 0, 0]);
    const far = vm.readMemory(0, 'gpa', 0x7ffffff0, 32);
    assert.equal(far.data.length, 0);
    assert.equal(far.unreadable, 32);
  });
});
