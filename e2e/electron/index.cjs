// Extension-host test runner for @vscode/test-electron (scripts/e2e-electron.mjs): VS Code loads this
// file with --extensionTestsPath and calls run(); it runs the mocha tests beside it inside the
// extension host, where `require('vscode')` is the real API.
const path = require('node:path');
const Mocha = require(path.join(__dirname, '..', '..', 'node_modules', 'mocha'));

exports.run = function run() {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false });
  mocha.addFile(path.join(__dirname, 'extension.test.cjs'));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      console.log(`extension host: ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
  });
};
