// IDT-vectoring information (SDM Vol. 3C 27.2.4) and re-injection (KVM's vmx_complete_interrupts): the
// timer guest is halted waiting for IRQ0 when the EPT entry of the page holding its IDT is removed. The
// next timer interrupt, injected at VM entry, exits with an EPT violation while the processor reads the
// gate: the exit reports the interrupt in IDT-vectoring information, the VMM maps the page and injects the
// interrupt again, and the guest loses no tick (every interrupt the PIC acknowledged reached the handler).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';
import type { Vmm } from '../../../src/core/vmm/vmm';

interface Fixture { name: string; path: string; symbols: Record<string, number> }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));

/** Remove the EPT leaf mapping of one guest-physical page (what a balloon or a migration would do). */
function eptUnmap(vmm: Vmm, gpa: number): void {
  const mem = vmm.host;
  let table = vmm.ept.root as number;
  for (let level = 4; level > 1; level--) {
    const idx = level === 4 ? 0 : (gpa >>> (12 + 9 * (level - 1))) & 511;
    table = mem.read32((table + idx * 8) as never) & ~0xfff;
  }
  mem.write32((table + ((gpa >>> 12) & 511) * 8) as never, 0);
  for (const v of vmm.vcpus) v.cpu.mmu.flushAll();
}

describe('VMX: an interrupt whose delivery exits is re-injected (IDT-vectoring information)', function () {
  this.timeout(60_000);

  it('EPT violation on the IDT while delivering IRQ0: vectoring info reported, the interrupt re-injected, no tick lost', () => {
    const fx = manifest.find((f) => f.name === 'timer')!;
    let serial = '';
    const vm = Vm.fromImage(fs.readFileSync(fx.path), 'timer', {}, { serialOut: (_p, b) => { serial += String.fromCharCode(...b); } });
    const vmm = vm.vmm;
    const v = vmm.vcpus[0].vmcs;
    // Count the interrupts the PIC hands to the CPU (the INTA cycles).
    let acked = 0;
    const chip = vmm.irqChip!;
    const ack = chip.acknowledge.bind(chip);
    chip.acknowledge = () => { acked++; return ack(); };
    const vectored: { gpa: number; idt: number }[] = [];
    vmm.exitTrace = (e) => {
      if (e.reason === ExitReason.EPT_VIOLATION && (v.read(VMCS.IDT_VECTORING_INFO_FIELD) & 0x80000000)) {
        vectored.push({ gpa: v.read(VMCS.GUEST_PHYSICAL_ADDRESS) >>> 0, idt: v.read(VMCS.IDT_VECTORING_INFO_FIELD) >>> 0 });
      }
    };
    // Run until the guest first waits at its HLT with IF = 1, then unmap the IDT's page.
    vm.setInstructionBreakpoints([fx.symbols.halt_insn]);
    let s = vm.run(5_000_000);
    assert.equal(s?.kind, 'breakpoint', JSON.stringify(s));
    vm.setInstructionBreakpoints([]);
    const idt = vm.symbols.find((x) => x.name === 'idt');
    assert.ok(idt, 'the timer guest has an idt symbol');
    const idtPage = idt.address & ~0xfff;
    eptUnmap(vmm, idtPage);
    for (let n = 0; n < 500 && !(s = vm.run(100_000)); n++) { /* run to the end */ }
    assert.deepEqual(s, { kind: 'exited', vcpu: 0, status: 1 }, serial);
    assert.match(serial, /spinning, ticks: 12/);
    assert.ok(vectored.length >= 1, 'an EPT violation during event delivery');
    assert.equal(vectored[0].gpa & ~0xfff, idtPage);
    assert.equal(vectored[0].idt, 0x80000020, 'IDT-vectoring: valid, external interrupt (type 0), vector 0x20');
    const ticks = vmm.memory.read32(fx.symbols.ticks)!;
    assert.equal(ticks, acked, `every acknowledged interrupt reached the handler (ticks ${ticks}, INTA ${acked})`);
  });
});
