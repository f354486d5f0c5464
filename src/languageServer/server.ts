// The assembly language server (dist/languageServer.js, started by src/extension/languageClient.ts;
// any LSP client can run `node dist/languageServer.js --stdio`). Everything it knows about
// instructions comes from the one opcode table, through the assembler and hoverText.ts.
// Dialect by file extension: .s/.S GNU as (AT&T), .asm/.nasm (and anything else) NASM.
import {
  CompletionItemKind, createConnection, DiagnosticSeverity, MarkupKind, ProposedFeatures, SymbolKind, TextDocuments,
  TextDocumentSyncKind, type CompletionItem, type Diagnostic, type DocumentSymbol, type Location,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, dialectOf, occurrenceAt, type Analysis } from './document';
import { diagnose } from './diagnostics';
import { hoverMarkdown } from './hoverText';
import { completionsFor } from './completion';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

const analysisOf = (doc: TextDocument): Analysis => analyze(doc.getText(), dialectOf(doc.uri));

connection.onInitialize(() => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    hoverProvider: true,
    documentSymbolProvider: true,
    definitionProvider: true,
    referencesProvider: true,
    completionProvider: { triggerCharacters: ['%', '.'] },
  },
  serverInfo: { name: 'vmm-debug assembly language server', version: '0.1.0' },
}));

function publish(doc: TextDocument): void {
  const diagnostics: Diagnostic[] = diagnose(doc.getText(), dialectOf(doc.uri)).map((d) => ({
    range: { start: { line: d.line, character: d.start }, end: { line: d.line, character: d.end } },
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: 'vmm-asm', message: d.message, code: d.code,
  }));
  void connection.sendDiagnostics({ uri: doc.uri, diagnostics });
}
documents.onDidChangeContent((e) => publish(e.document)); // also fires on open
documents.onDidClose((e) => void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }));

connection.onHover(({ textDocument, position }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc) return null;
  const a = analysisOf(doc);
  const line = a.lines[position.line];
  const w = line?.word;
  if (!w || position.character < w.start || position.character > w.end) return null;
  let operands = line.operands;
  if (a.dialect === 'gas') operands = operands.split(',').reverse().join(','); // AT&T order → Intel order
  const md = hoverMarkdown(w.text, a.dialect, operands);
  if (!md) return null;
  return { contents: { kind: MarkupKind.Markdown, value: md }, range: { start: { line: position.line, character: w.start }, end: { line: position.line, character: w.end } } };
});

connection.onDocumentSymbol(({ textDocument }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc) return [];
  const a = analysisOf(doc);
  const range = (line: number, start: number, end: number) => ({ start: { line, character: start }, end: { line, character: end } });
  const out: DocumentSymbol[] = [];
  const sections = [...a.sections].sort((x, y) => x.line - y.line);
  const containerFor = (line: number): DocumentSymbol[] => {
    let sec: DocumentSymbol | undefined;
    for (const s of sections) if (s.line <= line) sec = out.find((o) => o.name === s.name && o.range.start.line === s.line);
    return sec ? (sec.children ??= []) : out;
  };
  for (const s of sections) out.push({ name: s.name, kind: SymbolKind.Namespace, range: range(s.line, 0, s.end), selectionRange: range(s.line, s.start, s.end), children: [] });
  let lastGlobal: DocumentSymbol | undefined;
  for (const l of a.labels) {
    const sym: DocumentSymbol = {
      name: l.written, detail: l.kind === 'constant' ? 'equ' : l.parent ? `local label of ${l.parent}` : 'label',
      kind: l.kind === 'constant' ? SymbolKind.Constant : SymbolKind.Function,
      range: range(l.line, l.start, l.end), selectionRange: range(l.line, l.start, l.end),
    };
    if (l.parent && lastGlobal && l.parent === lastGlobal.name) (lastGlobal.children ??= []).push(sym);
    else {
      containerFor(l.line).push(sym);
      if (l.kind === 'label') lastGlobal = sym;
    }
  }
  return out.sort((x, y) => x.range.start.line - y.range.start.line);
});

connection.onDefinition(({ textDocument, position }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc) return null;
  const a = analysisOf(doc);
  const occ = occurrenceAt(a, position.line, position.character);
  if (!occ) return null;
  const def = a.labels.find((l) => l.name === occ.name);
  if (!def) return null;
  return { uri: doc.uri, range: { start: { line: def.line, character: def.start }, end: { line: def.line, character: def.end } } } satisfies Location;
});

connection.onReferences(({ textDocument, position, context }) => {
  const doc = documents.get(textDocument.uri);
  if (!doc) return [];
  const a = analysisOf(doc);
  const occ = occurrenceAt(a, position.line, position.character);
  if (!occ) return [];
  return a.occurrences
    .filter((o) => o.name === occ.name && (context.includeDeclaration || !o.isDefinition))
    .map((o): Location => ({ uri: doc.uri, range: { start: { line: o.line, character: o.start }, end: { line: o.line, character: o.end } } }));
});

connection.onCompletion(({ textDocument, position }): CompletionItem[] => {
  const doc = documents.get(textDocument.uri);
  if (!doc) return [];
  const a = analysisOf(doc);
  const line = a.lines[position.line];
  if (line && line.commentAt >= 0 && position.character > line.commentAt) return []; // no completion in comments
  return completionsFor(a, doc.getText({ start: { line: position.line, character: 0 }, end: position })).map((c) => ({
    label: c.label, detail: c.detail, kind: c.kind === 'mnemonic' ? CompletionItemKind.Keyword : c.kind === 'register' ? CompletionItemKind.Variable
      : c.kind === 'directive' ? CompletionItemKind.Property : c.kind === 'vmcs' ? CompletionItemKind.Constant : CompletionItemKind.Reference,
  }));
});

documents.listen(connection);
connection.listen();
