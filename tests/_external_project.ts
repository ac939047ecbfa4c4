/**
 * The external plugin project of tests/testdata/external: a project of its own that uses the
 * library only as the published package `@deno-cni/deno-cni`. JSR cannot be reached here, so a
 * copy of it outside the repository gets an import map that points the package's entry points
 * at this checkout's lib/ by absolute file URLs, as a locally linked package would.
 */
import assert from "node:assert/strict";

/** The repository's root directory. */
export const REPO_ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The project as it is kept in the repository. */
export const EXTERNAL_PROJECT = `${REPO_ROOT}/tests/testdata/external`;

/** The package's entry points the project may import, and nothing else of the library. */
export const PACKAGE_ENTRY_POINTS = [
  "@deno-cni/deno-cni",
  "@deno-cni/deno-cni/testing",
  "@deno-cni/deno-cni/netns",
];

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else if (entry.isFile) await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}

/**
 * Copies the project into a new temporary directory outside the repository and rewrites its
 * import map to absolute file URLs of this checkout's lib/.
 *
 * @returns the copy's directory; the caller removes it
 */
export async function copyExternalProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-external-" });
  assert.ok(!`${dir}/`.startsWith(`${REPO_ROOT}/`), "the copy is outside the repository");
  await copyTree(EXTERNAL_PROJECT, dir);
  const configUrl = new URL(`file://${EXTERNAL_PROJECT}/deno.json`);
  const config = JSON.parse(await Deno.readTextFile(configUrl));
  assert.deepEqual(Object.keys(config.imports).sort(), [...PACKAGE_ENTRY_POINTS].sort());
  for (const [specifier, target] of Object.entries<string>(config.imports)) {
    const absolute = new URL(target, configUrl);
    assert.ok(absolute.pathname.startsWith(`${REPO_ROOT}/lib/`), `${specifier} maps into lib/`);
    config.imports[specifier] = absolute.href;
  }
  await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify(config, null, 2) + "\n");
  return dir;
}

/**
 * The permission flags a task of the project's deno.json compiles a plugin with: the flags the
 * plugin gets in production.
 */
export function taskPermissions(projectDir: string, task: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${projectDir}/deno.json`));
  const command: unknown = config.tasks?.[task];
  assert.equal(typeof command, "string", `deno.json has a task "${task}"`);
  return (command as string).split(" ").filter((word) => word.startsWith("--allow-"));
}
