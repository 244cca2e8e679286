// Prints GitLab's CI JSON schema (draft-07) as bundled in the npm package gitlab-ci-local, so
// .gitlab-ci.yml templates are validated offline: node gitlab-ci-schema.mjs <gitlab-ci-local dir>.
// The package's own command needs a newer Node.js than Debian ships; its schema does not.
import { readFileSync } from "node:fs";

const bundle = readFileSync(`${process.argv[2]}/dist/index.js`, "utf8");
const start = bundle.indexOf('{$schema:"http://json-schema.org/draft-07/schema#",$id:"https://gitlab.com/.gitlab-ci.yml"');
if (start < 0) {
  console.error("gitlab-ci-schema: the schema is not in this gitlab-ci-local bundle");
  process.exit(1);
}
// The schema is a JavaScript object literal: find its end, skipping strings.
let depth = 0;
let end = start;
for (let quote = null; end < bundle.length; end++) {
  const c = bundle[end];
  if (quote) {
    if (c === "\\") end++;
    else if (c === quote) quote = null;
  } else if (c === '"' || c === "'" || c === "`") {
    quote = c;
  } else if (c === "{") {
    depth++;
  } else if (c === "}" && --depth === 0) {
    break;
  }
}
process.stdout.write(JSON.stringify(Function(`return ${bundle.slice(start, end + 1)}`)()));
