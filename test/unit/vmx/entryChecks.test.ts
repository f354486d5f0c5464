// VM-entry checks (SDM Vol. 3C 26.2-26.4), table-driven: for every row of hw/vmx/entryChecks.ts a valid
// VMCS (the one the VMM sets up to boot a fixture) gets exactly that row's field broken, and VMLAUNCH must
// fail on that row: VMfailValid with VM-instruction error 7 (controls) or 8 (host state), or a VM exit with
// basic reason 33 and the entry-failure bit (guest state) with the SDM 27.8 qualification, naming the field.
// A few rows need a consistent companion change (e.g. "enable VPID" to test the VPID); those say so.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Vm } from '../../../src/core/machine/vm';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';
import { ENTRY_CHECKS } from '../../../src/core/hw/vmx/entryChecks';
import { CpuBasedControls as P, PinBasedControls as Pin, SecondaryExecControls as S, VmExitControls as Ex } from '../../../src/core/hw/vmx/vmxControls';
import type { Vmcs } from '../../../src/core/hw/vmx/vmcs';

interface Fixture { name: string; path: string }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const hello = fs.readFileSync(manifest.find((f) => f.name === 'hello')!.path);

const SEGS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'];
const SEL = (s: number): number => 0x0800 + 2 * s;
const LIM = (s: number): number => 0x4800 + 2 * s;
const ARF = (s: number): number => 0x4814 + 2 * s;

type Mutate = (v: Vmcs) => void;
const or = (enc: number, bits: number): Mutate => (v) => v.write(enc, (v.read(enc) | bits) >>> 0);
const andNot = (enc: number, bits: number): Mutate => (v) => v.write(enc, (v.read(enc) & ~bits) >>> 0);
const set = (enc: number, val: number): Mutate => (v) => v.write(enc, val >>> 0);
const all = (...m: Mutate[]): Mutate => (v) => m.forEach((f) => f(v));
const INTR = VMCS.VM_ENTRY_INTR_INFO_FIELD;

/** One bad field per check id. */
const CASES: Record<string, Mutate> = {
  pin_based_reserved: or(VMCS.PIN_BASED_VM_EXEC_CONTROL, 1 << 30),
  cpu_based_reserved: or(VMCS.CPU_BASED_VM_EXEC_CONTROL, 1 << 0),
  secondary_reserved: or(VMCS.SECONDARY_VM_EXEC_CONTROL, 1 << 8), // APIC-register virtualization: not in the model
  apic_access_address: all(or(VMCS.SECONDARY_VM_EXEC_CONTROL, S.SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES), set(VMCS.APIC_ACCESS_ADDR, 0x123)),
  cr3_target_count: set(VMCS.CR3_TARGET_COUNT, 5),
  io_bitmap_a_address: or(VMCS.IO_BITMAP_A, 0x10),
  io_bitmap_b_address: or(VMCS.IO_BITMAP_B, 0x10),
  msr_bitmap_address: all(or(VMCS.CPU_BASED_VM_EXEC_CONTROL, P.CPU_BASED_USE_MSR_BITMAPS), set(VMCS.MSR_BITMAP, 0x123)),
  virtual_nmis_need_nmi_exiting: or(VMCS.PIN_BASED_VM_EXEC_CONTROL, Pin.PIN_BASED_VIRTUAL_NMIS),
  nmi_window_needs_virtual_nmis: or(VMCS.CPU_BASED_VM_EXEC_CONTROL, P.CPU_BASED_NMI_WINDOW_EXITING),
  vpid_nonzero: all(or(VMCS.SECONDARY_VM_EXEC_CONTROL, S.SECONDARY_EXEC_ENABLE_VPID), set(VMCS.VIRTUAL_PROCESSOR_ID, 0)),
  eptp_type_walk: andNot(VMCS.EPT_POINTER, 7),
  eptp_address: or(VMCS.EPT_POINTER, 0x80),
  unrestricted_needs_ept: andNot(VMCS.SECONDARY_VM_EXEC_CONTROL, S.SECONDARY_EXEC_ENABLE_EPT),
  exit_reserved: andNot(VMCS.VM_EXIT_CONTROLS, 1),
  save_preemption_needs_timer: or(VMCS.VM_EXIT_CONTROLS, Ex.VM_EXIT_SAVE_VMX_PREEMPTION_TIMER),
  exit_msr_store_address: all(set(VMCS.VM_EXIT_MSR_STORE_COUNT, 1), set(VMCS.VM_EXIT_MSR_STORE_ADDR, 0x1003)),
  exit_msr_load_address: all(set(VMCS.VM_EXIT_MSR_LOAD_COUNT, 1), set(VMCS.VM_EXIT_MSR_LOAD_ADDR, 0x1005)),
  entry_reserved: andNot(VMCS.VM_ENTRY_CONTROLS, 1),
  entry_intr_type: set(INTR, 0x80000000 | (1 << 8) | 0x20),
  entry_intr_vector: set(INTR, 0x80000000 | (2 << 8) | 3),
  entry_intr_error_code: set(INTR, 0x80000000 | (3 << 8) | 0x800 | 6),
  entry_exception_error_code: all(set(INTR, 0x80000000 | (3 << 8) | 0x800 | 13), set(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10000)),
  entry_instruction_length: all(set(INTR, 0x80000000 | (4 << 8) | 0x80), set(VMCS.VM_ENTRY_INSTRUCTION_LEN, 0)),
  entry_msr_load_address: all(set(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 1), set(VMCS.VM_ENTRY_MSR_LOAD_ADDR, 0x1008)),
  host_cr0_fixed: andNot(VMCS.HOST_CR0, 0x20),
  host_cr4_fixed: or(VMCS.HOST_CR4, 1 << 20),
  host_pat: set(VMCS.HOST_IA32_PAT, 0x02),
  host_selector_rpl_ti: or(VMCS.HOST_DS_SELECTOR, 3),
  host_cs_null: set(VMCS.HOST_CS_SELECTOR, 0),
  host_tr_null: set(VMCS.HOST_TR_SELECTOR, 0),
  host_ss_null: set(VMCS.HOST_SS_SELECTOR, 0),
  guest_cr0_fixed: andNot(VMCS.GUEST_CR0, 0x20),
  guest_cr0_pg_without_pe: (v) => v.write(VMCS.GUEST_CR0, ((v.read(VMCS.GUEST_CR0) & ~1) | 0x80000000) >>> 0),
  guest_cr4_fixed: andNot(VMCS.GUEST_CR4, 0x2000),
  guest_debugctl: set(VMCS.GUEST_IA32_DEBUGCTL, 4),
  guest_pat: set(VMCS.GUEST_IA32_PAT, 3),
  guest_efer: set(VMCS.GUEST_IA32_EFER, 0x100),
  guest_tr_type: (v) => v.write(ARF(7), (v.read(ARF(7)) & ~0xf) | 9),
  guest_tr_ti: or(SEL(7), 4),
  guest_ldtr: all(set(SEL(6), 0x28), set(LIM(6), 0x17), set(ARF(6), 0x83)), // a usable LDTR with a TSS type
  guest_cs_type: andNot(ARF(1), 1),
  guest_cs_dpl: or(ARF(1), 0x60),
  guest_ss_rpl: or(SEL(2), 3),
  guest_ss_type: (v) => v.write(ARF(2), (v.read(ARF(2)) & ~0xf) | 1),
  guest_gdtr_limit: set(VMCS.GUEST_GDTR_LIMIT, 0x10000),
  guest_idtr_limit: set(VMCS.GUEST_IDTR_LIMIT, 0x10000),
  guest_rflags_reserved: or(VMCS.GUEST_RFLAGS, 8),
  guest_rflags_if_for_interrupt: all(andNot(VMCS.GUEST_RFLAGS, 0x200), set(INTR, 0x80000000 | 0x20)),
  guest_activity_state: set(VMCS.GUEST_ACTIVITY_STATE, 4),
  // A consistent ring-3 guest (CS and SS at DPL/RPL 3) that is halted.
  guest_hlt_needs_dpl0: all(or(SEL(1), 3), or(ARF(1), 0x60), or(SEL(2), 3), or(ARF(2), 0x60), set(VMCS.GUEST_ACTIVITY_STATE, 1)),
  guest_interruptibility_reserved: set(VMCS.GUEST_INTERRUPTIBILITY_INFO, 3),
  guest_sti_blocking_needs_if: all(andNot(VMCS.GUEST_RFLAGS, 0x200), set(VMCS.GUEST_INTERRUPTIBILITY_INFO, 1)),
  guest_blocking_vs_injection: all(set(VMCS.GUEST_INTERRUPTIBILITY_INFO, 2), set(INTR, 0x80000000 | (2 << 8) | 2)),
  guest_pending_debug_reserved: set(VMCS.GUEST_PENDING_DBG_EXCEPTIONS, 0x10),
  vmcs_link_pointer: set(VMCS.VMCS_LINK_POINTER, 0),
};
for (const s of [0, 3, 4, 5]) {
  CASES[`guest_${SEGS[s].toLowerCase()}_type`] = andNot(ARF(s), 1);
  CASES[`guest_${SEGS[s].toLowerCase()}_dpl`] = or(SEL(s), 3);
}
for (let s = 0; s < 8; s++) {
  const n = SEGS[s].toLowerCase();
  // Flat segments (G = 1, limit 4 GiB - 1) lose G; TR (byte granular, limit 0x67) gains it; LDTR is made usable first.
  CASES[`guest_${n}_limit_g`] = s === 6 ? all(set(ARF(6), 0x8082), set(LIM(6), 0x67))
    : s === 7 ? or(ARF(7), 0x8000) : andNot(ARF(s), 0x8000);
  CASES[`guest_${n}_ar_reserved`] = s === 6 ? all(set(ARF(6), 0x182), set(LIM(6), 0x17)) : or(ARF(s), 0x100);
}
for (let k = 0; k < 4; k++) {
  // PAE paging with EPT: the PDPTEs come from the VMCS; one has reserved bit 1 set.
  CASES[`guest_pdpte${k}_reserved`] = all(or(VMCS.GUEST_CR0, 0x80000001), or(VMCS.GUEST_CR4, 0x20), set(VMCS.GUEST_PDPTR0 + 2 * k, 0x1003));
}

/** Privilege checks apply only without "unrestricted guest": those cases run on the shadow-paging VMCS. */
const RESTRICTED = new Set(['guest_cs_dpl', 'guest_ss_rpl', 'guest_ds_dpl', 'guest_es_dpl', 'guest_fs_dpl', 'guest_gs_dpl']);

function freshVm(mmu: 'ept' | 'shadow' = 'ept'): Vm {
  return Vm.fromImage(hello, 'hello', { memMiB: 4, mmu }, { serialOut: () => undefined });
}

describe('VMX: VM-entry checks, one bad field each (SDM 26.2-26.3)', function () {
  this.timeout(120_000);

  it('the untouched VMCS enters (EPT with unrestricted guest, and shadow paging)', () => {
    assert.equal(freshVm().vmm.vcpus[0].vmx.vmentry(true), undefined);
    assert.equal(freshVm('shadow').vmm.vcpus[0].vmx.vmentry(true), undefined);
  });

  it('every check in the table has a case here', () => {
    const missing = ENTRY_CHECKS.map((c) => c.id).filter((id) => !CASES[id]);
    assert.deepEqual(missing, []);
    assert.equal(new Set(ENTRY_CHECKS.map((c) => c.id)).size, ENTRY_CHECKS.length, 'unique ids');
  });

  for (const check of ENTRY_CHECKS) {
    it(`${check.id}: ${check.stage === 'control' ? 'VM-instruction error 7' : check.stage === 'host' ? 'VM-instruction error 8' : `exit 33 (qualification ${check.qualification ?? 0})`} naming ${check.field}`, () => {
      const vm = freshVm(RESTRICTED.has(check.id) ? 'shadow' : 'ept');
      const vcpu = vm.vmm.vcpus[0];
      CASES[check.id](vcpu.vmcs);
      const fail = vcpu.vmx.vmentry(true);
      assert.ok(fail, 'VM entry must fail');
      assert.equal(fail.check, check.text, 'the failing check');
      assert.equal(fail.field, check.field);
      if (check.stage === 'guest') {
        assert.equal(fail.kind, 'exit');
        assert.equal(vcpu.vmcs.read(VMCS.VM_EXIT_REASON), (0x80000000 | 33) >>> 0);
        assert.equal(vcpu.vmcs.read(VMCS.EXIT_QUALIFICATION), check.qualification ?? 0);
      } else {
        assert.equal(fail.kind, 'vmfail');
        assert.equal(vcpu.vmcs.read(VMCS.VM_INSTRUCTION_ERROR), check.stage === 'control' ? 7 : 8);
      }
      assert.equal(vcpu.cpu.nonRoot, false, 'still in root operation');
      assert.equal(vcpu.vmcs.launchState, 'clear');
    });
  }

  it('VM-entry MSR-load area: loaded in order; a bad entry fails with exit 34 and its number', () => {
    const vm = freshVm();
    const vcpu = vm.vmm.vcpus[0];
    const mem = vm.vmm.host;
    const area = vm.vmm.host.allocPages(1);
    const entry = (k: number, index: number, lo: number, reserved = 0): void => {
      mem.write32((area + 16 * k) as never, index); mem.write32((area + 16 * k + 4) as never, reserved);
      mem.write32((area + 16 * k + 8) as never, lo); mem.write32((area + 16 * k + 12) as never, 0);
    };
    entry(0, 0x174, 0x08); // IA32_SYSENTER_CS
    entry(1, 0xc0000080, 0x800); // IA32_EFER.NXE (the host state does not load EFER here)
    vcpu.vmcs.write(VMCS.VM_ENTRY_MSR_LOAD_ADDR, area);
    vcpu.vmcs.write(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 2);
    entry(2, 0xc0000100, 0); // IA32_FS_BASE: never in the list
    vcpu.vmcs.write(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 3);
    const fail = vcpu.vmx.vmentry(true);
    assert.equal(fail?.kind, 'exit');
    assert.equal(vcpu.vmcs.read(VMCS.VM_EXIT_REASON), (0x80000000 | 34) >>> 0);
    assert.equal(vcpu.vmcs.read(VMCS.EXIT_QUALIFICATION), 3);
    assert.equal(vcpu.cpu.efer, 0x800, 'the entries before the bad one were loaded');
    assert.equal(vcpu.cpu.nonRoot, false, 'back in root operation with the host state');
    assert.equal(vcpu.cpu.eip, vcpu.vmcs.read(VMCS.HOST_RIP) | 0);
    const vm2 = freshVm();
    const v2 = vm2.vmm.vcpus[0];
    const a2 = vm2.vmm.host.allocPages(1);
    vm2.vmm.host.write32(a2 as never, 0x175); vm2.vmm.host.write32((a2 + 8) as never, 0x9000);
    v2.vmcs.write(VMCS.VM_ENTRY_MSR_LOAD_ADDR, a2);
    v2.vmcs.write(VMCS.VM_ENTRY_MSR_LOAD_COUNT, 1);
    assert.equal(v2.vmx.vmentry(true), undefined);
    assert.equal(v2.cpu.sysenterEsp, 0x9000);
  });
});
