// Issue 3, "Proof of correctness 3": the guest self-test programs of the IA-32 system architecture
// (test/guests/cpu-*), run as a user would with `node bin/vmm-debug.js run`. Each prints PASS/FAIL
// lines on COM1 and exits through isa-debug-exit; the same binaries pass under QEMU
// (qemu-system-i386 -kernel, see test/guests/README.md), so they test x86, not our reading of it.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

interface Fixture { name: string; path: string; outcome: string; expectedStatus: number | null; expectedSerial?: string }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));

function run(image: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', image], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CPU self-tests in the guest (issue 3)', function () {
  this.timeout(120_000);
  const selftests = manifest.filter((f) => f.name.startsWith('cpu-') && f.name !== 'cpu-bench');

  it('has the self-test fixtures in the manifest', () => {
    assert.ok(selftests.some((f) => f.name === 'cpu-selftest'), 'cpu-selftest missing from build/guests/manifest.json');
  });

  for (const f of selftests) {
    it(`${f.name}: no FAIL lines and the expected exit`, () => {
      const r = run(f.path);
      const fails = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      assert.deepEqual(fails, [], r.stdout + r.stderr);
      if (f.outcome === 'exit') {
        assert.ok(/^PASS /m.test(r.stdout), r.stdout);
        assert.equal(r.status, 1, `exit status ${r.status}\n${r.stdout}${r.stderr}`);
      } else {
        assert.equal(r.status, 0, r.stderr); // triple fault: the VM shut down
        if (f.expectedSerial !== undefined) assert.equal(r.stdout, f.expectedSerial);
      }
    });
  }

  it('cpu-selftest covers the system architecture the issue names', () => {
    const r = run('build/guests/cpu-selftest.elf');
    for (const name of [
      'ring3_hlt_gp', 'ring3_load_dpl0_ds_gp', 'ds_not_present_np', 'ss_read_only_gp', 'expand_down_below_limit_gp',
      'pf_user_read_supervisor_page', 'pf_supervisor_write_read_only_wp1', 'accessed_dirty_bits', 'tlb_stale_until_invlpg_and_cr3',
      'tlb_pge_toggle_flushes_global', 'tss_stack_switch_on_int_from_ring3', 'call_gate_to_ring0_with_params',
      'double_fault_gp_then_np', 'tf_single_step_traps', 'dr0_instruction_breakpoint_fault', 'dr1_data_write_breakpoint_trap',
      'lar_kernel_code', 'sysenter_sysexit', 'pae_paging_on', 'pae_nx_fetch_pf_id', 'pae_pf_reserved_bit',
      'ss_not_present_ss', 'ss_push_beyond_stack_limit_ss', 'rf_set_in_fault_frame_no_breakpoint_refire', 'io_breakpoint_trap_after_out',
    ]) assert.match(r.stdout, new RegExp(`^PASS ${name}$`, 'm'), `${name} did not pass:\n${r.stdout}`);
    assert.match(r.stdout, /^INFO global entry after CR3 load: kept \(stale\)$/m);
    assert.doesNotMatch(r.stdout, /^INFO pae_pf_reserved_bit/m, 'the SDM error code (P with RSVD) on our CPU');
  });
});
