/**
 * The test suite, as `deno task test` and `make test` run it: the plugins are bundled, then each
 * group below is one `deno test` run. Every group's time is printed, and the last line sums them
 * all in the form CI reads: `tests: N passed, N failed`. The exit status is 1 when the bundle or
 * any group failed.
 *
 * The groups are found by path, so a new test file lands in one without an edit here:
 *
 *   unit  everything `deno test --doc` finds outside tests/e2e/ (tests/, the JSDoc examples, the
 *         ts examples of README.md and docs/*.md, which it finds too), files side by side
 *         (`--parallel`, one per core): no file shares state with another, and each cleans up
 *         what it makes.
 *   e2e   tests/e2e/: namespaces, libcni, podman and containerd as root, one file at a time.
 *         Slow, so it runs only in the full run: TEST_FULL=1 or `--full` (`.ci/run` sets
 *         TEST_FULL=1), or when named.
 *
 * The full run also gives the fuzz test its larger count (tests/fuzz_test.ts reads TEST_FULL).
 *
 * Usage: deno task test [--full] [group...]   (no group: unit, and e2e in the full run)
 */
import { parseArgs } from "node:util";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();

/** The environment variable that asks for the full run. */
export const FULL_VARIABLE = "TEST_FULL";

/**
 * The permissions every group's tests get: all of them. The tests run plugins with exactly their
 * own permissions as processes; the tests themselves read /proc (which Deno grants only with
 * --allow-all), set the umask, open sockets and use FFI.
 */
const PERMISSIONS = ["--allow-all"];

/** One `deno test` run. */
export interface Group {
  readonly name: string;
  /** What it covers, for the usage text and a skipped group's line. */
  readonly about: string;
  /** The arguments after `deno test` and the permissions. */
  readonly args: readonly string[];
  /** True when it runs only in the full run (or when named). */
  readonly fullOnly: boolean;
}

/** The groups, in the order they run. */
export const GROUPS: readonly Group[] = [
  {
    name: "unit",
    about: "tests/ outside tests/e2e/, the JSDoc examples, README.md and docs/",
    args: ["--doc", "--parallel", "--ignore=tests/e2e/"],
    fullOnly: false,
  },
  {
    name: "e2e",
    about: "tests/e2e/: root, namespaces, libcni, podman, containerd",
    args: ["tests/e2e/"],
    fullOnly: true,
  },
];

/** A group's counts, from Deno's closing line. */
export interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly ignored: number;
}

/**
 * The counts of Deno's closing line (`ok | 12 passed (30 steps) | 0 failed | 2 ignored (3s)`),
 * the last one in `output`; undefined when there is none (a run that did not get to its tests).
 */
export function closingCounts(output: string): Counts | undefined {
  // deno-lint-ignore no-control-regex
  const lines = output.replace(/\x1b\[[0-9;]*m/g, "").split("\n");
  const line = lines.findLast((l) => /^(ok|FAILED) \| \d+ passed/.test(l));
  if (line === undefined) return undefined;
  const count = (word: string) => Number(new RegExp(`\\| (\\d+) ${word}\\b`).exec(line)?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed"), ignored: count("ignored") };
}

/** One finished step of the run, for the closing table. */
export interface Outcome {
  readonly name: string;
  readonly seconds: number;
  /** Undefined for a step that is not a test run (the bundle) or did not run. */
  readonly counts?: Counts;
  /** Why it failed without counts, or why it was skipped. */
  readonly note?: string;
  readonly ok: boolean;
}

/** The closing table and line: each group's time and counts, then `tests: N passed, N failed`. */
export function report(outcomes: readonly Outcome[]): string[] {
  const rows = outcomes.map((o) => {
    const time = o.note?.startsWith("skipped") ? "" : `${o.seconds.toFixed(1)} s`;
    const counts = o.counts === undefined
      ? ""
      : `${o.counts.passed} passed, ${o.counts.failed} failed, ${o.counts.ignored} ignored`;
    return `${o.name.padEnd(8)}${time.padStart(9)}  ${
      [counts, o.note ?? ""].filter(Boolean).join("; ")
    }`
      .trimEnd();
  });
  const ran = outcomes.filter((o) => !o.note?.startsWith("skipped"));
  const total = ran.reduce((sum, o) => sum + o.seconds, 0);
  const passed = outcomes.reduce((sum, o) => sum + (o.counts?.passed ?? 0), 0);
  // A step that failed without counting its tests counts as one failure, so the line never
  // says "0 failed" for a run that failed.
  const failed = outcomes.reduce(
    (sum, o) => sum + (o.counts?.failed ?? (o.ok ? 0 : 1)),
    0,
  );
  return [
    "",
    ...rows,
    `${"total".padEnd(8)}${`${total.toFixed(1)} s`.padStart(9)}`,
    `tests: ${passed} passed, ${failed} failed`,
  ];
}

/** How much of a run's stdout is kept to find its closing line. */
const KEPT_BYTES = 1 << 20;

/** What one run of the suite is told. */
export interface SuiteOptions {
  /** The project directory, where `deno test` runs. */
  readonly root: string;
  readonly groups: readonly Group[];
  /** The full run: every group, and FULL_VARIABLE=1 for the tests. */
  readonly full: boolean;
  /** Only these groups, when not empty. */
  readonly named: ReadonlySet<string>;
  /** Whether to bundle the plugins first (scripts/build.ts bundle). */
  readonly bundle: boolean;
  /** Where the runs' stdout and the runner's own lines go. */
  readonly write: (bytes: Uint8Array) => Promise<void>;
  /** Where the runs' stderr goes. */
  readonly stderr: "inherit" | "null";
}

/** The steps of one run of the suite and its exit status. */
export interface SuiteRun {
  readonly outcomes: readonly Outcome[];
  readonly status: number;
}

/** Runs the bundle, when asked, and the chosen groups; prints the closing table and line. */
export async function runSuite(options: SuiteOptions): Promise<SuiteRun> {
  const say = (line: string) => options.write(new TextEncoder().encode(`${line}\n`));
  const env: Record<string, string> = options.full ? { [FULL_VARIABLE]: "1" } : {};

  /** Runs deno with stdout passed on (its tail kept) and returns the exit status and tail. */
  const run = async (args: readonly string[]) => {
    const child = new Deno.Command(DENO, {
      args: [...args],
      cwd: options.root,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: options.stderr,
    }).spawn();
    const decoder = new TextDecoder();
    let tail = "";
    for await (const chunk of child.stdout) {
      await options.write(chunk);
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-KEPT_BYTES);
    }
    return { code: (await child.status).code, tail };
  };

  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const value = await fn();
    return [value, (performance.now() - started) / 1000];
  };

  const outcomes: Outcome[] = [];
  if (options.bundle) {
    const build = `${options.root}/scripts/build.ts`;
    const [{ code }, seconds] = await timed(() => run(["run", ...PERMISSIONS, build, "bundle"]));
    outcomes.push(
      code === 0
        ? { name: "bundle", seconds, ok: true }
        : { name: "bundle", seconds, ok: false, note: `scripts/build.ts bundle exited ${code}` },
    );
  }
  if (outcomes.every((o) => o.ok)) {
    for (const group of options.groups) {
      const chosen = options.named.size > 0
        ? options.named.has(group.name)
        : options.full || !group.fullOnly;
      if (!chosen) {
        if (options.named.size === 0) {
          const note = `skipped: ${FULL_VARIABLE}=1 runs it (${group.about})`;
          outcomes.push({ name: group.name, seconds: 0, ok: true, note });
        }
        continue;
      }
      await say(`\n== ${group.name}: ${group.about}`);
      const [{ code, tail }, seconds] = await timed(() =>
        run(["test", ...PERMISSIONS, ...group.args])
      );
      await say(`== ${group.name}: ${seconds.toFixed(1)} s`);
      const counts = closingCounts(tail);
      outcomes.push(
        counts === undefined
          ? { name: group.name, seconds, ok: false, note: `deno test exited ${code}, no summary` }
          : { name: group.name, seconds, counts, ok: code === 0 && counts.failed === 0 },
      );
    }
  }
  for (const line of report(outcomes)) await say(line);
  return { outcomes, status: outcomes.every((o) => o.ok) ? 0 : 1 };
}

async function writeStdout(bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

const USAGE = `usage: deno task test [--full] [group...]

  --full   the full run, as CI: every group and the fuzz test's larger count
           (the same as ${FULL_VARIABLE}=1)
  group    run only these groups:
${
  GROUPS.map((g) => `             ${g.name.padEnd(6)}${g.about}${g.fullOnly ? " (full run)" : ""}`)
    .join("\n")
}`;

/** The command line: returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { full: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`test: ${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const unknown = parsed.positionals.find((name) => !GROUPS.some((g) => g.name === name));
  if (unknown !== undefined) {
    console.error(`test: no group named "${unknown.slice(0, 40)}"\n${USAGE}`);
    return 2;
  }
  const { status } = await runSuite({
    root: ROOT,
    groups: GROUPS,
    full: parsed.values.full === true || Deno.env.get(FULL_VARIABLE) === "1",
    named: new Set(parsed.positionals),
    bundle: true,
    write: writeStdout,
    stderr: "inherit",
  });
  return status;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
