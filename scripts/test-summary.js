// Sums Jest's JSON reports into the one closing line CI reads: "tests: N passed, N failed".
const fs = require('node:fs');
let passed = 0,
  failed = 0,
  skipped = 0,
  suitesFailed = 0;
for (const f of process.argv.slice(2)) {
  if (!fs.existsSync(f)) {
    console.log(`${f}: missing (that run did not finish)`);
    suitesFailed++;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(f, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  suitesFailed += r.numFailedTestSuites;
  console.log(
    `${f}: ${r.numPassedTests} passed, ${r.numFailedTests} failed in ${r.numTotalTestSuites} suites (${r.numFailedTestSuites} failed suites)`,
  );
}
// A suite that fails to load has no failed test; count it so the line cannot read green.
failed += suitesFailed && !failed ? suitesFailed : 0;
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
