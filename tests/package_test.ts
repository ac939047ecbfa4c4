/**
 * The package as other repositories import it: every export in deno.json documents every public
 * symbol (`deno doc --lint`), and `deno publish --dry-run` accepts the package.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

async function deno(args: string[]): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

function exportPaths(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  return Object.values(config.exports as Record<string, string>);
}

Deno.test("deno doc --lint finds nothing to report over every export", async () => {
  const { code, output } = await deno(["doc", "--lint", ...exportPaths()]);
  assert.equal(code, 0, output);
});

Deno.test("deno publish --dry-run accepts the package", async () => {
  const { code, output } = await deno(["publish", "--dry-run", "--allow-dirty"]);
  assert.equal(code, 0, output);
  assert.match(output, /Dry run complete/);
});

Deno.test("the main export holds at most about 60 names, each documented", async () => {
  const { code, output } = await deno(["doc", "--json", "lib/mod.ts"]);
  assert.equal(code, 0, output);
  const names = new Set<string>();
  const doc = JSON.parse(output.slice(output.indexOf("{")));
  for (const node of Object.values(doc.nodes) as { symbols?: { name: string }[] }[]) {
    for (const symbol of node.symbols ?? []) names.add(symbol.name);
  }
  assert.ok(names.size > 40 && names.size <= 60, `${names.size} names: ${[...names].join(", ")}`);
  for (
    const kept of ["definePlugin", "runPlugin", "result", "ip", "route", "CniError", "configError"]
  ) {
    assert.ok(names.has(kept), `${kept} is exported`);
  }
});
