// Language server entry (dist/languageServer.js). Placeholder: it initializes and offers no features
// yet; the assembly language server (hover/completion from the opcode table) is a later issue.
import { createConnection, ProposedFeatures, TextDocumentSyncKind } from 'vscode-languageserver/node';

const connection = createConnection(ProposedFeatures.all);

connection.onInitialize(() => ({
  capabilities: { textDocumentSync: TextDocumentSyncKind.None },
  serverInfo: { name: 'vmm-debug assembly language server', version: '0.0.0' },
}));

connection.listen();
