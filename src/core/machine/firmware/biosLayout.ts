// Where the paravirtual BIOS puts things in the first megabyte (docs/platform.md, ADR 0006).
// Real-mode addresses are linear (segment << 4 + offset); the BIOS segment is F000.

/** The BIOS area the memory maps (E820, Multiboot) report as reserved. */
export const BIOS_AREA = 0xe0000, BIOS_AREA_END = 0x100000;
/** Firmware tables (16-byte aligned, inside 0xF0000-0xFFFFF where both MP and ACPI scans look). */
export const ACPI_RSDP = 0xf0000, MP_FLOATING = 0xf0040, MP_CONFIG = 0xf0100;
export const ACPI_RSDT = 0xf0800, ACPI_MADT = 0xf0900, ACPI_FADT = 0xf0c00, ACPI_DSDT = 0xf0d00, ACPI_FACS = 0xf0e00;
/**
 * Service stubs: vector n's stub lives at 0xFE000 + 16 n (F000:E000 + 16 n). A VMCALL executed in
 * real mode anywhere inside such a 16-byte slot is BIOS service n (the VMM reads the vector from
 * the guest's CS:IP, so every register stays free for the BIOS calling convention).
 */
export const STUBS = 0xfe000, STUB_SLOT = 16;
/** Code that runs without the VMM: the INT 08h timer handler and the default IRQ handlers. */
export const INT08_CODE = 0xff000, IRQ_MASTER_CODE = 0xff100, IRQ_SLAVE_CODE = 0xff120, IRET_CODE = 0xff1f0;
/** Reset vector (F000:FFF0), the BIOS date string and the model byte (IBM PC/AT BIOS conventions). */
export const RESET_VECTOR = 0xffff0, BIOS_DATE = 0xffff5, MODEL_BYTE = 0xffffe;
/** Extended BIOS Data Area: the last KiB of conventional memory. */
export const EBDA = 0x9fc00, BASE_MEM_KIB = 639;
export const BOOT_SECTOR_GPA = 0x7c00;
export const BIOS_SEG = 0xf000;

/** BIOS Data Area offsets (segment 0x40, linear 0x400 + offset). */
export const BDA = {
  COM_PORTS: 0x00, LPT_PORTS: 0x08, EBDA_SEG: 0x0e, EQUIPMENT: 0x10, MEM_KIB: 0x13, KBD_FLAGS: 0x17,
  KBD_HEAD: 0x1a, KBD_TAIL: 0x1c, KBD_BUF: 0x1e, VIDEO_MODE: 0x49, VIDEO_COLS: 0x4a, VIDEO_PAGE_SIZE: 0x4c,
  VIDEO_PAGE_OFF: 0x4e, CURSOR_POS: 0x50, CURSOR_SHAPE: 0x60, VIDEO_PAGE: 0x62, CRTC_BASE: 0x63,
  VIDEO_MODE_CTL: 0x65, VIDEO_PALETTE: 0x66, TICKS: 0x6c, MIDNIGHT: 0x70, DISK_STATUS: 0x74, HD_COUNT: 0x75,
  KBD_BUF_START: 0x80, KBD_BUF_END: 0x82, VIDEO_ROWS: 0x84, CHAR_HEIGHT: 0x85,
} as const;
export const BDA_BASE = 0x400;
/** Ticks per day at 1193182/65536 Hz (the INT 1Ah midnight rollover value). */
export const TICKS_PER_DAY = 0x1800b0;
/** Vectors the PIC pair is programmed to at POST (master IRQ0-7 -> 08h-0Fh, slave IRQ8-15 -> 70h-77h). */
export const PIC_MASTER_BASE = 0x08, PIC_SLAVE_BASE = 0x70;
/** The VMCALL instruction (0F 01 C1). */
export const VMCALL = [0x0f, 0x01, 0xc1];
