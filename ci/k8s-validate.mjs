// Validates a Kubernetes Job manifest offline against the API's OpenAPI schema, as bundled in
// the kubernetes-models package (npm, pinned in ci/install-deps --test-tools).
// usage: node ci/k8s-validate.mjs TOOLS_NODE_MODULES MANIFEST.yml
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, manifest] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.resolve(modules, file)).href);
const YAML = (await load("yaml/dist/index.js")).default;
const { Job } = await load("kubernetes-models/batch/v1/Job.js");

const document = YAML.parse(readFileSync(manifest, "utf8"));
if (document.kind !== "Job" || document.apiVersion !== "batch/v1") {
  console.error(`${manifest}: expected a batch/v1 Job`);
  process.exit(1);
}
new Job(document).validate();  // throws, naming the field, when the manifest is invalid
if (document.spec.completionMode !== "Indexed") {
  console.error(`${manifest}: the Job is not Indexed`);
  process.exit(1);
}
console.log(`${manifest}: a valid Indexed Job of ${document.spec.completions} completions`);
