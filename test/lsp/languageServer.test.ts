// The assembly language server driven over LSP by a real client library (vscode-languageserver-
// protocol / vscode-jsonrpc over the stdio of `node dist/languageServer.js --stdio`), on the sample
// files in test/fixtures/asm: hovers, diagnostics, document symbols, definitions, references,
// completion, for NASM (.asm) and GNU as (.S).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import {
  InitializeRequest, InitializedNotification, DidOpenTextDocumentNotification, HoverRequest, PublishDiagnosticsNotification,
  DocumentSymbolRequest, DefinitionRequest, ReferencesRequest, CompletionRequest, ShutdownRequest, ExitNotification,
  DidChangeTextDocumentNotification, type Diagnostic, type DocumentSymbol, type Hover, type Location, type CompletionItem, type MarkupContent,
} from 'vscode-languageserver-protocol';

const SERVER = path.resolve('dist/languageServer.js');
const FIX = path.resolve('test/fixtures/asm');

describe('assembly language server over LSP (dist/languageServer.js --stdio)', function () {
  this.timeout(20_000);
  let proc: ChildProcess;
  let conn: ProtocolConnection;
  const diagnostics = new Map<string, Diagnostic[]>();
  const waiters: { uri: string; resolve: (d: Diagnostic[]) => void }[] = [];

  before(async () => {
    proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
      diagnostics.set(p.uri, p.diagnostics);
      for (const w of waiters.splice(0)) { if (w.uri === p.uri) w.resolve(p.diagnostics); else waiters.push(w); }
    });
    conn.listen();
    const init = await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, workspaceFolders: null });
    assert.ok(init.capabilities.hoverProvider);
    await conn.sendNotification(InitializedNotification.type, {});
  });

  after(async () => {
    await conn.sendRequest(ShutdownRequest.type);
    await conn.sendNotification(ExitNotification.type);
    conn.dispose();
    proc.kill();
  });

  /** Open a fixture; resolves with its first published diagnostics. */
  function open(file: string, languageId: string, uri = pathToFileURL(path.join(FIX, file)).toString()): Promise<{ uri: string; text: string; diags: Diagnostic[] }> {
    const text = fs.readFileSync(path.join(FIX, file), 'utf8');
    const p = new Promise<Diagnostic[]>((resolve) => waiters.push({ uri, resolve }));
    void conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return p.then((diags) => ({ uri, text, diags }));
  }
  const pos = (text: string, needle: string, offset = 0): { line: number; character: number } => {
    const i = text.indexOf(needle);
    assert.ok(i >= 0, needle);
    const before = text.slice(0, i + offset).split('\n');
    return { line: before.length - 1, character: before[before.length - 1]!.length };
  };
  const hover = async (uri: string, text: string, needle: string, offset = 0): Promise<string> => {
    const h: Hover | null = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: pos(text, needle, offset) });
    assert.ok(h, `hover on ${needle}`);
    return (h.contents as MarkupContent).value;
  };

  describe('NASM (.asm)', () => {
    it('hover on CPUID: operation, forms, "always exits, reason 10"', async () => {
      const { uri, text } = await open('hello.asm', 'nasm');
      const h = await hover(uri, text, 'cpuid', 1);
      assert.match(h, /\*\*CPUID\*\*: CPU identification/);
      assert.match(h, /CPUID: always exits, reason 10 \(CPUID\)/);
      assert.match(h, /sensitive but not privileged \(behavior-sensitive\): Reveals the real processor/);
    });

    it('hover on OUT names IOPL and the I/O exit; on HLT the HLT-exiting control', async () => {
      const { uri, text } = await open('hello.asm', 'nasm');
      const out = await hover(uri, text, 'out dx, al', 1);
      assert.match(out, /privileged when CPL > IOPL/);
      assert.match(out, /exits when unconditional I\/O exiting or the I\/O bitmaps; reason 30 \(IO_INSTRUCTION\)/);
      const hlt = await hover(uri, text, 'hlt', 1);
      assert.match(hlt, /HLT: exits when HLT exiting is set; reason 12 \(HLT\)/);
      assert.match(hlt, /sensitive \(control\) and privileged/);
    });

    it('diagnostics: assembler syntax errors, unknown mnemonic, undefined symbol, sensitive-unprivileged warnings with the reason', async () => {
      const { diags } = await open('errors.asm', 'nasm');
      const byLine = (l: number): Diagnostic[] => diags.filter((d) => d.range.start.line === l);
      assert.match(byLine(3)[0]!.message, /missing \]/);
      assert.equal(byLine(3)[0]!.severity, 1);
      assert.match(byLine(4)[0]!.message, /unknown instruction or directive 'frobnicate'/);
      assert.deepEqual([byLine(4)[0]!.range.start.character, byLine(4)[0]!.range.end.character], [8, 18]);
      assert.match(byLine(5)[0]!.message, /symbol 'nowhere' is not defined/);
      const popf = byLine(6)[0]!;
      assert.equal(popf.severity, 2);
      assert.match(popf.message, /^POPF: sensitive but not privileged .*IF \(and IOPL\) are silently dropped.*under VT-x it runs natively/);
      assert.match(byLine(7)[0]!.message, /^SGDT: sensitive but not privileged .*reveals the real GDT base/);
      assert.equal(byLine(8).length, 0, 'HLT is privileged: no warning');
    });

    it('document symbols: sections with their labels, local labels under their parent, equ constants', async () => {
      const { uri } = await open('hello.asm', 'nasm');
      const syms: DocumentSymbol[] = await conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }) as DocumentSymbol[];
      const shape = (s: DocumentSymbol): unknown => (s.children?.length ? { [s.name]: s.children.map(shape) } : s.name);
      assert.deepEqual(syms.map(shape), ['COM1', { _start: ['.next', '.done'] }, { '.data': ['msg'] }, { '.bss': ['stack'] }]);
    });

    it('go to definition and find references for labels and local labels', async () => {
      const { uri, text } = await open('hello.asm', 'nasm');
      const def = await conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: pos(text, 'jz .done', 4) }) as Location;
      assert.deepEqual(def.range.start, pos(text, '.done:'));
      const msgDef = await conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: pos(text, 'esi, msg', 6) }) as Location;
      assert.deepEqual(msgDef.range.start, pos(text, 'msg:'));
      const refs = await conn.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: pos(text, '.next:'), context: { includeDeclaration: true } }) as Location[];
      assert.deepEqual(refs.map((r) => r.range.start.line), [pos(text, '.next:').line, pos(text, 'jmp .next').line]);
      const com1 = await conn.sendRequest(ReferencesRequest.type, { textDocument: { uri }, position: pos(text, 'COM1 equ'), context: { includeDeclaration: false } }) as Location[];
      assert.deepEqual(com1.map((r) => r.range.start.line), [pos(text, 'dx, COM1').line]);
    });

    it('completion: mnemonics and directives at a statement start; registers, VMCS fields and labels in operands; none in comments', async () => {
      const { uri, text } = await open('hello.asm', 'nasm');
      const at = async (p: { line: number; character: number }): Promise<CompletionItem[]> => await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: p }) as CompletionItem[];
      const start = await at({ line: pos(text, 'xor eax').line, character: 8 });
      const labels = start.map((c) => c.label);
      for (const l of ['cpuid', 'vmcall', 'jz', 'bits', 'times', 'multiboot']) assert.ok(labels.includes(l), l);
      const ops = (await at(pos(text, 'mov esi, msg', 9))).map((c) => c.label);
      for (const l of ['cr3', 'dr7', 'esi', 'GUEST_CR3', 'VM_EXIT_REASON', 'msg', '_start']) assert.ok(ops.includes(l), l);
      const inComment = await at(pos(text, 'a Multiboot guest', 3));
      assert.deepEqual(inComment, []);
    });

    it('re-publishes diagnostics when the document changes', async () => {
      const { uri, diags } = await open('hello.asm', 'nasm', 'untitled:changed.asm');
      assert.deepEqual(diags.filter((d) => d.severity === 1), []);
      const p = new Promise<Diagnostic[]>((resolve) => waiters.push({ uri, resolve }));
      await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'bits 32\n  mov eax, ebx, ecx\n' }] });
      const d = await p;
      assert.equal(d.length, 1);
      assert.match(d[0]!.message, /invalid combination of opcode and operands for mov/);
    });
  });

  describe('GNU as (.S)', () => {
    it('hover: suffixed AT&T mnemonics map to the table; POPF class; MOV to CR3 names CR3-load exiting and shadow paging', async () => {
      const { uri, text } = await open('vmx.S', 'gas');
      assert.match(await hover(uri, text, 'cpuid', 2), /CPUID: always exits, reason 10/);
      const popf = await hover(uri, text, 'popfl', 1);
      assert.match(popf, /POPFD: sensitive but not privileged \(control-sensitive\): at CPL > 0 changes to IF \(and IOPL\) are silently dropped, so under de-privileged trap-and-emulate .* under VT-x it runs natively/);
      const cr3 = await hover(uri, text, 'movl    %eax, %cr3', 1);
      assert.match(cr3, /MOV to CR3: exits when CR3-load exiting is set, which shadow paging uses; reason 28 \(CR_ACCESS\)/);
      assert.match(cr3, /privileged/);
    });

    it('diagnostics: unknown mnemonic error, sensitive-unprivileged warnings', async () => {
      const { diags, text } = await open('vmx.S', 'gas');
      const frob = diags.find((d) => d.range.start.line === pos(text, 'frobl').line)!;
      assert.match(frob.message, /unknown instruction 'frobl'/);
      assert.equal(frob.severity, 1);
      const popf = diags.find((d) => d.range.start.line === pos(text, 'popfl').line)!;
      assert.equal(popf.severity, 2);
      assert.match(popf.message, /^POPFL: sensitive but not privileged/);
      assert.ok(!diags.some((d) => d.range.start.line === pos(text, '%cr3').line), 'MOV to CR3 is privileged: no warning');
    });

    it('symbols, numeric local labels, definitions; completion offers %registers and GAS directives', async () => {
      const { uri, text } = await open('vmx.S', 'gas');
      const syms = await conn.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }) as DocumentSymbol[];
      const shape = (s: DocumentSymbol): unknown => (s.children?.length ? { [s.name]: s.children.map(shape) } : s.name);
      assert.deepEqual(syms.map(shape), [{ '.text': ['_start', '1', 'print'] }, { '.data': ['msg'] }]);
      const def = await conn.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: pos(text, 'call    print', 9) }) as Location;
      assert.deepEqual(def.range.start, pos(text, 'print:'));
      const items = (await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: pos(text, '$0x3f8', 0) }) as CompletionItem[]).map((c) => c.label);
      assert.ok(items.includes('%cr3') && items.includes('GUEST_RIP'));
      const atStart = (await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: pos(text, 'hlt').line, character: 8 } }) as CompletionItem[]).map((c) => c.label);
      assert.ok(atStart.includes('.globl') && atStart.includes('cltd') && atStart.includes('vmlaunch'));
    });
  });
});
