// Mocha reporter: mocha's spec output, then the one plain line CI reads: `N passed, N failed`.
// Pending (skipped) tests are reported as skipped, never as passed.
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const skipped = s.pending ? `, ${s.pending} skipped` : '';
      // Printed after Spec's epilogue so it is the last line.
      process.nextTick(() => console.log(`${s.passes} passed, ${s.failures} failed${skipped}`));
    });
  }
}
module.exports = SummaryReporter;
