/**
 * Runs a plugin of plugins.json as a real process, exactly as production runs it: this Deno
 * binary with `runArgs(manifestEntry(name))` (the bundle dist/<name>/<name>.js with the permission flags
 * that `deno compile` bakes in), a clean environment holding only the case's CNI_* variables, and
 * stdin piped from the case or /dev/null.
 *
 * Deno needs no variable of its own here: with no HOME it finds the home directory through the
 * password database, and its caches are optional. So the environment is the case's CNI_* (and
 * DENO_CNI_* settings) variables and nothing else, as a runtime would give a compiled plugin.
 *
 * Processes run a few at a time (twice the cores), so a table of cases started together with
 * {@link startRuns} finishes in a fraction of the sequential time.
 */
import assert from "node:assert/strict";
import { bundlePath, manifestEntry, ROOT, runArgs } from "../scripts/manifest.ts";

/** Where a plugin's stdout or stderr goes: a pipe the test reads, or one that fails writes. */
export type StreamMode = "piped" | "full" | "closed";

/** One invocation of a plugin. */
export interface PluginCase {
  /**
   * The CNI_* variables: the process's whole environment. A Uint8Array value holds bytes that
   * need not be UTF-8; such a case runs through tests/_launch.py.
   */
  readonly env?: Readonly<Record<string, string | Uint8Array>>;
  /** The bytes on stdin; without it (or with null) stdin is /dev/null, which reads as empty. */
  readonly stdin?: string | null;
  /** stdout: "full" is /dev/full, "closed" a pipe nobody reads; default "piped". */
  readonly stdout?: StreamMode;
  /** stderr, likewise. */
  readonly stderr?: StreamMode;
  /**
   * As root: run the plugin as nobody (uid and gid 65534) without capabilities, through
   * `setpriv`, from a copy of deno and the bundle that nobody can read.
   */
  readonly unprivileged?: boolean;
}

/** What a plugin process left behind. */
export interface PluginRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON; absent when stdout is empty or does not parse. */
  readonly json?: unknown;
  /** Why a non-empty stdout is not one JSON document; absent when it is. */
  readonly jsonError?: string;
}

/** The longest a plugin may take before it counts as hung. */
const TIMEOUT_MS = 20_000;

const LIMIT = Math.max(2, 2 * (navigator.hardwareConcurrency || 1));
let running = 0;
const waiting: (() => void)[] = [];

async function acquire(): Promise<void> {
  if (running < LIMIT) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next === undefined) running--;
  else next();
}

const argsCache = new Map<string, string[]>();

/** Files newer than the bundle mean the bundle does not run the code under test. */
function staleSource(name: string, entry: string): string | undefined {
  const bundled = Deno.statSync(bundlePath(name)).mtime?.getTime() ?? 0;
  const sources = [`${ROOT}/${entry}`];
  const walk = (dir: string) => {
    for (const file of Deno.readDirSync(dir)) {
      if (file.isDirectory) walk(`${dir}/${file.name}`);
      else if (file.isFile && file.name.endsWith(".ts")) sources.push(`${dir}/${file.name}`);
    }
  };
  walk(`${ROOT}/lib`);
  return sources.find((path) => (Deno.statSync(path).mtime?.getTime() ?? 0) > bundled);
}

/**
 * The `deno run` arguments of a plugin, checked once: the bundle must exist and be newer than its
 * entry and lib/.
 *
 * @throws {Error} naming the fix (`deno task bundle`) when the bundle is missing or stale
 */
export function pluginArgs(name: string): string[] {
  const cached = argsCache.get(name);
  if (cached !== undefined) return cached;
  const entry = manifestEntry(name);
  let stale: string | undefined;
  try {
    stale = staleSource(name, entry.entry);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(`${bundlePath(name)} is missing: run \`deno task bundle\` first`);
  }
  if (stale !== undefined) {
    throw new Error(
      `${bundlePath(name)} is older than ${stale}: run \`deno task bundle\` first`,
    );
  }
  const args = runArgs(entry);
  argsCache.set(name, args);
  return args;
}

function parseStdout(stdout: string): Pick<PluginRun, "json" | "jsonError"> {
  if (stdout === "") return {};
  try {
    return { json: JSON.parse(stdout) };
  } catch (error) {
    return { jsonError: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Runs one invocation of a plugin to completion. Never throws for a non-zero exit.
 *
 * @param name the plugin's name in plugins.json
 * @throws {Error} when the bundle is missing or stale, an env key is not CNI_*, or the process
 * outlives the timeout
 */
export async function runPlugin(name: string, pluginCase: PluginCase = {}): Promise<PluginRun> {
  const env = { ...pluginCase.env };
  const foreign = Object.keys(env).filter((key) => !/^(CNI|DENO_CNI)_/.test(key));
  if (foreign.length > 0) throw new Error(`not a CNI or DENO_CNI variable: ${foreign.join(", ")}`);
  const copy = pluginCase.unprivileged ? await readableCopy(name) : undefined;
  const argv = copy === undefined
    ? [Deno.execPath(), ...pluginArgs(name)]
    : [...NOBODY, copy.deno, ...pluginArgs(name).slice(0, -1), copy.bundle];
  const [program, args, spec] = launch(argv, pluginCase);
  const piped = typeof pluginCase.stdin === "string";
  await acquire();
  try {
    const child = new Deno.Command(program, {
      args,
      cwd: "/",
      clearEnv: true,
      env: spec === undefined ? env as Record<string, string> : {},
      stdin: piped ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).spawn();
    if (piped) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(pluginCase.stdin ?? ""));
        await writer.close();
      } catch {
        // The plugin may exit without reading stdin (VERSION does): a broken pipe is fine.
      }
    }
    const output = await child.output();
    if (spec !== undefined) Deno.removeSync(spec);
    if (output.signal !== null) {
      throw new Error(`plugin "${name}" was killed by ${output.signal} (timeout ${TIMEOUT_MS} ms)`);
    }
    const decoder = new TextDecoder();
    const stdout = decoder.decode(output.stdout);
    return {
      code: output.code,
      stdout,
      stderr: decoder.decode(output.stderr),
      ...parseStdout(stdout),
    };
  } finally {
    release();
    if (copy !== undefined) await Deno.remove(copy.dir, { recursive: true });
  }
}

/** Runs the rest of a command line as nobody, with no capabilities. */
const NOBODY = [
  "setpriv",
  "--reuid=65534",
  "--regid=65534",
  "--clear-groups",
  "--inh-caps=-all",
  "--",
];

/**
 * deno and a plugin's bundle copied into a new directory that any user can read: the tree they
 * come from may not be.
 */
async function readableCopy(name: string): Promise<{ dir: string; deno: string; bundle: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-unprivileged-" });
  await Deno.chmod(dir, 0o755);
  const deno = `${dir}/deno`;
  await Deno.copyFile(Deno.execPath(), deno);
  const bundleDir = bundlePath(name).replace(/\/[^/]+$/, "");
  await Deno.mkdir(`${dir}/${name}`);
  for await (const file of Deno.readDir(bundleDir)) {
    await Deno.copyFile(`${bundleDir}/${file.name}`, `${dir}/${name}/${file.name}`);
  }
  return { dir, deno, bundle: `${dir}/${name}/${name}.js` };
}

const LAUNCHER = `${ROOT}/tests/_launch.py`;

function hex(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The program and arguments that run `argv` for a case: directly, or through tests/_launch.py
 * (with the spec file it reads) when the case has byte values or broken streams.
 */
function launch(argv: string[], pluginCase: PluginCase): [string, string[], string | undefined] {
  const env = pluginCase.env ?? {};
  const special = Object.values(env).some((value) => typeof value !== "string") ||
    (pluginCase.stdout ?? "piped") !== "piped" || (pluginCase.stderr ?? "piped") !== "piped";
  if (!special) return [argv[0]!, argv.slice(1), undefined];
  const stream = (mode: StreamMode | undefined) =>
    mode === undefined || mode === "piped" ? "inherit" : mode;
  const spec = Deno.makeTempFileSync({ prefix: "dcni-launch-", suffix: ".json" });
  Deno.writeTextFileSync(
    spec,
    JSON.stringify({
      argv,
      env: Object.fromEntries(Object.entries(env).map(([key, value]) => [key, hex(value)])),
      stdout: stream(pluginCase.stdout),
      stderr: stream(pluginCase.stderr),
    }),
  );
  return ["python3", [LAUNCHER, spec], spec];
}

/**
 * Starts every case at once (the pool bounds how many run together) and returns their runs in
 * order. Await each one inside its test step; a failure waits there too instead of surfacing as
 * an unhandled rejection.
 */
export function startRuns(name: string, cases: readonly PluginCase[]): Promise<PluginRun>[] {
  return cases.map((pluginCase) => {
    const run = runPlugin(name, pluginCase);
    run.catch(() => {});
    return run;
  });
}

/** The marks of an uncaught exception or a stack trace in a process's stderr. */
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$|^error: Uncaught|^Error: /m;

/**
 * What every plugin run must satisfy, whatever the case: stdout is empty or exactly one JSON
 * document, and stderr holds no stack trace.
 */
export function assertWellBehaved(run: PluginRun): void {
  assert.equal(
    run.jsonError,
    undefined,
    `stdout is not exactly one JSON document (${run.jsonError}):\n${run.stdout}`,
  );
  assert.doesNotMatch(run.stderr, STACK_TRACE, `stderr holds a stack trace:\n${run.stderr}`);
}

/** An expected outcome: exit status, stdout as parsed data (null: empty) and stderr. */
export interface Expected {
  readonly code: number;
  readonly stdout: unknown;
  /**
   * A regular expression the error's `msg` must match, for wording the reference does not fix;
   * `stdout` then holds the rest of the error object (its code, and details if any).
   */
  readonly msgPattern?: string;
  /** Exactly what stderr holds; "" when absent. */
  readonly stderr?: string;
  /**
   * How stdout must look byte for byte: "indent" for the Go reference's 4-space indentation with
   * no trailing newline, "line" for compact JSON and a newline (VERSION). Keys in the order of
   * `stdout`.
   */
  readonly text?: "indent" | "line";
}

/** Asserts exit status, stdout and stderr separately, then the exact text if asked for. */
export function assertOutcome(run: PluginRun, expected: Expected): void {
  assertWellBehaved(run);
  const context = `\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  assert.equal(run.code, expected.code, `exit status${context}`);
  if (expected.stdout === null) {
    assert.equal(run.stdout, "", "stdout should be empty");
  } else if (expected.msgPattern !== undefined) {
    assert.ok(isRecord(run.json) && typeof run.json.msg === "string", `an error object${context}`);
    const { msg, ...rest } = run.json;
    assert.match(msg, new RegExp(expected.msgPattern), "msg");
    assert.deepEqual(rest, expected.stdout, `stdout${context}`);
  } else {
    assert.deepEqual(run.json, expected.stdout, `stdout${context}`);
  }
  assert.equal(run.stderr, expected.stderr ?? "", "stderr");
  if (expected.text === "indent") {
    assert.equal(run.stdout, goEscape(JSON.stringify(expected.stdout, null, 4)), "stdout text");
  } else if (expected.text === "line") {
    assert.equal(run.stdout, goEscape(JSON.stringify(expected.stdout)) + "\n", "stdout text");
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON text with `<`, `>` and `&` escaped, as Go's encoder writes them. */
function goEscape(json: string): string {
  return json.replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026");
}

/** Reads a JSON file of expected outcomes, relative to tests/testdata/. */
export function readExpected(path: string): Record<string, Expected> {
  const text = Deno.readTextFileSync(new URL(`testdata/${path}`, import.meta.url));
  return JSON.parse(text);
}

/** A row of a process table: its key in the expected-outcomes file, a step name and the case. */
export interface TableRow extends PluginCase {
  readonly id: string;
  readonly name: string;
}

/**
 * Runs a table of cases against a plugin, one step per row, checking each against the outcome
 * under the row's id. The rows and the file must name the same ids, so neither goes stale.
 */
export async function runTable(
  t: Deno.TestContext,
  plugin: string,
  rows: readonly TableRow[],
  expected: Readonly<Record<string, Expected>>,
): Promise<void> {
  const ids = rows.map((row) => row.id);
  assert.equal(new Set(ids).size, ids.length, "row ids must be unique");
  assert.deepEqual([...ids].sort(), Object.keys(expected).sort(), "rows and expected outcomes");
  const runs = startRuns(plugin, rows);
  try {
    for (const [i, row] of rows.entries()) {
      await t.step(row.name, async () => assertOutcome(await runs[i]!, expected[row.id]!));
    }
  } finally {
    await Promise.allSettled(runs);
  }
}
