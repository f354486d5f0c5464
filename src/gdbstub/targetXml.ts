// The target description gdb reads through qXfer:features:read:target.xml: gdb's i386 core
// feature (gdb/features/i386/32bit-core.xml), so register numbers and the g packet layout match
// what gdb's i386 architecture expects. The x87 registers are part of that feature; this VMM has
// no FPU yet, so the stub reports them as zero.

/** Register numbers in the core feature (the order of the g packet). */
export const GDB_REGS = [
  'eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs',
] as const;
/** x87 registers after the 16 above: st0-st7 (80 bits), then 8 control registers (32 bits). */
export const X87_ST_COUNT = 8;
export const X87_CTRL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'] as const;
/** Register number → size in bytes, for p/P. */
export function regSize(n: number): number | undefined {
  if (n < 0) return undefined;
  if (n < GDB_REGS.length) return 4;
  if (n < GDB_REGS.length + X87_ST_COUNT) return 10;
  if (n < GDB_REGS.length + X87_ST_COUNT + X87_CTRL.length) return 4;
  return undefined;
}

const EFLAGS_FIELDS: [string, number][] = [
  ['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11],
  ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
];

function reg(name: string, bits: number, type: string, extra = ''): string {
  return `  <reg name="${name}" bitsize="${bits}" type="${type}"${extra}/>`;
}

export const TARGET_XML = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
  '<target version="1.0">',
  '<architecture>i386</architecture>',
  '<feature name="org.gnu.gdb.i386.core">',
  '  <flags id="i386_eflags" size="4">',
  ...EFLAGS_FIELDS.map(([n, b]) => `    <field name="${n}" start="${b}" end="${b}"/>`),
  '  </flags>',
  reg('eax', 32, 'int32'), reg('ecx', 32, 'int32'), reg('edx', 32, 'int32'), reg('ebx', 32, 'int32'),
  reg('esp', 32, 'data_ptr'), reg('ebp', 32, 'data_ptr'), reg('esi', 32, 'int32'), reg('edi', 32, 'int32'),
  reg('eip', 32, 'code_ptr'), reg('eflags', 32, 'i386_eflags'),
  ...['cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((s) => reg(s, 32, 'int32')),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => reg(`st${k}`, 80, 'i387_ext')),
  ...X87_CTRL.map((n) => reg(n, 32, 'int', ' group="float"')),
  '</feature>',
  '</target>',
  '',
].join('\n');
