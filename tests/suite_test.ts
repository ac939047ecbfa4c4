/**
 * The suite's runner, scripts/test.ts (`deno task test`): Deno's closing line read into counts,
 * the closing table and line CI reads, and whole runs on a small project of test files of its
 * own, through the project's real groups: a new file lands in a group by its path, each group is
 * timed, the counts of all groups are summed, and one failing group fails the run.
 */
import assert from "node:assert/strict";
import {
  closingCounts,
  type Counts,
  FULL_VARIABLE,
  GROUPS,
  type Outcome,
  report,
  runSuite,
  type SuiteOptions,
} from "../scripts/test.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The form of the last line that .ci/run restates and CI reads. */
const CI_LINE = /^tests: \d+ passed, \d+ failed$/;

Deno.test("closingCounts() reads Deno's closing line", async (t) => {
  const rows: [string, string, Counts | undefined][] = [
    ["all passed, with steps", "ok | 402 passed (3110 steps) | 0 failed (1m27s)", {
      passed: 402,
      failed: 0,
      ignored: 0,
    }],
    [
      "failures of tests and steps, and ignored tests",
      "FAILED | 2 passed (2 steps) | 2 failed (1 step) | 1 ignored (25ms)",
      { passed: 2, failed: 2, ignored: 1 },
    ],
    [
      "filtered tests",
      "ok | 1 passed | 0 failed | 3 ignored | 5 filtered out (4ms)",
      { passed: 1, failed: 0, ignored: 3 },
    ],
    [
      "colours",
      "\x1b[0m\x1b[32mok\x1b[0m | 7 passed | 0 failed \x1b[0m\x1b[38;5;245m(13ms)\x1b[0m",
      { passed: 7, failed: 0, ignored: 0 },
    ],
    [
      "the last of two",
      "ok | 1 passed | 0 failed (1ms)\nlater output\nFAILED | 0 passed | 1 failed (2ms)\n",
      { passed: 0, failed: 1, ignored: 0 },
    ],
    ["no closing line (a type error)", "error: TS2322 [ERROR]: Type 'string'...\n", undefined],
    ["a test's own output that only looks alike", "  ok | 3 passed | 0 failed\n", undefined],
  ];
  for (const [name, output, counts] of rows) {
    await t.step(name, () => assert.deepEqual(closingCounts(output), counts));
  }
});

Deno.test("report() prints each step's time and counts and sums them in CI's form", async (t) => {
  const unit: Outcome = {
    name: "unit",
    seconds: 12.34,
    counts: { passed: 300, failed: 2, ignored: 1 },
    ok: false,
  };
  const e2e: Outcome = {
    name: "e2e",
    seconds: 40,
    counts: { passed: 50, failed: 0, ignored: 3 },
    ok: true,
  };
  const bundle: Outcome = { name: "bundle", seconds: 1.5, ok: true };

  await t.step("every group's time and counts, then the total and the sums", () => {
    assert.deepEqual(report([bundle, unit, e2e]), [
      "",
      "bundle      1.5 s",
      "unit       12.3 s  300 passed, 2 failed, 1 ignored",
      "e2e        40.0 s  50 passed, 0 failed, 3 ignored",
      "total      53.8 s",
      "tests: 350 passed, 2 failed",
    ]);
  });
  await t.step("a skipped group shows why, and no time", () => {
    const skipped: Outcome = { name: "e2e", seconds: 0, ok: true, note: "skipped: why" };
    const lines = report([bundle, { ...unit, ok: true }, skipped]);
    assert.equal(lines.at(-3), `${"e2e".padEnd(19)}skipped: why`);
    assert.equal(lines.at(-1), "tests: 300 passed, 2 failed");
  });
  await t.step("a step that failed without counts counts as one failure", () => {
    const crashed: Outcome = { name: "unit", seconds: 3, ok: false, note: "no summary" };
    assert.equal(report([bundle, crashed]).at(-1), "tests: 0 passed, 1 failed");
    const broken: Outcome = { ...bundle, ok: false, note: "bundle exited 1" };
    assert.equal(report([broken]).at(-1), "tests: 0 passed, 1 failed");
  });
  await t.step("the last line is the one CI reads", () => {
    for (const outcomes of [[bundle], [bundle, unit, e2e]]) {
      assert.match(report(outcomes).at(-1)!, CI_LINE);
    }
  });
});

/**
 * A project of its own: test files by path (JavaScript, so no run spends time type-checking),
 * each with `passing` tests and `failing` ones, or with `source` as it is.
 */
async function withProject(
  files: Record<string, { passing?: number; failing?: number; source?: string }>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "dcni-suite-" });
  try {
    Deno.writeTextFileSync(`${root}/deno.json`, "{}\n");
    for (const [path, { passing = 0, failing = 0, source }] of Object.entries(files)) {
      const tests = [
        ...Array.from({ length: passing }, (_, i) => `Deno.test("passes ${i}", () => {});`),
        ...Array.from(
          { length: failing },
          (_, i) => `Deno.test("fails ${i}", () => { throw new Error("on purpose"); });`,
        ),
      ];
      await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/${path}`, source ?? `${tests.join("\n")}\n`);
    }
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Runs the suite on `root` with the project's groups, its output kept. */
async function runOn(root: string, change: Partial<SuiteOptions> = {}) {
  const chunks: Uint8Array[] = [];
  const run = await runSuite({
    root,
    groups: GROUPS,
    full: false,
    named: new Set(),
    bundle: false,
    write: (bytes) => {
      chunks.push(bytes.slice());
      return Promise.resolve();
    },
    stderr: "null",
    ...change,
  });
  const output = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  return { ...run, output, lines: output.trimEnd().split("\n") };
}

const counted = (outcomes: readonly Outcome[]) =>
  Object.fromEntries(outcomes.map((o) => [o.name, o.counts ?? o.note]));

Deno.test("a run on a project of its own: groups by path, timed and summed", async (t) => {
  const files = {
    "tests/a_test.js": { passing: 2 },
    "tests/new_dir/b_test.js": { passing: 1 },
    "lib/c_test.js": { passing: 1 },
    "tests/e2e/d_test.js": { passing: 2, failing: 1 },
  };
  await withProject(files, async (root) => {
    await t.step("by default every file outside tests/e2e/ runs, and e2e is skipped", async () => {
      const run = await runOn(root);
      assert.equal(run.status, 0, run.output);
      assert.deepEqual(counted(run.outcomes), {
        unit: { passed: 4, failed: 0, ignored: 0 },
        e2e: `skipped: ${FULL_VARIABLE}=1 runs it (${GROUPS[1]!.about})`,
      });
      assert.match(run.output, /^== unit: \d+\.\d s$/m);
      assert.equal(run.lines.at(-1), "tests: 4 passed, 0 failed");
    });
    await t.step("the full run adds tests/e2e/, sums both groups and fails with it", async () => {
      const run = await runOn(root, { full: true });
      assert.equal(run.status, 1, run.output);
      assert.deepEqual(counted(run.outcomes), {
        unit: { passed: 4, failed: 0, ignored: 0 },
        e2e: { passed: 2, failed: 1, ignored: 0 },
      });
      assert.match(run.output, /^== e2e: \d+\.\d s$/m);
      assert.match(run.output, /^e2e +\d+\.\d s {2}2 passed, 1 failed, 0 ignored$/m);
      assert.equal(run.lines.at(-1), "tests: 6 passed, 1 failed");
    });
    await t.step("a named group runs alone; one that stops early counts one failure", async () => {
      Deno.writeTextFileSync(`${root}/tests/broken_test.js`, "Deno.test(\n");
      const run = await runOn(root, { named: new Set(["unit"]) });
      assert.equal(run.status, 1, run.output);
      assert.deepEqual(counted(run.outcomes), { unit: "deno test exited 1, no summary" });
      assert.equal(run.lines.at(-1), "tests: 0 passed, 1 failed");
    });
  });
});

/**
 * Calls that change what every file of a process shares: its directory, environment, umask
 * (`Deno.umask()` without an argument only reads it).
 */
const PROCESS_WIDE =
  /\b(Deno|process)\.(chdir\(|umask\(\s*[^\s)])|\bDeno\.env\.(set|delete)\(|\bprocess\.env\.\w+\s*=[^=]/;

/** Directories no test of the `unit` group lives in. */
const NOT_UNIT = new Set(["tests/e2e", "tests/testdata", ".tools", ".git", "bin", "dist"]);

/** The files of the `unit` group and its helpers: tests/ but e2e/ and testdata/, *_test.ts. */
function unitSources(dir = ROOT, rel = ""): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory && !NOT_UNIT.has(path) && entry.name !== "node_modules") {
      found.push(...unitSources(`${dir}/${entry.name}`, path));
    } else if (
      entry.isFile && /\.[mc]?[jt]sx?$/.test(entry.name) &&
      (path.startsWith("tests/") || /[._]test\.[mc]?[jt]sx?$/.test(entry.name))
    ) {
      found.push(path);
    }
  }
  return found;
}

Deno.test("no file of the parallel group changes the directory, environment or umask", () => {
  const sources = unitSources();
  assert.ok(sources.includes("tests/suite_test.ts"), "the walk finds the test files");
  assert.ok(!sources.some((s) => s.startsWith("tests/e2e/")));
  const offenders = sources.filter((path) =>
    PROCESS_WIDE.test(Deno.readTextFileSync(`${ROOT}/${path}`))
  );
  assert.deepEqual(
    offenders,
    [],
    "these run side by side with other files in one process (deno test --parallel), where such " +
      "a change reaches every file: pass the value instead, or move the test to tests/e2e/",
  );
});

Deno.test("deno task test and make test run this runner; .ci/run makes the full run", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  assert.match(config.tasks.test, /^deno run [-a-z= ]+ scripts\/test\.ts$/);
  assert.match(Deno.readTextFileSync(`${ROOT}/Makefile`), /^test:\n\t\$\(DENO\) task test$/m);
  const ci = Deno.readTextFileSync(`${ROOT}/.ci/run`);
  assert.match(ci, new RegExp(`^${FULL_VARIABLE}=1 make test `, "m"));
});
