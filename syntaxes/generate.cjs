// Regenerates the three grammars from the opcode table (mnemonics) and src/core/asm/aliases.ts.
// Run after compiling: `npx tsc -p . && node syntaxes/generate.cjs` (or pass another outDir).
// test/grammar checks the grammars stay in sync with the table.
const a = require(require('path').join(__dirname, '..', process.argv[2] || 'out', 'src/core/asm/aliases.js'));
const intel = [...new Set([...a.TABLE_MNEMONICS, ...a.INTEL_ALIASES.keys(), 'sal'])].sort((x, y) => y.length - x.length || x.localeCompare(y));
const att = [...new Set([...intel, ...a.ATT_ALIASES.keys()])].sort((x, y) => y.length - x.length || x.localeCompare(y));
const prefixes = [...a.PREFIX_WORDS.keys()].join('|');
const gpr = 'e?(?:ax|bx|cx|dx|si|di|sp|bp)|[abcd][hl]';
const sys = 'cr[0-4]|dr[0-7]|[cdefgs]s';
const fs = require('fs');
const nasm = {
  $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
  name: 'x86 Assembly (NASM)', scopeName: 'source.asm.x86.nasm',
  comment: 'Generated from src/core/isa/opcodeTable.ts (mnemonics) and src/core/asm/aliases.ts; test/grammar checks they stay in sync.',
  patterns: [
    { include: '#comment' }, { include: '#label' }, { include: '#preprocessor' }, { include: '#directive' },
    { include: '#prefix' }, { include: '#instruction' }, { include: '#register' }, { include: '#size' },
    { include: '#string' }, { include: '#number' }, { include: '#location' }, { include: '#operator' },
  ],
  repository: {
    comment: { match: ';.*$', name: 'comment.line.semicolon.nasm' },
    label: { match: '^\\s*(\\.{0,2}[A-Za-z_?@][\\w.$?@#~]*)(:)', captures: { 1: { name: 'entity.name.function.label.nasm' }, 2: { name: 'punctuation.separator.label.nasm' } } },
    preprocessor: { match: '^\\s*%[A-Za-z]+\\b', name: 'keyword.control.preprocessor.nasm' },
    directive: { match: '(?i)\\b(?:bits|use16|use32|org|section|segment|global|extern|common|align|alignb|times|equ|db|dw|dd|dq|dt|resb|resw|resd|resq|rest|incbin|multiboot|cpu|default|absolute|struc|endstruc|istruc|iend|at)\\b', name: 'keyword.other.directive.nasm' },
    prefix: { match: `(?i)\\b(?:${prefixes})\\b`, name: 'keyword.other.prefix.nasm' },
    instruction: { match: `(?i)\\b(?:${intel.join('|')})\\b`, name: 'keyword.other.instruction.nasm' },
    register: { match: `(?i)\\b(?:${gpr}|${sys})\\b`, name: 'variable.language.register.nasm' },
    size: { match: '(?i)\\b(?:byte|word|dword|qword|tword|fword|short|near|far|strict|ptr)\\b', name: 'storage.type.size.nasm' },
    string: { patterns: [
      { begin: '"', end: '"', name: 'string.quoted.double.nasm' },
      { begin: "'", end: "'", name: 'string.quoted.single.nasm' },
      { begin: '`', end: '`', name: 'string.quoted.other.nasm', patterns: [{ match: '\\\\.', name: 'constant.character.escape.nasm' }] },
    ] },
    number: { patterns: [
      { match: '(?i)\\b(?:0x[0-9a-f_]+|0h[0-9a-f_]+|[0-9][0-9a-f_]*h)\\b', name: 'constant.numeric.hex.nasm' },
      { match: '(?i)\\$[0-9][0-9a-f_]*\\b', name: 'constant.numeric.hex.nasm' },
      { match: '(?i)\\b(?:0b[01_]+|[01_]+[by])\\b', name: 'constant.numeric.binary.nasm' },
      { match: '(?i)\\b(?:0[oq][0-7_]+|[0-7_]+[qo])\\b', name: 'constant.numeric.octal.nasm' },
      { match: '\\b[0-9][0-9_]*(?:d)?\\b', name: 'constant.numeric.decimal.nasm' },
    ] },
    location: { match: '\\$\\$?', name: 'variable.language.location.nasm' },
    operator: { match: '<<|>>|[-+*/%&|^~()\\[\\],:]', name: 'keyword.operator.nasm' },
  },
};
const gas = {
  $schema: nasm.$schema, name: 'x86 Assembly (GNU as, AT&T)', scopeName: 'source.asm.x86.gas',
  comment: nasm.comment,
  patterns: [
    { include: '#blockComment' }, { include: '#preprocessor' }, { include: '#comment' }, { include: '#label' },
    { include: '#directive' }, { include: '#prefix' }, { include: '#instruction' }, { include: '#register' },
    { include: '#string' }, { include: '#immediate' }, { include: '#number' }, { include: '#operator' },
  ],
  repository: {
    blockComment: { begin: '/\\*', end: '\\*/', name: 'comment.block.gas' },
    preprocessor: { match: '^\\s*#\\s*(?:include|define|undef|if|ifdef|ifndef|elif|else|endif|error|pragma|line)\\b.*$', name: 'meta.preprocessor.gas' },
    comment: { patterns: [{ match: '#.*$', name: 'comment.line.number-sign.gas' }, { match: '//.*$', name: 'comment.line.double-slash.gas' }] },
    label: { match: '^\\s*([A-Za-z_.$][\\w.$]*|[0-9]+)(:)', captures: { 1: { name: 'entity.name.function.label.gas' }, 2: { name: 'punctuation.separator.label.gas' } } },
    directive: { match: '(?<![\\w$])\\.[A-Za-z_][\\w]*', name: 'keyword.other.directive.gas' },
    prefix: { match: `(?i)\\b(?:${prefixes})\\b`, name: 'keyword.other.prefix.gas' },
    instruction: { match: `(?i)\\b(?:(?:${att.join('|')})[bwlq]?)\\b`, name: 'keyword.other.instruction.gas' },
    register: { match: `(?i)%(?:${gpr}|${sys})\\b`, name: 'variable.language.register.gas' },
    string: { patterns: [
      { begin: '"', end: '"', name: 'string.quoted.double.gas', patterns: [{ match: '\\\\.', name: 'constant.character.escape.gas' }] },
      { match: "'(?:\\\\.|.)", name: 'string.quoted.single.gas' },
    ] },
    immediate: { match: '(\\$)(?=[-\\w(~])', captures: { 1: { name: 'keyword.operator.immediate.gas' } } },
    number: { patterns: [
      { match: '(?i)\\b0x[0-9a-f]+\\b', name: 'constant.numeric.hex.gas' },
      { match: '(?i)\\b0b[01]+\\b', name: 'constant.numeric.binary.gas' },
      { match: '\\b0[0-7]+\\b', name: 'constant.numeric.octal.gas' },
      { match: '\\b[0-9]+[bf]?\\b', name: 'constant.numeric.decimal.gas' },
    ] },
    operator: { match: '<<|>>|[-+*/%&|^~()\\[\\],:]', name: 'keyword.operator.gas' },
  },
};
const disasm = {
  $schema: nasm.$schema, name: 'x86 Disassembly (vmm-debug)', scopeName: 'source.disasm.x86.vmm',
  comment: 'Lines as the disassembler prints them (objdump -M intel style): `0x00100000: b8 01 00 00 00   mov eax, 0x1`, `<symbol>:` headers, `; comments`.',
  patterns: [
    { include: '#comment' },
    { match: '^\\s*([0-9a-fA-Fx]+)?\\s*(<[^>]+>):?', captures: { 1: { name: 'constant.numeric.address.disasm' }, 2: { name: 'entity.name.function.symbol.disasm' } } },
    { match: '^\\s*((?:0x)?[0-9a-fA-F]{4,16})(:)((?:\\s+[0-9a-f]{2}(?=\\s|$))*)', captures: { 1: { name: 'constant.numeric.address.disasm' }, 2: { name: 'punctuation.separator.disasm' }, 3: { name: 'constant.other.bytes.disasm' } } },
    { match: '\\?\\?|\\(bad\\)', name: 'invalid.illegal.disasm' },
    { match: `(?i)\\b(?:${prefixes})\\b`, name: 'keyword.other.prefix.disasm' },
    { match: `(?i)\\b(?:${intel.join('|')})\\b`, name: 'keyword.other.instruction.disasm' },
    { match: `(?i)\\b(?:${gpr}|${sys}|st\\([0-7]\\))(?![\\w(])`, name: 'variable.language.register.disasm' },
    { match: '(?i)\\b(?:byte|word|dword|qword|fword|tbyte) ptr\\b', name: 'storage.type.size.disasm' },
    { match: '(?i)\\b0x[0-9a-f]+\\b', name: 'constant.numeric.hex.disasm' },
    { match: '\\b[0-9]+\\b', name: 'constant.numeric.decimal.disasm' },
    { match: '[-+*\\[\\],:]', name: 'keyword.operator.disasm' },
  ],
  repository: { comment: { match: '[;#].*$', name: 'comment.line.disasm' } },
};
fs.writeFileSync(__dirname + '/x86-nasm.tmLanguage.json', JSON.stringify(nasm, null, 2) + '\n');
fs.writeFileSync(__dirname + '/x86-gas.tmLanguage.json', JSON.stringify(gas, null, 2) + '\n');
fs.writeFileSync(__dirname + '/x86-disasm.tmLanguage.json', JSON.stringify(disasm, null, 2) + '\n');
