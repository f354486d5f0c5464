// Debug adapter entry point (dist/adapter.js).
//   node dist/adapter.js               one session over stdin/stdout (how VS Code starts it)
//   node dist/adapter.js --server=PORT listen on 127.0.0.1:PORT (0 = any free port), one session per
//                                      connection; prints "vmm-debug adapter listening on 127.0.0.1:N"
import * as net from 'node:net';
import { VmmDebugSession } from './vmmDebugSession';

// stdout carries the protocol in stdio mode: route stray console output to stderr.
console.log = console.error;
console.info = console.error;
console.warn = console.error;

// A bug must not take the adapter (and every session it serves) down.
process.on('uncaughtException', (e) => process.stderr.write(`vmm-debug adapter: uncaught ${e instanceof Error ? e.stack : String(e)}\n`));
process.on('unhandledRejection', (e) => process.stderr.write(`vmm-debug adapter: unhandled rejection ${e instanceof Error ? e.stack : String(e)}\n`));

function parsePort(argv: string[]): number | undefined {
  for (const a of argv) {
    const m = /^--server=(.*)$/.exec(a);
    if (!m) continue;
    const port = /^\d+$/.test(m[1]) ? Number(m[1]) : NaN;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`vmm-debug adapter: --server needs a port number 0..65535, got "${m[1]}"\n`);
      process.exit(2);
    }
    return port;
  }
  return undefined;
}

function serve(port: number): void {
  const server = net.createServer((socket) => {
    const session = new VmmDebugSession();
    session.setRunAsServer(true);
    socket.on('error', (e) => process.stderr.write(`vmm-debug adapter: connection error: ${e.message}\n`));
    socket.on('close', () => session.dispose());
    session.start(socket, socket);
  });
  server.on('error', (e) => {
    process.stderr.write(`vmm-debug adapter: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address() as net.AddressInfo;
    process.stdout.write(`vmm-debug adapter listening on 127.0.0.1:${addr.port}\n`);
  });
}

const port = parsePort(process.argv.slice(2));
if (port !== undefined) {
  serve(port);
} else {
  const session = new VmmDebugSession();
  process.on('SIGTERM', () => {
    session.dispose();
    session.shutdown();
  });
  session.start(process.stdin, process.stdout);
}
