// teachos under our VMM, as a user runs it: `vmm-debug run build/guests/teachos.img` boots the disk
// image through the paravirtual BIOS (boot sector, INT 13h/15h, protected mode), with 1 and 2 vCPUs,
// and every self-test passes; the same kernel booted as a Multiboot ELF with the image as its disk
// (`run teachos.elf --disk teachos.img`) passes under shadow paging too and prints the same, and
// two runs print exactly the same (determinism: time is the instruction count). The disk image
// also boots under shadow paging, lazy and eager (its real-mode start runs on EPT until CR0.PE,
// vmm/realModeHandoff.ts), and prints exactly what it prints under EPT.
//
// Also the end-to-end check of shadow paging with several vCPUs: an AP turning paging on zaps
// every shadow page, and the BSP must reload its roots (KVM_REQ_MMU_RELOAD, src/core/vmm/vmm.ts).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { TEACHOS_ELF, TEACHOS_IMAGE, assertAllPassed, withoutBootLine } from './teachosExpected';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', ...args], { encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('teachos under vmm-debug', function () {
  this.timeout(900_000);
  const disk = new Map<number, string>();

  for (const smp of [1, 2]) {
    it(`run teachos.img --smp ${smp} (EPT): boots from the disk image, every self-test passes`, () => {
      const r = run([TEACHOS_IMAGE, '--smp', String(smp), '--mmu', 'ept']);
      assertAllPassed(r.stdout, smp, `teachos.img --smp ${smp}`);
      assert.ok(r.stdout.includes('boot: from the teachos boot sector'), r.stdout);
      assert.equal(r.status, 1, r.stderr);
      disk.set(smp, r.stdout);
    });

    for (const mmu of ['shadow-lazy', 'shadow-eager']) {
      it(`run teachos.img --smp ${smp} --mmu ${mmu}: exactly the output of EPT`, function () {
        if (!disk.has(smp)) this.skip();
        const r = run([TEACHOS_IMAGE, '--smp', String(smp), '--mmu', mmu, '--exit-stats']);
        assert.equal(r.stdout, disk.get(smp), r.stderr);
        assert.equal(r.status, 1, r.stderr);
        // The textbook difference: shadow paging traps CR3 loads and INVLPG, EPT does not.
        assert.match(r.stderr, /CR_ACCESS\s+\d+/);
      });
    }

    it(`run teachos.elf --disk teachos.img --smp ${smp} --mmu shadow: same self-test, same output as EPT apart from the boot line`, () => {
      const r = run([TEACHOS_ELF, '--disk', TEACHOS_IMAGE, '--smp', String(smp), '--mmu', 'shadow']);
      assertAllPassed(r.stdout, smp, `teachos.elf --smp ${smp} --mmu shadow`);
      assert.ok(r.stdout.includes('boot: from a Multiboot loader\n'), r.stdout);
      assert.equal(r.status, 1, r.stderr);
      if (disk.has(smp)) assert.equal(withoutBootLine(r.stdout), withoutBootLine(disk.get(smp)!));
    });
  }

  it('run teachos.img --smp 2 again: exactly the same output (deterministic SMP)', function () {
    if (!disk.has(2)) this.skip();
    const r = run([TEACHOS_IMAGE, '--smp', '2']);
    assert.equal(r.stdout, disk.get(2));
    assert.equal(r.status, 1, r.stderr);
  });
});
