/**
 * Helpers for end-to-end tests of this project's own plugins (bin/sample, bin/noop) run by real
 * CNI clients: making sure bin/ holds them, the plugin path, matching results that hold random
 * values (MACs, veth names) against reviewed templates, and guarding host-local's default data
 * dir for configurations that do not set `dataDir`.
 */
import assert from "node:assert/strict";
import { bundlePath, readManifest, ROOT } from "../../scripts/manifest.ts";
import { type Cleanup, isDirectory, isFile, REFERENCE_PLUGIN_DIR, runOk } from "./_netns.ts";

/** The project's plugin directory, as `make bin` fills it. */
export const PROJECT_BIN = `${ROOT}/bin`;

/** The project's example network configurations. */
export const PROJECT_NETCONF = `${ROOT}/netconf`;

/** CNI_PATH for the tests: the project's plugins first, then Debian's reference plugins. */
export const PROJECT_CNI_PATH: readonly string[] = [PROJECT_BIN, REFERENCE_PLUGIN_DIR];

/** Why bin/<name> cannot be used as it is, or undefined when it is current. */
function staleReason(name: string): string | undefined {
  const target = `${PROJECT_BIN}/${name}`;
  const bundle = bundlePath(name);
  if (!isFile(target)) return `bin/${name} is missing`;
  if (!isFile(bundle)) return `dist/${name}.js is missing`;
  const head = new Uint8Array(2);
  const file = Deno.openSync(target);
  try {
    file.readSync(head);
  } finally {
    file.close();
  }
  if (head[0] === 0x23 && head[1] === 0x21) {
    // A launcher (scripts/build.ts): it runs the bundle, so it is current if it names this one.
    if (!Deno.readTextFileSync(target).includes(bundle)) {
      return `bin/${name} launches another checkout's bundle`;
    }
    return undefined;
  }
  const built = Deno.statSync(target).mtime?.getTime() ?? 0;
  const bundled = Deno.statSync(bundle).mtime?.getTime() ?? 0;
  return built < bundled ? `bin/${name} is older than dist/${name}.js` : undefined;
}

let binReady: Promise<void> | undefined;

/**
 * Makes sure bin/ holds a current executable for every plugin of plugins.json, running
 * `scripts/build.ts bin` (once per process) when one is missing or stale. On a fresh clone,
 * `deno task test` has bundled dist/ but bin/ does not exist yet.
 */
export function ensureProjectBin(): Promise<void> {
  binReady ??= (async () => {
    const reasons = readManifest().map((p) => staleReason(p.name)).filter((r) => r !== undefined);
    if (reasons.length === 0) return;
    console.log(`building bin/ (${reasons.join("; ")})`);
    await runOk([
      Deno.execPath(),
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      `${ROOT}/scripts/build.ts`,
      "bin",
    ]);
    const left = readManifest().map((p) => staleReason(p.name)).filter((r) => r !== undefined);
    if (left.length > 0) throw new Error(`scripts/build.ts bin did not help: ${left.join("; ")}`);
  })();
  return binReady;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The reviewed expectations of tests/testdata/e2e/<file>, parsed. */
export function loadExpected(file: string): Record<string, unknown> {
  const url = new URL(`../testdata/e2e/${file}`, import.meta.url);
  const parsed: unknown = JSON.parse(Deno.readTextFileSync(url));
  assert.ok(isRecord(parsed), `${file} holds no object`);
  return parsed;
}

/** Values that vary from run to run, as templates write them: "<mac>", "<veth>". */
export const RANDOM_VALUES: Readonly<Record<string, RegExp>> = {
  "<mac>": /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/,
  "<veth>": /^veth[0-9a-f]{8}$/,
};

/**
 * Fills a template with values: a string that is a key of `known` becomes its value; one that is a
 * key of {@link RANDOM_VALUES} becomes the actual value at the same place if that matches the
 * pattern (and stays as it is otherwise, so the comparison fails there).
 */
function fill(
  template: unknown,
  actual: unknown,
  known: Readonly<Record<string, unknown>>,
): unknown {
  if (typeof template === "string") {
    if (Object.hasOwn(known, template)) return known[template];
    const pattern = RANDOM_VALUES[template];
    if (pattern !== undefined && typeof actual === "string" && pattern.test(actual)) return actual;
    return template;
  }
  if (Array.isArray(template)) {
    const list = Array.isArray(actual) ? actual : [];
    return template.map((item, i) => fill(item, list[i], known));
  }
  if (isRecord(template)) {
    const record = isRecord(actual) ? actual : {};
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [key, fill(value, record[key], known)]),
    );
  }
  return template;
}

/**
 * Asserts that `actual` equals the template as data, with the template's placeholders replaced by
 * `known` values or matched against {@link RANDOM_VALUES}.
 */
export function assertMatchesTemplate(
  actual: unknown,
  template: unknown,
  known: Readonly<Record<string, unknown>>,
): void {
  assert.deepEqual(actual, fill(template, actual, known));
}

/** host-local's data dir when a configuration names none. */
export const HOST_LOCAL_DEFAULT_DIR = "/var/lib/cni/networks";

/**
 * For a network whose IPAM has no `dataDir` (such as netconf/mysample.conflist as it is):
 * host-local then keeps its reservations under /var/lib/cni/networks/<network>. Registers the
 * removal, at cleanup, of that directory and of its parents when they did not exist before.
 */
export function guardHostLocalDefaultDir(cleanup: Cleanup, network: string): void {
  const dir = `${HOST_LOCAL_DEFAULT_DIR}/${network}`;
  const paths = ["/var/lib/cni", HOST_LOCAL_DEFAULT_DIR, dir];
  for (const path of paths) {
    if (isDirectory(path)) continue;
    // Registered parents first, so cleanup removes the deepest first. Only the network's own
    // directory holds nothing but this test's files (a lock and last_reserved_ip.0).
    cleanup.defer(async () => {
      try {
        await Deno.remove(path, { recursive: path === dir });
      } catch {
        // not empty (another user appeared meanwhile), or already gone
      }
    });
  }
}
