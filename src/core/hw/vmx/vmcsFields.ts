// VMCS field encodings: every component of Intel SDM Vol. 3D Appendix B ("Field Encoding in VMCS"),
// named as KVM names them (arch/x86/include/asm/vmx.h, `enum vmcs_field`). Fields KVM does not name
// use the SDM wording in KVM's style (EPTP_INDEX, GUEST_SMBASE, IO_RCX, ...).
//
// The encoding itself carries width and type (SDM Vol. 3C 25.11.2, table "Structure of VMCS
// Component Encoding"):
//   bit 0      access type: 0 = full, 1 = high (only for 64-bit fields: the upper 32 bits)
//   bits 9:1   index
//   bits 11:10 type: 0 control, 1 VM-exit information (read-only data), 2 guest state, 3 host state
//   bit 12     reserved, must be 0
//   bits 14:13 width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural-width
//   bits 31:15 reserved, must be 0
// Appendix B lists fields by width (16, 64, 32, natural), then type, then index, which is exactly
// ascending numeric order of the full encodings; VMCS_FIELDS keeps that order.
//
// The modelled processor is IA-32 without Intel 64, so natural-width fields are 32 bits wide
// (SDM 25.11.2: natural-width fields have 32 bits on processors that do not support Intel 64).

/** Every field by name. 64-bit fields also have a `_HIGH` name for their upper 32 bits (encoding | 1). */
export const VMCS = {
  // ---- B.1.1 16-bit control fields
  VIRTUAL_PROCESSOR_ID: 0x0000,
  POSTED_INTR_NV: 0x0002,
  EPTP_INDEX: 0x0004,
  HLAT_PREFIX_SIZE: 0x0006,
  LAST_PID_POINTER_INDEX: 0x0008,
  // ---- B.1.2 16-bit guest-state fields
  GUEST_ES_SELECTOR: 0x0800,
  GUEST_CS_SELECTOR: 0x0802,
  GUEST_SS_SELECTOR: 0x0804,
  GUEST_DS_SELECTOR: 0x0806,
  GUEST_FS_SELECTOR: 0x0808,
  GUEST_GS_SELECTOR: 0x080a,
  GUEST_LDTR_SELECTOR: 0x080c,
  GUEST_TR_SELECTOR: 0x080e,
  GUEST_INTR_STATUS: 0x0810,
  GUEST_PML_INDEX: 0x0812,
  GUEST_UINV: 0x0814,
  // ---- B.1.3 16-bit host-state fields
  HOST_ES_SELECTOR: 0x0c00,
  HOST_CS_SELECTOR: 0x0c02,
  HOST_SS_SELECTOR: 0x0c04,
  HOST_DS_SELECTOR: 0x0c06,
  HOST_FS_SELECTOR: 0x0c08,
  HOST_GS_SELECTOR: 0x0c0a,
  HOST_TR_SELECTOR: 0x0c0c,

  // ---- B.2.1 64-bit control fields
  IO_BITMAP_A: 0x2000,
  IO_BITMAP_A_HIGH: 0x2001,
  IO_BITMAP_B: 0x2002,
  IO_BITMAP_B_HIGH: 0x2003,
  MSR_BITMAP: 0x2004,
  MSR_BITMAP_HIGH: 0x2005,
  VM_EXIT_MSR_STORE_ADDR: 0x2006,
  VM_EXIT_MSR_STORE_ADDR_HIGH: 0x2007,
  VM_EXIT_MSR_LOAD_ADDR: 0x2008,
  VM_EXIT_MSR_LOAD_ADDR_HIGH: 0x2009,
  VM_ENTRY_MSR_LOAD_ADDR: 0x200a,
  VM_ENTRY_MSR_LOAD_ADDR_HIGH: 0x200b,
  EXECUTIVE_VMCS_POINTER: 0x200c,
  EXECUTIVE_VMCS_POINTER_HIGH: 0x200d,
  PML_ADDRESS: 0x200e,
  PML_ADDRESS_HIGH: 0x200f,
  TSC_OFFSET: 0x2010,
  TSC_OFFSET_HIGH: 0x2011,
  VIRTUAL_APIC_PAGE_ADDR: 0x2012,
  VIRTUAL_APIC_PAGE_ADDR_HIGH: 0x2013,
  APIC_ACCESS_ADDR: 0x2014,
  APIC_ACCESS_ADDR_HIGH: 0x2015,
  POSTED_INTR_DESC_ADDR: 0x2016,
  POSTED_INTR_DESC_ADDR_HIGH: 0x2017,
  VM_FUNCTION_CONTROL: 0x2018,
  VM_FUNCTION_CONTROL_HIGH: 0x2019,
  EPT_POINTER: 0x201a,
  EPT_POINTER_HIGH: 0x201b,
  EOI_EXIT_BITMAP0: 0x201c,
  EOI_EXIT_BITMAP0_HIGH: 0x201d,
  EOI_EXIT_BITMAP1: 0x201e,
  EOI_EXIT_BITMAP1_HIGH: 0x201f,
  EOI_EXIT_BITMAP2: 0x2020,
  EOI_EXIT_BITMAP2_HIGH: 0x2021,
  EOI_EXIT_BITMAP3: 0x2022,
  EOI_EXIT_BITMAP3_HIGH: 0x2023,
  EPTP_LIST_ADDRESS: 0x2024,
  EPTP_LIST_ADDRESS_HIGH: 0x2025,
  VMREAD_BITMAP: 0x2026,
  VMREAD_BITMAP_HIGH: 0x2027,
  VMWRITE_BITMAP: 0x2028,
  VMWRITE_BITMAP_HIGH: 0x2029,
  VE_INFORMATION_ADDRESS: 0x202a,
  VE_INFORMATION_ADDRESS_HIGH: 0x202b,
  XSS_EXIT_BITMAP: 0x202c,
  XSS_EXIT_BITMAP_HIGH: 0x202d,
  ENCLS_EXITING_BITMAP: 0x202e,
  ENCLS_EXITING_BITMAP_HIGH: 0x202f,
  SPPT_POINTER: 0x2030,
  SPPT_POINTER_HIGH: 0x2031,
  TSC_MULTIPLIER: 0x2032,
  TSC_MULTIPLIER_HIGH: 0x2033,
  TERTIARY_VM_EXEC_CONTROL: 0x2034,
  TERTIARY_VM_EXEC_CONTROL_HIGH: 0x2035,
  ENCLV_EXITING_BITMAP: 0x2036,
  ENCLV_EXITING_BITMAP_HIGH: 0x2037,
  LOW_PASID_DIRECTORY: 0x2038,
  LOW_PASID_DIRECTORY_HIGH: 0x2039,
  HIGH_PASID_DIRECTORY: 0x203a,
  HIGH_PASID_DIRECTORY_HIGH: 0x203b,
  SHARED_EPT_POINTER: 0x203c,
  SHARED_EPT_POINTER_HIGH: 0x203d,
  PCONFIG_EXITING_BITMAP: 0x203e,
  PCONFIG_EXITING_BITMAP_HIGH: 0x203f,
  HLATP: 0x2040,
  HLATP_HIGH: 0x2041,
  PID_POINTER_TABLE: 0x2042,
  PID_POINTER_TABLE_HIGH: 0x2043,
  SECONDARY_VM_EXIT_CONTROLS: 0x2044,
  SECONDARY_VM_EXIT_CONTROLS_HIGH: 0x2045,
  IA32_SPEC_CTRL_MASK: 0x204a,
  IA32_SPEC_CTRL_MASK_HIGH: 0x204b,
  IA32_SPEC_CTRL_SHADOW: 0x204c,
  IA32_SPEC_CTRL_SHADOW_HIGH: 0x204d,
  INJECTED_EVENT_DATA: 0x2052,
  INJECTED_EVENT_DATA_HIGH: 0x2053,
  // ---- B.2.2 64-bit read-only data fields
  GUEST_PHYSICAL_ADDRESS: 0x2400,
  GUEST_PHYSICAL_ADDRESS_HIGH: 0x2401,
  ORIGINAL_EVENT_DATA: 0x2404,
  ORIGINAL_EVENT_DATA_HIGH: 0x2405,
  // ---- B.2.3 64-bit guest-state fields
  VMCS_LINK_POINTER: 0x2800,
  VMCS_LINK_POINTER_HIGH: 0x2801,
  GUEST_IA32_DEBUGCTL: 0x2802,
  GUEST_IA32_DEBUGCTL_HIGH: 0x2803,
  GUEST_IA32_PAT: 0x2804,
  GUEST_IA32_PAT_HIGH: 0x2805,
  GUEST_IA32_EFER: 0x2806,
  GUEST_IA32_EFER_HIGH: 0x2807,
  GUEST_IA32_PERF_GLOBAL_CTRL: 0x2808,
  GUEST_IA32_PERF_GLOBAL_CTRL_HIGH: 0x2809,
  GUEST_PDPTR0: 0x280a,
  GUEST_PDPTR0_HIGH: 0x280b,
  GUEST_PDPTR1: 0x280c,
  GUEST_PDPTR1_HIGH: 0x280d,
  GUEST_PDPTR2: 0x280e,
  GUEST_PDPTR2_HIGH: 0x280f,
  GUEST_PDPTR3: 0x2810,
  GUEST_PDPTR3_HIGH: 0x2811,
  GUEST_BNDCFGS: 0x2812,
  GUEST_BNDCFGS_HIGH: 0x2813,
  GUEST_IA32_RTIT_CTL: 0x2814,
  GUEST_IA32_RTIT_CTL_HIGH: 0x2815,
  GUEST_IA32_LBR_CTL: 0x2816,
  GUEST_IA32_LBR_CTL_HIGH: 0x2817,
  GUEST_IA32_PKRS: 0x2818,
  GUEST_IA32_PKRS_HIGH: 0x2819,
  GUEST_IA32_FRED_CONFIG: 0x281a,
  GUEST_IA32_FRED_CONFIG_HIGH: 0x281b,
  GUEST_IA32_FRED_RSP1: 0x281c,
  GUEST_IA32_FRED_RSP1_HIGH: 0x281d,
  GUEST_IA32_FRED_RSP2: 0x281e,
  GUEST_IA32_FRED_RSP2_HIGH: 0x281f,
  GUEST_IA32_FRED_RSP3: 0x2820,
  GUEST_IA32_FRED_RSP3_HIGH: 0x2821,
  GUEST_IA32_FRED_STKLVLS: 0x2822,
  GUEST_IA32_FRED_STKLVLS_HIGH: 0x2823,
  GUEST_IA32_FRED_SSP1: 0x2824,
  GUEST_IA32_FRED_SSP1_HIGH: 0x2825,
  GUEST_IA32_FRED_SSP2: 0x2826,
  GUEST_IA32_FRED_SSP2_HIGH: 0x2827,
  GUEST_IA32_FRED_SSP3: 0x2828,
  GUEST_IA32_FRED_SSP3_HIGH: 0x2829,
  // ---- B.2.4 64-bit host-state fields
  HOST_IA32_PAT: 0x2c00,
  HOST_IA32_PAT_HIGH: 0x2c01,
  HOST_IA32_EFER: 0x2c02,
  HOST_IA32_EFER_HIGH: 0x2c03,
  HOST_IA32_PERF_GLOBAL_CTRL: 0x2c04,
  HOST_IA32_PERF_GLOBAL_CTRL_HIGH: 0x2c05,
  HOST_IA32_PKRS: 0x2c06,
  HOST_IA32_PKRS_HIGH: 0x2c07,
  HOST_IA32_FRED_CONFIG: 0x2c08,
  HOST_IA32_FRED_CONFIG_HIGH: 0x2c09,
  HOST_IA32_FRED_RSP1: 0x2c0a,
  HOST_IA32_FRED_RSP1_HIGH: 0x2c0b,
  HOST_IA32_FRED_RSP2: 0x2c0c,
  HOST_IA32_FRED_RSP2_HIGH: 0x2c0d,
  HOST_IA32_FRED_RSP3: 0x2c0e,
  HOST_IA32_FRED_RSP3_HIGH: 0x2c0f,
  HOST_IA32_FRED_STKLVLS: 0x2c10,
  HOST_IA32_FRED_STKLVLS_HIGH: 0x2c11,
  HOST_IA32_FRED_SSP1: 0x2c12,
  HOST_IA32_FRED_SSP1_HIGH: 0x2c13,
  HOST_IA32_FRED_SSP2: 0x2c14,
  HOST_IA32_FRED_SSP2_HIGH: 0x2c15,
  HOST_IA32_FRED_SSP3: 0x2c16,
  HOST_IA32_FRED_SSP3_HIGH: 0x2c17,

  // ---- B.3.1 32-bit control fields
  PIN_BASED_VM_EXEC_CONTROL: 0x4000,
  CPU_BASED_VM_EXEC_CONTROL: 0x4002,
  EXCEPTION_BITMAP: 0x4004,
  PAGE_FAULT_ERROR_CODE_MASK: 0x4006,
  PAGE_FAULT_ERROR_CODE_MATCH: 0x4008,
  CR3_TARGET_COUNT: 0x400a,
  VM_EXIT_CONTROLS: 0x400c,
  VM_EXIT_MSR_STORE_COUNT: 0x400e,
  VM_EXIT_MSR_LOAD_COUNT: 0x4010,
  VM_ENTRY_CONTROLS: 0x4012,
  VM_ENTRY_MSR_LOAD_COUNT: 0x4014,
  VM_ENTRY_INTR_INFO_FIELD: 0x4016,
  VM_ENTRY_EXCEPTION_ERROR_CODE: 0x4018,
  VM_ENTRY_INSTRUCTION_LEN: 0x401a,
  TPR_THRESHOLD: 0x401c,
  SECONDARY_VM_EXEC_CONTROL: 0x401e,
  PLE_GAP: 0x4020,
  PLE_WINDOW: 0x4022,
  NOTIFY_WINDOW: 0x4024,
  // ---- B.3.2 32-bit read-only data fields
  VM_INSTRUCTION_ERROR: 0x4400,
  VM_EXIT_REASON: 0x4402,
  VM_EXIT_INTR_INFO: 0x4404,
  VM_EXIT_INTR_ERROR_CODE: 0x4406,
  IDT_VECTORING_INFO_FIELD: 0x4408,
  IDT_VECTORING_ERROR_CODE: 0x440a,
  VM_EXIT_INSTRUCTION_LEN: 0x440c,
  VMX_INSTRUCTION_INFO: 0x440e,
  // ---- B.3.3 32-bit guest-state fields
  GUEST_ES_LIMIT: 0x4800,
  GUEST_CS_LIMIT: 0x4802,
  GUEST_SS_LIMIT: 0x4804,
  GUEST_DS_LIMIT: 0x4806,
  GUEST_FS_LIMIT: 0x4808,
  GUEST_GS_LIMIT: 0x480a,
  GUEST_LDTR_LIMIT: 0x480c,
  GUEST_TR_LIMIT: 0x480e,
  GUEST_GDTR_LIMIT: 0x4810,
  GUEST_IDTR_LIMIT: 0x4812,
  GUEST_ES_AR_BYTES: 0x4814,
  GUEST_CS_AR_BYTES: 0x4816,
  GUEST_SS_AR_BYTES: 0x4818,
  GUEST_DS_AR_BYTES: 0x481a,
  GUEST_FS_AR_BYTES: 0x481c,
  GUEST_GS_AR_BYTES: 0x481e,
  GUEST_LDTR_AR_BYTES: 0x4820,
  GUEST_TR_AR_BYTES: 0x4822,
  GUEST_INTERRUPTIBILITY_INFO: 0x4824,
  GUEST_ACTIVITY_STATE: 0x4826,
  GUEST_SMBASE: 0x4828,
  GUEST_SYSENTER_CS: 0x482a,
  VMX_PREEMPTION_TIMER_VALUE: 0x482e,
  // ---- B.3.4 32-bit host-state field
  HOST_IA32_SYSENTER_CS: 0x4c00,

  // ---- B.4.1 natural-width control fields
  CR0_GUEST_HOST_MASK: 0x6000,
  CR4_GUEST_HOST_MASK: 0x6002,
  CR0_READ_SHADOW: 0x6004,
  CR4_READ_SHADOW: 0x6006,
  CR3_TARGET_VALUE0: 0x6008,
  CR3_TARGET_VALUE1: 0x600a,
  CR3_TARGET_VALUE2: 0x600c,
  CR3_TARGET_VALUE3: 0x600e,
  // ---- B.4.2 natural-width read-only data fields
  EXIT_QUALIFICATION: 0x6400,
  IO_RCX: 0x6402,
  IO_RSI: 0x6404,
  IO_RDI: 0x6406,
  IO_RIP: 0x6408,
  GUEST_LINEAR_ADDRESS: 0x640a,
  // ---- B.4.3 natural-width guest-state fields
  GUEST_CR0: 0x6800,
  GUEST_CR3: 0x6802,
  GUEST_CR4: 0x6804,
  GUEST_ES_BASE: 0x6806,
  GUEST_CS_BASE: 0x6808,
  GUEST_SS_BASE: 0x680a,
  GUEST_DS_BASE: 0x680c,
  GUEST_FS_BASE: 0x680e,
  GUEST_GS_BASE: 0x6810,
  GUEST_LDTR_BASE: 0x6812,
  GUEST_TR_BASE: 0x6814,
  GUEST_GDTR_BASE: 0x6816,
  GUEST_IDTR_BASE: 0x6818,
  GUEST_DR7: 0x681a,
  GUEST_RSP: 0x681c,
  GUEST_RIP: 0x681e,
  GUEST_RFLAGS: 0x6820,
  GUEST_PENDING_DBG_EXCEPTIONS: 0x6822,
  GUEST_SYSENTER_ESP: 0x6824,
  GUEST_SYSENTER_EIP: 0x6826,
  GUEST_S_CET: 0x6828,
  GUEST_SSP: 0x682a,
  GUEST_INTR_SSP_TABLE: 0x682c,
  // ---- B.4.4 natural-width host-state fields
  HOST_CR0: 0x6c00,
  HOST_CR3: 0x6c02,
  HOST_CR4: 0x6c04,
  HOST_FS_BASE: 0x6c06,
  HOST_GS_BASE: 0x6c08,
  HOST_TR_BASE: 0x6c0a,
  HOST_GDTR_BASE: 0x6c0c,
  HOST_IDTR_BASE: 0x6c0e,
  HOST_IA32_SYSENTER_ESP: 0x6c10,
  HOST_IA32_SYSENTER_EIP: 0x6c12,
  HOST_RSP: 0x6c14,
  HOST_RIP: 0x6c16,
  HOST_S_CET: 0x6c18,
  HOST_SSP: 0x6c1a,
  HOST_INTR_SSP_TABLE: 0x6c1c,
} as const;

export type VmcsName = keyof typeof VMCS;
/** Names of whole fields (the `_HIGH` aliases excluded). */
export type VmcsFieldName = Exclude<VmcsName, `${string}_HIGH`>;
/** An encoding taken from VMCS (a plain number at run time). */
export type VmcsEncoding = (typeof VMCS)[VmcsName];

/**
 * The area a field belongs to (SDM 25.3-25.9). Controls split as the SDM splits them: VM-execution
 * (25.6), VM-exit (25.7) and VM-entry (25.8) control fields; exitInfo is the read-only VM-exit
 * information area (25.9).
 */
export type VmcsGroup = 'execControl' | 'exitControl' | 'entryControl' | 'exitInfo' | 'guest' | 'host';

export interface VmcsFieldDef {
  /** KVM / SDM-style name, a key of VMCS. */
  name: string;
  /** Full encoding (for 64-bit fields the high half is encoding | 1). */
  encoding: number;
  group: VmcsGroup;
  /** The field's name as Appendix B writes it. */
  description: string;
}

type Row = readonly [VmcsFieldName, VmcsGroup, string];

// Appendix B order (ascending encoding). Descriptions follow the SDM's wording.
const ROWS: readonly Row[] = [
  // B.1.1
  ['VIRTUAL_PROCESSOR_ID', 'execControl', 'Virtual-processor identifier (VPID)'],
  ['POSTED_INTR_NV', 'execControl', 'Posted-interrupt notification vector'],
  ['EPTP_INDEX', 'execControl', 'EPTP index'],
  ['HLAT_PREFIX_SIZE', 'execControl', 'HLAT prefix size'],
  ['LAST_PID_POINTER_INDEX', 'execControl', 'Last PID-pointer index'],
  // B.1.2
  ['GUEST_ES_SELECTOR', 'guest', 'Guest ES selector'],
  ['GUEST_CS_SELECTOR', 'guest', 'Guest CS selector'],
  ['GUEST_SS_SELECTOR', 'guest', 'Guest SS selector'],
  ['GUEST_DS_SELECTOR', 'guest', 'Guest DS selector'],
  ['GUEST_FS_SELECTOR', 'guest', 'Guest FS selector'],
  ['GUEST_GS_SELECTOR', 'guest', 'Guest GS selector'],
  ['GUEST_LDTR_SELECTOR', 'guest', 'Guest LDTR selector'],
  ['GUEST_TR_SELECTOR', 'guest', 'Guest TR selector'],
  ['GUEST_INTR_STATUS', 'guest', 'Guest interrupt status'],
  ['GUEST_PML_INDEX', 'guest', 'PML index'],
  ['GUEST_UINV', 'guest', 'Guest UINV'],
  // B.1.3
  ['HOST_ES_SELECTOR', 'host', 'Host ES selector'],
  ['HOST_CS_SELECTOR', 'host', 'Host CS selector'],
  ['HOST_SS_SELECTOR', 'host', 'Host SS selector'],
  ['HOST_DS_SELECTOR', 'host', 'Host DS selector'],
  ['HOST_FS_SELECTOR', 'host', 'Host FS selector'],
  ['HOST_GS_SELECTOR', 'host', 'Host GS selector'],
  ['HOST_TR_SELECTOR', 'host', 'Host TR selector'],
  // B.2.1
  ['IO_BITMAP_A', 'execControl', 'Address of I/O bitmap A'],
  ['IO_BITMAP_B', 'execControl', 'Address of I/O bitmap B'],
  ['MSR_BITMAP', 'execControl', 'Address of MSR bitmaps'],
  ['VM_EXIT_MSR_STORE_ADDR', 'exitControl', 'VM-exit MSR-store address'],
  ['VM_EXIT_MSR_LOAD_ADDR', 'exitControl', 'VM-exit MSR-load address'],
  ['VM_ENTRY_MSR_LOAD_ADDR', 'entryControl', 'VM-entry MSR-load address'],
  ['EXECUTIVE_VMCS_POINTER', 'execControl', 'Executive-VMCS pointer'],
  ['PML_ADDRESS', 'execControl', 'PML address'],
  ['TSC_OFFSET', 'execControl', 'TSC offset'],
  ['VIRTUAL_APIC_PAGE_ADDR', 'execControl', 'Virtual-APIC address'],
  ['APIC_ACCESS_ADDR', 'execControl', 'APIC-access address'],
  ['POSTED_INTR_DESC_ADDR', 'execControl', 'Posted-interrupt descriptor address'],
  ['VM_FUNCTION_CONTROL', 'execControl', 'VM-function controls'],
  ['EPT_POINTER', 'execControl', 'EPT pointer (EPTP)'],
  ['EOI_EXIT_BITMAP0', 'execControl', 'EOI-exit bitmap 0'],
  ['EOI_EXIT_BITMAP1', 'execControl', 'EOI-exit bitmap 1'],
  ['EOI_EXIT_BITMAP2', 'execControl', 'EOI-exit bitmap 2'],
  ['EOI_EXIT_BITMAP3', 'execControl', 'EOI-exit bitmap 3'],
  ['EPTP_LIST_ADDRESS', 'execControl', 'EPTP-list address'],
  ['VMREAD_BITMAP', 'execControl', 'VMREAD-bitmap address'],
  ['VMWRITE_BITMAP', 'execControl', 'VMWRITE-bitmap address'],
  ['VE_INFORMATION_ADDRESS', 'execControl', 'Virtualization-exception information address'],
  ['XSS_EXIT_BITMAP', 'execControl', 'XSS-exiting bitmap'],
  ['ENCLS_EXITING_BITMAP', 'execControl', 'ENCLS-exiting bitmap'],
  ['SPPT_POINTER', 'execControl', 'Sub-page-permission-table pointer (SPPTP)'],
  ['TSC_MULTIPLIER', 'execControl', 'TSC multiplier'],
  ['TERTIARY_VM_EXEC_CONTROL', 'execControl', 'Tertiary processor-based VM-execution controls'],
  ['ENCLV_EXITING_BITMAP', 'execControl', 'ENCLV-exiting bitmap'],
  ['LOW_PASID_DIRECTORY', 'execControl', 'Low PASID directory address'],
  ['HIGH_PASID_DIRECTORY', 'execControl', 'High PASID directory address'],
  ['SHARED_EPT_POINTER', 'execControl', 'Shared EPT pointer'],
  ['PCONFIG_EXITING_BITMAP', 'execControl', 'PCONFIG-exiting bitmap'],
  ['HLATP', 'execControl', 'Hypervisor-managed linear-address translation pointer (HLATP)'],
  ['PID_POINTER_TABLE', 'execControl', 'PID-pointer table address'],
  ['SECONDARY_VM_EXIT_CONTROLS', 'exitControl', 'Secondary VM-exit controls'],
  ['IA32_SPEC_CTRL_MASK', 'execControl', 'IA32_SPEC_CTRL mask'],
  ['IA32_SPEC_CTRL_SHADOW', 'execControl', 'IA32_SPEC_CTRL shadow'],
  ['INJECTED_EVENT_DATA', 'entryControl', 'Injected-event data'],
  // B.2.2
  ['GUEST_PHYSICAL_ADDRESS', 'exitInfo', 'Guest-physical address'],
  ['ORIGINAL_EVENT_DATA', 'exitInfo', 'Original-event data'],
  // B.2.3
  ['VMCS_LINK_POINTER', 'guest', 'VMCS link pointer'],
  ['GUEST_IA32_DEBUGCTL', 'guest', 'Guest IA32_DEBUGCTL'],
  ['GUEST_IA32_PAT', 'guest', 'Guest IA32_PAT'],
  ['GUEST_IA32_EFER', 'guest', 'Guest IA32_EFER'],
  ['GUEST_IA32_PERF_GLOBAL_CTRL', 'guest', 'Guest IA32_PERF_GLOBAL_CTRL'],
  ['GUEST_PDPTR0', 'guest', 'Guest PDPTE0'],
  ['GUEST_PDPTR1', 'guest', 'Guest PDPTE1'],
  ['GUEST_PDPTR2', 'guest', 'Guest PDPTE2'],
  ['GUEST_PDPTR3', 'guest', 'Guest PDPTE3'],
  ['GUEST_BNDCFGS', 'guest', 'Guest IA32_BNDCFGS'],
  ['GUEST_IA32_RTIT_CTL', 'guest', 'Guest IA32_RTIT_CTL'],
  ['GUEST_IA32_LBR_CTL', 'guest', 'Guest IA32_LBR_CTL'],
  ['GUEST_IA32_PKRS', 'guest', 'Guest IA32_PKRS'],
  ['GUEST_IA32_FRED_CONFIG', 'guest', 'Guest IA32_FRED_CONFIG'],
  ['GUEST_IA32_FRED_RSP1', 'guest', 'Guest IA32_FRED_RSP1'],
  ['GUEST_IA32_FRED_RSP2', 'guest', 'Guest IA32_FRED_RSP2'],
  ['GUEST_IA32_FRED_RSP3', 'guest', 'Guest IA32_FRED_RSP3'],
  ['GUEST_IA32_FRED_STKLVLS', 'guest', 'Guest IA32_FRED_STKLVLS'],
  ['GUEST_IA32_FRED_SSP1', 'guest', 'Guest IA32_FRED_SSP1'],
  ['GUEST_IA32_FRED_SSP2', 'guest', 'Guest IA32_FRED_SSP2'],
  ['GUEST_IA32_FRED_SSP3', 'guest', 'Guest IA32_FRED_SSP3'],
  // B.2.4
  ['HOST_IA32_PAT', 'host', 'Host IA32_PAT'],
  ['HOST_IA32_EFER', 'host', 'Host IA32_EFER'],
  ['HOST_IA32_PERF_GLOBAL_CTRL', 'host', 'Host IA32_PERF_GLOBAL_CTRL'],
  ['HOST_IA32_PKRS', 'host', 'Host IA32_PKRS'],
  ['HOST_IA32_FRED_CONFIG', 'host', 'Host IA32_FRED_CONFIG'],
  ['HOST_IA32_FRED_RSP1', 'host', 'Host IA32_FRED_RSP1'],
  ['HOST_IA32_FRED_RSP2', 'host', 'Host IA32_FRED_RSP2'],
  ['HOST_IA32_FRED_RSP3', 'host', 'Host IA32_FRED_RSP3'],
  ['HOST_IA32_FRED_STKLVLS', 'host', 'Host IA32_FRED_STKLVLS'],
  ['HOST_IA32_FRED_SSP1', 'host', 'Host IA32_FRED_SSP1'],
  ['HOST_IA32_FRED_SSP2', 'host', 'Host IA32_FRED_SSP2'],
  ['HOST_IA32_FRED_SSP3', 'host', 'Host IA32_FRED_SSP3'],
  // B.3.1
  ['PIN_BASED_VM_EXEC_CONTROL', 'execControl', 'Pin-based VM-execution controls'],
  ['CPU_BASED_VM_EXEC_CONTROL', 'execControl', 'Primary processor-based VM-execution controls'],
  ['EXCEPTION_BITMAP', 'execControl', 'Exception bitmap'],
  ['PAGE_FAULT_ERROR_CODE_MASK', 'execControl', 'Page-fault error-code mask'],
  ['PAGE_FAULT_ERROR_CODE_MATCH', 'execControl', 'Page-fault error-code match'],
  ['CR3_TARGET_COUNT', 'execControl', 'CR3-target count'],
  ['VM_EXIT_CONTROLS', 'exitControl', 'Primary VM-exit controls'],
  ['VM_EXIT_MSR_STORE_COUNT', 'exitControl', 'VM-exit MSR-store count'],
  ['VM_EXIT_MSR_LOAD_COUNT', 'exitControl', 'VM-exit MSR-load count'],
  ['VM_ENTRY_CONTROLS', 'entryControl', 'VM-entry controls'],
  ['VM_ENTRY_MSR_LOAD_COUNT', 'entryControl', 'VM-entry MSR-load count'],
  ['VM_ENTRY_INTR_INFO_FIELD', 'entryControl', 'VM-entry interruption-information field'],
  ['VM_ENTRY_EXCEPTION_ERROR_CODE', 'entryControl', 'VM-entry exception error code'],
  ['VM_ENTRY_INSTRUCTION_LEN', 'entryControl', 'VM-entry instruction length'],
  ['TPR_THRESHOLD', 'execControl', 'TPR threshold'],
  ['SECONDARY_VM_EXEC_CONTROL', 'execControl', 'Secondary processor-based VM-execution controls'],
  ['PLE_GAP', 'execControl', 'PLE_Gap'],
  ['PLE_WINDOW', 'execControl', 'PLE_Window'],
  ['NOTIFY_WINDOW', 'execControl', 'Instruction-timeout control'],
  // B.3.2
  ['VM_INSTRUCTION_ERROR', 'exitInfo', 'VM-instruction error'],
  ['VM_EXIT_REASON', 'exitInfo', 'Exit reason'],
  ['VM_EXIT_INTR_INFO', 'exitInfo', 'VM-exit interruption information'],
  ['VM_EXIT_INTR_ERROR_CODE', 'exitInfo', 'VM-exit interruption error code'],
  ['IDT_VECTORING_INFO_FIELD', 'exitInfo', 'IDT-vectoring information field'],
  ['IDT_VECTORING_ERROR_CODE', 'exitInfo', 'IDT-vectoring error code'],
  ['VM_EXIT_INSTRUCTION_LEN', 'exitInfo', 'VM-exit instruction length'],
  ['VMX_INSTRUCTION_INFO', 'exitInfo', 'VM-exit instruction information'],
  // B.3.3
  ['GUEST_ES_LIMIT', 'guest', 'Guest ES limit'],
  ['GUEST_CS_LIMIT', 'guest', 'Guest CS limit'],
  ['GUEST_SS_LIMIT', 'guest', 'Guest SS limit'],
  ['GUEST_DS_LIMIT', 'guest', 'Guest DS limit'],
  ['GUEST_FS_LIMIT', 'guest', 'Guest FS limit'],
  ['GUEST_GS_LIMIT', 'guest', 'Guest GS limit'],
  ['GUEST_LDTR_LIMIT', 'guest', 'Guest LDTR limit'],
  ['GUEST_TR_LIMIT', 'guest', 'Guest TR limit'],
  ['GUEST_GDTR_LIMIT', 'guest', 'Guest GDTR limit'],
  ['GUEST_IDTR_LIMIT', 'guest', 'Guest IDTR limit'],
  ['GUEST_ES_AR_BYTES', 'guest', 'Guest ES access rights'],
  ['GUEST_CS_AR_BYTES', 'guest', 'Guest CS access rights'],
  ['GUEST_SS_AR_BYTES', 'guest', 'Guest SS access rights'],
  ['GUEST_DS_AR_BYTES', 'guest', 'Guest DS access rights'],
  ['GUEST_FS_AR_BYTES', 'guest', 'Guest FS access rights'],
  ['GUEST_GS_AR_BYTES', 'guest', 'Guest GS access rights'],
  ['GUEST_LDTR_AR_BYTES', 'guest', 'Guest LDTR access rights'],
  ['GUEST_TR_AR_BYTES', 'guest', 'Guest TR access rights'],
  ['GUEST_INTERRUPTIBILITY_INFO', 'guest', 'Guest interruptibility state'],
  ['GUEST_ACTIVITY_STATE', 'guest', 'Guest activity state'],
  ['GUEST_SMBASE', 'guest', 'Guest SMBASE'],
  ['GUEST_SYSENTER_CS', 'guest', 'Guest IA32_SYSENTER_CS'],
  ['VMX_PREEMPTION_TIMER_VALUE', 'guest', 'VMX-preemption timer value'],
  // B.3.4
  ['HOST_IA32_SYSENTER_CS', 'host', 'Host IA32_SYSENTER_CS'],
  // B.4.1
  ['CR0_GUEST_HOST_MASK', 'execControl', 'CR0 guest/host mask'],
  ['CR4_GUEST_HOST_MASK', 'execControl', 'CR4 guest/host mask'],
  ['CR0_READ_SHADOW', 'execControl', 'CR0 read shadow'],
  ['CR4_READ_SHADOW', 'execControl', 'CR4 read shadow'],
  ['CR3_TARGET_VALUE0', 'execControl', 'CR3-target value 0'],
  ['CR3_TARGET_VALUE1', 'execControl', 'CR3-target value 1'],
  ['CR3_TARGET_VALUE2', 'execControl', 'CR3-target value 2'],
  ['CR3_TARGET_VALUE3', 'execControl', 'CR3-target value 3'],
  // B.4.2
  ['EXIT_QUALIFICATION', 'exitInfo', 'Exit qualification'],
  ['IO_RCX', 'exitInfo', 'I/O RCX'],
  ['IO_RSI', 'exitInfo', 'I/O RSI'],
  ['IO_RDI', 'exitInfo', 'I/O RDI'],
  ['IO_RIP', 'exitInfo', 'I/O RIP'],
  ['GUEST_LINEAR_ADDRESS', 'exitInfo', 'Guest-linear address'],
  // B.4.3
  ['GUEST_CR0', 'guest', 'Guest CR0'],
  ['GUEST_CR3', 'guest', 'Guest CR3'],
  ['GUEST_CR4', 'guest', 'Guest CR4'],
  ['GUEST_ES_BASE', 'guest', 'Guest ES base'],
  ['GUEST_CS_BASE', 'guest', 'Guest CS base'],
  ['GUEST_SS_BASE', 'guest', 'Guest SS base'],
  ['GUEST_DS_BASE', 'guest', 'Guest DS base'],
  ['GUEST_FS_BASE', 'guest', 'Guest FS base'],
  ['GUEST_GS_BASE', 'guest', 'Guest GS base'],
  ['GUEST_LDTR_BASE', 'guest', 'Guest LDTR base'],
  ['GUEST_TR_BASE', 'guest', 'Guest TR base'],
  ['GUEST_GDTR_BASE', 'guest', 'Guest GDTR base'],
  ['GUEST_IDTR_BASE', 'guest', 'Guest IDTR base'],
  ['GUEST_DR7', 'guest', 'Guest DR7'],
  ['GUEST_RSP', 'guest', 'Guest RSP'],
  ['GUEST_RIP', 'guest', 'Guest RIP'],
  ['GUEST_RFLAGS', 'guest', 'Guest RFLAGS'],
  ['GUEST_PENDING_DBG_EXCEPTIONS', 'guest', 'Guest pending debug exceptions'],
  ['GUEST_SYSENTER_ESP', 'guest', 'Guest IA32_SYSENTER_ESP'],
  ['GUEST_SYSENTER_EIP', 'guest', 'Guest IA32_SYSENTER_EIP'],
  ['GUEST_S_CET', 'guest', 'Guest IA32_S_CET'],
  ['GUEST_SSP', 'guest', 'Guest SSP'],
  ['GUEST_INTR_SSP_TABLE', 'guest', 'Guest IA32_INTERRUPT_SSP_TABLE_ADDR'],
  // B.4.4
  ['HOST_CR0', 'host', 'Host CR0'],
  ['HOST_CR3', 'host', 'Host CR3'],
  ['HOST_CR4', 'host', 'Host CR4'],
  ['HOST_FS_BASE', 'host', 'Host FS base'],
  ['HOST_GS_BASE', 'host', 'Host GS base'],
  ['HOST_TR_BASE', 'host', 'Host TR base'],
  ['HOST_GDTR_BASE', 'host', 'Host GDTR base'],
  ['HOST_IDTR_BASE', 'host', 'Host IDTR base'],
  ['HOST_IA32_SYSENTER_ESP', 'host', 'Host IA32_SYSENTER_ESP'],
  ['HOST_IA32_SYSENTER_EIP', 'host', 'Host IA32_SYSENTER_EIP'],
  ['HOST_RSP', 'host', 'Host RSP'],
  ['HOST_RIP', 'host', 'Host RIP'],
  ['HOST_S_CET', 'host', 'Host IA32_S_CET'],
  ['HOST_SSP', 'host', 'Host SSP'],
  ['HOST_INTR_SSP_TABLE', 'host', 'Host IA32_INTERRUPT_SSP_TABLE_ADDR'],
];

/** Every VMCS field (full encodings only), in Appendix B order. */
export const VMCS_FIELDS: readonly VmcsFieldDef[] = Object.freeze(
  ROWS.map(([name, group, description]) => Object.freeze({ name, encoding: VMCS[name], group, description })),
);

/** Number of fields; the storage index of a field is in 0 .. VMCS_FIELD_COUNT-1. */
export const VMCS_FIELD_COUNT: number = VMCS_FIELDS.length;

// ---- Encoding structure (SDM 25.11.2)

export type FieldWidth = 16 | 32 | 64 | 'natural';
export type FieldType = 'control' | 'exitInfo' | 'guest' | 'host';

const WIDTHS: readonly FieldWidth[] = [16, 64, 32, 'natural'];
const TYPES: readonly FieldType[] = ['control', 'exitInfo', 'guest', 'host'];

/** Width from bits 14:13 of the encoding. */
export function fieldWidth(enc: number): FieldWidth {
  return WIDTHS[(enc >>> 13) & 3]!;
}

/** Type from bits 11:10 of the encoding. */
export function fieldType(enc: number): FieldType {
  return TYPES[(enc >>> 10) & 3]!;
}

/** Index from bits 9:1 (what IA32_VMX_VMCS_ENUM bits 9:1 report the maximum of). */
export function fieldEncodingIndex(enc: number): number {
  return (enc >>> 1) & 0x1ff;
}

/** True for the high-half access of a 64-bit field (access type bit 0 = 1 with 64-bit width). */
export function isHighAccess(enc: number): boolean {
  return (enc & 1) === 1 && ((enc >>> 13) & 3) === 1;
}

/** True for read-only VM-exit information fields (type 1). */
export function isReadOnlyField(enc: number): boolean {
  return ((enc >>> 10) & 3) === 1;
}

/** Storage width in bits on this IA-32 model: natural-width fields hold 32 bits. */
export function storageBits(enc: number): 16 | 32 | 64 {
  const w = (enc >>> 13) & 3;
  return w === 0 ? 16 : w === 1 ? 64 : 32;
}

// ---- Dense index: encoding -> position in VMCS_FIELDS (HIGH encodings map to their field).
// Encodings are 15 bits wide (bits 31:15 must be 0), so one 32 KiB table covers them all.

const ENCODING_SPACE = 0x8000;
const INDEX_BY_ENCODING: Int16Array = (() => {
  const t = new Int16Array(ENCODING_SPACE).fill(-1);
  VMCS_FIELDS.forEach((f, i) => {
    t[f.encoding] = i;
    if (((f.encoding >>> 13) & 3) === 1) t[f.encoding | 1] = i;
  });
  return t;
})();

const BY_NAME: ReadonlyMap<string, VmcsFieldDef> = new Map(VMCS_FIELDS.map((f) => [f.name, f]));

/** Storage index of the field an encoding names (full or high), or -1 if no such component. */
export function fieldIndex(enc: number): number {
  if (!(enc >= 0 && enc < ENCODING_SPACE) || (enc | 0) !== enc) return -1;
  return INDEX_BY_ENCODING[enc]!;
}

/** True if the encoding names a supported component (VMREAD/VMWRITE would not fail with error 12). */
export function isSupportedEncoding(enc: number): boolean {
  return fieldIndex(enc) >= 0;
}

/** The field an encoding names; a HIGH encoding maps to its 64-bit field. */
export function fieldByEncoding(enc: number): VmcsFieldDef | undefined {
  const i = fieldIndex(enc);
  return i < 0 ? undefined : VMCS_FIELDS[i];
}

/** The field with this name; `X_HIGH` resolves to field X. */
export function fieldByName(name: string): VmcsFieldDef | undefined {
  const direct = BY_NAME.get(name);
  if (direct !== undefined) return direct;
  if (name.endsWith('_HIGH')) {
    const f = BY_NAME.get(name.slice(0, -5));
    if (f !== undefined && ((f.encoding >>> 13) & 3) === 1) return f;
  }
  return undefined;
}

/** Display name of an encoding: the field name, with `_HIGH` for a high access. */
export function encodingName(enc: number): string {
  const f = fieldByEncoding(enc);
  if (f === undefined) return 'UNKNOWN_0x' + (enc >>> 0).toString(16);
  return isHighAccess(enc) ? f.name + '_HIGH' : f.name;
}

/** Highest index (bits 9:1) of any supported encoding: what IA32_VMX_VMCS_ENUM reports (A.9). */
export const VMCS_MAX_ENCODING_INDEX: number = VMCS_FIELDS.reduce((m, f) => Math.max(m, fieldEncodingIndex(f.encoding)), 0);
