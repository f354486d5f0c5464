// Register numbering as the SDM encodes it in ModRM (Vol. 2 Table 2-2) and in the VMX
// instruction-information field (Vol. 3C 28.2.5).
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const REG32_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export const REG16_NAMES = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'] as const;
export const REG8_NAMES = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'] as const;

/** Segment registers in SDM order (ES=0 ... GS=5), then LDTR and TR as the VMCS lists them. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;

// EFLAGS bits (SDM Vol. 1 3.4.3).
export const CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
  DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
  VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
export const EFLAGS_BITS: [string, number][] = [
  ['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11],
  ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
];

// CR0 / CR4 bits (SDM Vol. 3A 2.5).
export const CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20, CR0_WP = 0x10000,
  CR0_AM = 0x40000, CR0_NW = 0x20000000, CR0_CD = 0x40000000, CR0_PG = 0x80000000 | 0;
export const CR4_VME = 1, CR4_PVI = 2, CR4_TSD = 4, CR4_DE = 8, CR4_PSE = 0x10, CR4_PAE = 0x20, CR4_MCE = 0x40,
  CR4_PGE = 0x80, CR4_PCE = 0x100, CR4_VMXE = 0x2000;

// Segment access rights in the VMCS format (SDM Vol. 3C 25.4.1, Table 25-2): the descriptor's
// type/S/DPL/P (bits 7:0) and AVL/L/D/G (bits 15:12), plus bit 16 "segment unusable".
export const AR_TYPE = 0xf, AR_S = 0x10, AR_DPL_SHIFT = 5, AR_P = 0x80, AR_DB = 0x4000, AR_G = 0x8000, AR_UNUSABLE = 0x10000;

// Exception vectors (SDM Vol. 3A Table 6-1).
export const DE = 0, DB = 1, NMI = 2, BP = 3, OFV = 4, BR = 5, UD = 6, NM = 7, DFV = 8, TS = 10, NP = 11, SSF = 12,
  GP = 13, PFV = 14, MF = 16, AC_V = 17, MC = 18;
