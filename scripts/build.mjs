// Bundles the product's entry points with esbuild; tsc type-checks separately (npm run typecheck).
// `vscode` stays external: the editor supplies it at run time.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  logLevel: 'warning',
};
const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['adapter/main.ts'], outfile: 'dist/adapter.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  { entryPoints: ['src/languageServer/server.ts'], outfile: 'dist/languageServer.js' },
];
await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
