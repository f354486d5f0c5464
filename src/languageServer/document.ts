// A line scanner for both syntaxes: comments, labels, sections, the mnemonic of each line and every
// identifier occurrence with its qualified name (NASM local labels `.x` belong to the last global
// label). It works on any text, also text the assembler rejects, so the outline never goes blank.
import type { Dialect } from './hoverText';

export interface Occurrence {
  /** Qualified name (main.loop for `.loop` under `main`). */
  name: string;
  line: number;
  start: number;
  end: number;
  isDefinition: boolean;
}

export interface LabelInfo {
  name: string;
  /** Written name (`.loop`). */
  written: string;
  line: number;
  start: number;
  end: number;
  kind: 'label' | 'constant';
  parent?: string;
}

export interface SectionInfo { name: string; line: number; start: number; end: number }

export interface LineInfo {
  /** The mnemonic or directive word, with its columns. */
  word?: { text: string; start: number; end: number };
  /** Operand text after the word (comment removed). */
  operands: string;
  /** Column where a comment starts, or -1. */
  commentAt: number;
}

export interface Analysis {
  dialect: Dialect;
  lines: LineInfo[];
  labels: LabelInfo[];
  sections: SectionInfo[];
  occurrences: Occurrence[];
}

export function dialectOf(uri: string): Dialect {
  return /\.s$/i.test(uri) ? 'gas' : 'nasm';
}

function commentStart(line: string, dialect: Dialect): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) { if (c === '\\' && dialect === 'gas') i++; else if (c === quote) quote = ''; continue; }
    if (c === '"' || (c === '\'' && dialect === 'nasm') || (c === '`' && dialect === 'nasm')) quote = c;
    else if (dialect === 'nasm' && c === ';') return i;
    else if (dialect === 'gas' && (c === '#' || (c === '/' && line[i + 1] === '/'))) {
      if (c === '#' && /^\s*#\s*(include|define|if|ifdef|ifndef|endif|else|elif|undef)\b/.test(line)) return i;
      return i;
    }
  }
  return -1;
}

const NASM_DATA = /^(db|dw|dd|dq|resb|resw|resd|resq|equ|times)$/i;
const IDENT = /[A-Za-z_.?@$][\w.?@$#~]*/g;

export function analyze(text: string, dialect: Dialect): Analysis {
  const a: Analysis = { dialect, lines: [], labels: [], sections: [], occurrences: [] };
  let global = '';
  const qualify = (n: string): string => (dialect === 'nasm' && n.startsWith('.') && !n.startsWith('..') ? global + n : n);
  text.split(/\r?\n/).forEach((raw, lineNo) => {
    const cAt = commentStart(raw, dialect);
    const line = cAt >= 0 ? raw.slice(0, cAt) : raw;
    const info: LineInfo = { operands: '', commentAt: cAt };
    a.lines.push(info);
    let pos = 0;
    // Label definition: `name:` (NASM also `name db/equ ...` without colon).
    const lm = /^(\s*)([A-Za-z_.?@$][\w.?@$#~]*|\d+)\s*:(?!:)/.exec(line);
    const nm = dialect === 'nasm' ? /^(\s*)([A-Za-z_.?@][\w.?@$#~]*)\s+(\w+)/.exec(line) : null;
    const eq = dialect === 'gas' ? /^\s*\.(?:equ|set)\s+([A-Za-z_.$][\w.$]*)\s*,/.exec(line) : null;
    let defName: string | undefined, defStart = 0, kind: LabelInfo['kind'] = 'label';
    if (lm && !/^[cdefgs]s$/i.test(lm[2]!)) {
      defName = lm[2]!; defStart = lm[1]!.length; pos = lm[0].length;
    } else if (nm && NASM_DATA.test(nm[3]!) && !NASM_DATA.test(nm[2]!)) {
      defName = nm[2]!; defStart = nm[1]!.length; pos = defStart + defName.length;
      if (/^equ$/i.test(nm[3]!)) kind = 'constant';
    } else if (eq) {
      defName = eq[1]!; defStart = line.indexOf(defName, line.indexOf('.') + 4); kind = 'constant';
    }
    if (defName) {
      if (dialect === 'nasm' && !defName.startsWith('.') && kind === 'label') global = defName;
      const q = qualify(defName);
      a.labels.push({ name: q, written: defName, line: lineNo, start: defStart, end: defStart + defName.length, kind, parent: q !== defName ? global : undefined });
      a.occurrences.push({ name: q, line: lineNo, start: defStart, end: defStart + defName.length, isDefinition: true });
    }
    // The word (mnemonic / directive) after any label.
    const rest = line.slice(pos);
    const wm = /^(\s*)([A-Za-z_.][\w.]*)/.exec(rest);
    let opsAt = pos;
    if (wm) {
      let start = pos + wm[1]!.length;
      let word = wm[2]!;
      if (defName && !lm && dialect === 'nasm') { // `name db ...`: the word is the directive
        const d = /^(\s*)(\w+)/.exec(line.slice(defStart + defName.length))!;
        start = defStart + defName.length + d[1]!.length; word = d[2]!;
      }
      // Prefixes: the instruction is the next word.
      let after = start + word.length;
      const px = /^(rep|repe|repz|repne|repnz|lock)$/i;
      while (px.test(word)) {
        const n = /^(\s+)([A-Za-z_.][\w.]*)/.exec(line.slice(after));
        if (!n) break;
        start = after + n[1]!.length; word = n[2]!; after = start + word.length;
      }
      info.word = { text: word, start, end: start + word.length };
      opsAt = after;
      info.operands = line.slice(after).trim();
      // Sections
      const lw = word.toLowerCase();
      if (dialect === 'nasm' && (lw === 'section' || lw === 'segment')) {
        const s = /\S+/.exec(line.slice(after));
        if (s) a.sections.push({ name: s[0], line: lineNo, start: after + s.index, end: after + s.index + s[0].length });
      } else if (dialect === 'gas' && /^\.(text|data|bss|section)$/.test(lw)) {
        const s = lw === '.section' ? /[^\s,]+/.exec(line.slice(after)) : null;
        a.sections.push({ name: s ? s[0] : lw, line: lineNo, start, end: start + word.length });
      }
    }
    // References: identifiers in the operands that are not registers/keywords (resolved later).
    const ops = line.slice(opsAt);
    IDENT.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = IDENT.exec(ops))) {
      const prevCh = ops[m.index - 1];
      if (prevCh === '%' || /["'`]/.test(ops.slice(0, m.index).replace(/(["'`])[^"'`]*\1/g, ''))) continue;
      let name = m[0];
      let start = opsAt + m.index;
      if (dialect === 'gas' && name.startsWith('$')) { name = name.slice(1); start++; }
      if (!name || name === '$' || name === '$$') continue;
      a.occurrences.push({ name: qualify(name), line: lineNo, start, end: start + name.length, isDefinition: false });
    }
  });
  // Keep only occurrences of names that are defined somewhere (the rest are registers, keywords...).
  const defined = new Set(a.labels.map((l) => l.name));
  a.occurrences = a.occurrences.filter((o) => defined.has(o.name));
  return a;
}

/** The occurrence under a position, if any. */
export function occurrenceAt(a: Analysis, line: number, character: number): Occurrence | undefined {
  return a.occurrences.find((o) => o.line === line && character >= o.start && character <= o.end);
}
