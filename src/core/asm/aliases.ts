// Mnemonic spellings that name a table entry by another name. Not a second instruction table: each
// alias maps to a mnemonic of isa/opcodeTable.ts, which says everything else about it.
//   - Intel condition-code synonyms (SDM Vol. 1 B.1: JZ = JE, JNAE = JB, ...), which NASM accepts;
//   - NASM's prefix spellings (repz = repe);
//   - AT&T (GNU as) spellings that are not just a size suffix (cltd = cdq, movzbl = movzx).
import { OPCODES } from '../isa/opcodeTable';

/** Condition-code synonyms: alias → the table's condition suffix. */
const CC_SYNONYMS: Readonly<Record<string, string>> = {
  z: 'e', nz: 'ne', c: 'b', nc: 'ae', nae: 'b', nb: 'ae', na: 'be', nbe: 'a',
  pe: 'p', po: 'np', nge: 'l', nl: 'ge', ng: 'le', nle: 'g',
};

function buildAliases(): Map<string, string> {
  const m = new Map<string, string>();
  for (const [alias, cc] of Object.entries(CC_SYNONYMS)) {
    m.set('j' + alias, 'j' + cc);
    m.set('set' + alias, 'set' + cc);
    m.set('cmov' + alias, 'cmov' + cc);
  }
  m.set('loopz', 'loope');
  m.set('loopnz', 'loopne');
  m.set('icebp', 'int1');
  m.set('wait', 'fwait');
  m.set('xlat', 'xlatb');
  return m;
}

/** Intel-syntax aliases (NASM): alias → table mnemonic. */
export const INTEL_ALIASES: ReadonlyMap<string, string> = buildAliases();

/** AT&T spellings that differ from Intel beyond a size suffix: alias → table mnemonic. */
export const ATT_ALIASES: ReadonlyMap<string, string> = new Map([
  ['cbtw', 'cbw'], ['cwtl', 'cwde'], ['cwtd', 'cwd'], ['cltd', 'cdq'],
  ['movzbw', 'movzx'], ['movzbl', 'movzx'], ['movzwl', 'movzx'],
  ['movsbw', 'movsx'], ['movsbl', 'movsx'], ['movswl', 'movsx'],
  ['ljmp', 'jmp'], ['lcall', 'call'], ['lret', 'retf'], ['iretl', 'iretd'], ['iretw', 'iret'],
  ['pushfl', 'pushfd'], ['popfl', 'popfd'], ['pushal', 'pushad'], ['popal', 'popad'],
]);

/** Instruction prefixes written as words before a mnemonic. */
export const PREFIX_WORDS: ReadonlyMap<string, number> = new Map([
  ['lock', 0xf0], ['rep', 0xf3], ['repe', 0xf3], ['repz', 0xf3], ['repne', 0xf2], ['repnz', 0xf2],
]);

/** Every mnemonic of the table, 32-bit and 16-bit spellings (the pseudo-mnemonic `fpu` excluded). */
export const TABLE_MNEMONICS: readonly string[] = [...new Set(OPCODES.flatMap((e) => (e.mnemonic16 ? [e.mnemonic, e.mnemonic16] : [e.mnemonic])))]
  .filter((m) => m !== 'fpu').sort();

const TABLE_SET = new Set(TABLE_MNEMONICS);

/** Intel spelling → table mnemonic, or undefined when it is not an instruction the table knows. */
export function canonicalIntel(word: string): string | undefined {
  const w = word.toLowerCase();
  if (TABLE_SET.has(w)) return w;
  return INTEL_ALIASES.get(w);
}

/**
 * AT&T spelling → table mnemonic: the word itself, an AT&T alias, or the word less a b/w/l/q size
 * suffix (movl → mov, outb → out). Undefined when nothing matches.
 */
export function canonicalAtt(word: string): string | undefined {
  const w = word.toLowerCase();
  const direct = canonicalIntel(w) ?? ATT_ALIASES.get(w);
  if (direct) return direct;
  if (/[bwlq]$/.test(w)) return canonicalIntel(w.slice(0, -1));
  return undefined;
}
