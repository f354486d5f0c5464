// The lint rule that keeps src/core pure (ARCHITECTURE.md, "Layers"): the core is a library that
// the CLI, the adapter, tests and benchmarks drive the same way, so it may not reach for the editor
// or the host. Host services come in through small interfaces instead.
import tseslint from 'typescript-eslint';

const hostModules = {
  patterns: [
    { group: ['vscode', '@vscode/*', 'node:*'], message: 'src/core is pure: no vscode, @vscode/* or node:* imports (ARCHITECTURE.md invariant).' },
    { group: ['fs', 'path', 'os', 'child_process', 'net', 'worker_threads', 'crypto', 'util', 'events', 'stream', 'process'], message: 'src/core is pure: Node built-ins come in through host interfaces.' },
    { group: ['../../adapter/*', '../../src/extension/*', '**/extension/*', '**/adapter/*'], message: 'src/core may not import outer layers.' },
  ],
};
const hostClock = [
  { name: 'Date', message: 'No host time in src/core: guest time is the instruction count.' },
  { name: 'performance', message: 'No host time in src/core: guest time is the instruction count.' },
  { name: 'setTimeout', message: 'No host timers in src/core.' },
  { name: 'setInterval', message: 'No host timers in src/core.' },
  { name: 'process', message: 'No host process state in src/core.' },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'build/**', 'test/guests/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {},
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', hostModules],
      'no-restricted-globals': ['error', ...hostClock],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'No host randomness in src/core: replay must be exact.' }],
    },
  },
  {
    files: ['src/**/*.ts', 'adapter/**/*.ts'],
    ignores: ['src/extension/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension imports vscode.' }] }],
    },
  },
);
