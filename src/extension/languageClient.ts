// Starts the assembly language server (dist/languageServer.js) with vscode-languageclient for NASM
// (.asm/.nasm, language `x86asm`) and GNU as (.s/.S, language `gas`) files.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export const ASM_LANGUAGES = ['x86asm', 'gas'];

export function startLanguageClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'languageServer.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: ASM_LANGUAGES.flatMap((language) => [{ scheme: 'file', language }, { scheme: 'untitled', language }]),
  };
  const client = new LanguageClient('vmmAsm', 'VMM Assembly', serverOptions, clientOptions);
  void client.start();
  context.subscriptions.push({ dispose: () => void client.stop() });
  return client;
}
