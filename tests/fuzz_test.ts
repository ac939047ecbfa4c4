/**
 * A seeded, bounded fuzz test of the plugins as real processes: the sample (main.ts), noop
 * (examples/noop.ts) and ptp (examples/ptp.ts), found in plugins.json by their entry file, run
 * from their bundles with their exact permissions on mutated valid configurations
 * (tests/testdata/fuzz/<role>.json) and environments, every verb and spec version. Each run must
 * keep the protocol's invariants (tests/_fuzz.ts `checkRun`): exit 0 with the verb's output or 1
 * with one error object, nothing else on stdout, no stack trace, done within 10 s.
 *
 * ptp only runs where it fails or answers before running any program: its CNI_PATH holds only an
 * empty directory (so the IPAM plugin is never found and ADD, DEL, CHECK, GC and STATUS stop
 * there) and its CNI_NETNS never names a namespace that exists; `ptpUnsafe` is checked before
 * every ptp run.
 *
 * Environment values that are not UTF-8 cannot be given to `Deno.Command`, so those runs go
 * through perl (Debian's essential perl-base): it reads the variables as bytes from a file and
 * execs the same Deno command line with them.
 *
 * Settings: FUZZ_SEED (default 1), FUZZ_CASES (default 300; 3,000 in the full run that CI makes,
 * TEST_FULL=1, see scripts/test.ts), FUZZ_CASE=<n> replays case n of the seed alone and prints it
 * in full.
 */
import assert from "node:assert/strict";
import { readManifest } from "../scripts/manifest.ts";
import { pluginArgs, runPlugin } from "./_process.ts";
import {
  buildCase,
  type BuildContext,
  type BuiltCase,
  type ByteEnv,
  checkRun,
  escapeBytes,
  type FuzzCase,
  generateCase,
  isUtf8,
  lossyText,
  type Outcome,
  type PluginRole,
  ptpUnsafe,
  shrinkCandidates,
  utf8,
  type Violation,
} from "./_fuzz.ts";

const DEFAULT_SEED = 1;
/** Cases by default: enough for a quick run; the full run (TEST_FULL=1) is CI's. */
const DEFAULT_CASES = Deno.env.get("TEST_FULL") === "1" ? 3000 : 300;

/** The longest one run may take. */
const LIMIT_MS = 10_000;

/** How many failures of each rule are printed in full (and shrunk). */
const EXAMPLES_PER_RULE = 3;

/** How many extra runs shrinking failures may cost in all. */
const SHRINK_BUDGET = 120;

/** As many runs at once as tests/_process.ts allows, so its pool never makes a run wait. */
const WORKERS = Math.max(2, 2 * (navigator.hardwareConcurrency || 1));

/** The plugins by entry file: their names in plugins.json may change. */
const ROLES: Readonly<Record<string, PluginRole>> = {
  "main.ts": "sample",
  "examples/noop.ts": "noop",
  "examples/ptp.ts": "ptp",
};

const PERL = "/usr/bin/perl";

/**
 * argv: a file of NUL-terminated KEY=VALUE entries, then the command line. Replaces the
 * environment with those entries, bytes as they are, and execs the command.
 */
const EXEC_WITH_ENV = String.raw`
open(my $f, "<:raw", shift @ARGV) or die "fuzz-exec: $!\n";
my $data = do { local $/; <$f> };
close $f;
%ENV = ();
for my $entry (split /\0/, $data) {
  my ($key, $value) = split /=/, $entry, 2;
  $ENV{$key} = $value;
}
exec { $ARGV[0] } @ARGV or die "fuzz-exec: $!\n";
`;

/** A setting from the environment: an integer from `min` to `max`, or `fallback` when unset. */
function readInteger(name: string, fallback: number, min: number, max = 2 ** 32 - 1): number {
  const text = Deno.env.get(name);
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** The plugin names of plugins.json by role. */
function pluginNames(): Record<PluginRole, string> {
  const names: Partial<Record<PluginRole, string>> = {};
  for (const plugin of readManifest()) {
    const role = ROLES[plugin.entry];
    if (role !== undefined) names[role] = plugin.name;
  }
  for (const [entry, role] of Object.entries(ROLES)) {
    if (names[role] === undefined) {
      throw new Error(`plugins.json has no plugin with entry "${entry}"`);
    }
  }
  return names as Record<PluginRole, string>;
}

function readCorpus(role: PluginRole): unknown[] {
  const text = Deno.readTextFileSync(new URL(`testdata/fuzz/${role}.json`, import.meta.url));
  const corpus: unknown = JSON.parse(text);
  if (!Array.isArray(corpus) || corpus.length === 0) {
    throw new Error(`tests/testdata/fuzz/${role}.json must be a non-empty list of configurations`);
  }
  return corpus;
}

/** True when runPlugin can carry the case: CNI_* keys, UTF-8 values and stdin. */
function fitsRunPlugin(built: BuiltCase): boolean {
  return Object.entries(built.env).every(([key, value]) =>
    key.startsWith("CNI_") && isUtf8(value)
  ) &&
    (built.stdin === null || isUtf8(built.stdin));
}

/** Runs a case through tests/_process.ts. */
async function runWithProcess(name: string, built: BuiltCase): Promise<Outcome> {
  const env = Object.fromEntries(Object.entries(built.env).map(([k, v]) => [k, lossyText(v)]));
  const stdin = built.stdin === null ? null : lossyText(built.stdin);
  const start = performance.now();
  try {
    const run = await runPlugin(name, { env, stdin });
    return {
      code: run.code,
      stdout: utf8(run.stdout),
      stderr: utf8(run.stderr),
      ms: performance.now() - start,
    };
  } catch (error) {
    return {
      code: undefined,
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
      ms: performance.now() - start,
      abnormal: error instanceof Error ? error.message : String(error),
    };
  }
}

let envFiles = 0;

/**
 * Runs a case with its exact bytes: the same command line as tests/_process.ts, through perl
 * when a variable is not UTF-8.
 */
async function runWithBytes(name: string, built: BuiltCase, scratchDir: string): Promise<Outcome> {
  const command = [Deno.execPath(), ...pluginArgs(name)];
  const byteEnv = Object.values(built.env).some((value) => !isUtf8(value));
  let envFile: string | undefined;
  let program = command[0]!;
  let args = command.slice(1);
  let env: Record<string, string> = {};
  if (byteEnv) {
    envFile = `${scratchDir}/env-${envFiles++}`;
    const entries = Object.entries(built.env).map(([key, value]) =>
      new Uint8Array([...utf8(`${key}=`), ...value, 0])
    );
    await Deno.writeFile(envFile, new Uint8Array(entries.flatMap((e) => [...e])));
    program = PERL;
    args = ["-e", EXEC_WITH_ENV, envFile, ...command];
  } else {
    env = Object.fromEntries(Object.entries(built.env).map(([k, v]) => [k, lossyText(v)]));
  }
  const start = performance.now();
  try {
    const child = new Deno.Command(program, {
      args,
      cwd: "/",
      clearEnv: true,
      env,
      stdin: built.stdin === null ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(LIMIT_MS),
    }).spawn();
    if (built.stdin !== null) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(built.stdin);
        await writer.close();
      } catch {
        // The plugin may exit without reading stdin: a broken pipe is fine.
      }
    }
    const output = await child.output();
    const ms = performance.now() - start;
    if (lossyText(output.stderr).startsWith("fuzz-exec:")) {
      throw new Error(`perl could not run the plugin: ${lossyText(output.stderr)}`);
    }
    return {
      code: output.signal === null ? output.code : undefined,
      stdout: output.stdout,
      stderr: output.stderr,
      ms,
      ...(output.signal === null ? {} : { abnormal: `killed by ${output.signal}` }),
    };
  } finally {
    if (envFile !== undefined) await Deno.remove(envFile);
  }
}

/** One case run and checked. */
interface Result {
  readonly fuzzCase: FuzzCase;
  readonly built: BuiltCase;
  readonly outcome: Outcome;
  readonly violations: Violation[];
}

/** Everything the runs share. */
interface Harness {
  readonly names: Record<PluginRole, string>;
  readonly corpora: Record<PluginRole, unknown[]>;
  readonly ctx: BuildContext;
}

async function runOne(harness: Harness, fuzzCase: FuzzCase): Promise<Result> {
  const built = buildCase(fuzzCase, harness.corpora[fuzzCase.role], harness.ctx);
  if (fuzzCase.role === "ptp") {
    const unsafe = ptpUnsafe(built.env, harness.ctx.emptyDir);
    if (unsafe !== undefined) {
      throw new Error(`case ${fuzzCase.index} is not safe for ptp: ${unsafe}`);
    }
  }
  const name = harness.names[fuzzCase.role];
  const outcome = fitsRunPlugin(built)
    ? await runWithProcess(name, built)
    : await runWithBytes(name, built, harness.ctx.scratchDir);
  return {
    fuzzCase,
    built,
    outcome,
    violations: checkRun(built.env, built.stdin, outcome, LIMIT_MS),
  };
}

/** Runs cases `WORKERS` at a time, in order of their numbers. */
async function runAll(harness: Harness, cases: readonly FuzzCase[]): Promise<Result[]> {
  const results: Result[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runOne(harness, cases[i]!);
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return results;
}

/** Drops mutations while the case still breaks the same rule; spends from `budget`. */
async function shrink(harness: Harness, failed: Result, budget: { runs: number }): Promise<Result> {
  const rule = failed.violations[0]!.rule;
  let best = failed;
  let improved = true;
  while (improved && budget.runs > 0) {
    improved = false;
    for (const candidate of shrinkCandidates(best.fuzzCase)) {
      if (budget.runs-- <= 0) break;
      const result = await runOne(harness, candidate);
      if (result.violations.some((v) => v.rule === rule)) {
        best = result;
        improved = true;
        break;
      }
    }
  }
  return best;
}

/** How the runs ended: exit status 0, or the error code of exit status 1, or anything else. */
function summarize(results: readonly Result[]): string {
  const counts = new Map<string, number>();
  for (const { outcome } of results) {
    let key = outcome.code === undefined ? "no exit" : `exit ${outcome.code}`;
    if (outcome.code === 1) {
      try {
        key = `code ${JSON.parse(lossyText(outcome.stdout)).code}`;
      } catch {
        key = "exit 1, no JSON";
      }
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key}: ${n}`).join(", ");
}

function formatEnv(env: ByteEnv): string {
  const entries = Object.entries(env);
  if (entries.length === 0) return "(empty)";
  return entries.map(([key, value]) => `${key}=${escapeBytes(value, 300)}`).join(" ");
}

function describe(result: Result, indent = "  "): string {
  const { built, outcome } = result;
  const stdin = built.stdin === null
    ? "/dev/null"
    : `(${built.stdin.length} bytes) ${escapeBytes(built.stdin, 2000)}`;
  const status = outcome.code === undefined ? outcome.abnormal : `exit status ${outcome.code}`;
  return [
    `plugin: ${result.fuzzCase.role}`,
    ...built.notes.map((note) => `mutation: ${note}`),
    ...result.violations.map((v) => `broke [${v.rule}]: ${v.message}`),
    `env: ${formatEnv(built.env)}`,
    `stdin: ${stdin}`,
    `${status} after ${Math.round(outcome.ms)} ms`,
    `stdout: ${escapeBytes(outcome.stdout, 1000)}`,
    `stderr: ${escapeBytes(outcome.stderr, 1000)}`,
  ].map((line) => indent + line).join("\n");
}

async function withDirs<T>(fn: (ctx: BuildContext) => Promise<T>): Promise<T> {
  const emptyDir = await Deno.makeTempDir({ prefix: "dcni-fuzz-empty-" });
  const scratchDir = await Deno.makeTempDir({ prefix: "dcni-fuzz-scratch-" });
  try {
    const value = await fn({ emptyDir, scratchDir });
    const left = [...Deno.readDirSync(emptyDir)].map((e) => e.name);
    assert.deepEqual(left, [], `something was created in ${emptyDir}`);
    return value;
  } finally {
    await Deno.remove(emptyDir, { recursive: true });
    await Deno.remove(scratchDir, { recursive: true });
  }
}

const perlMissing = (() => {
  try {
    return Deno.statSync(PERL).isFile ? undefined : `${PERL} is not a file`;
  } catch {
    return `${PERL} is missing (Debian's essential perl-base)`;
  }
})();
if (perlMissing !== undefined) console.log(`fuzz: skipped: ${perlMissing}`);

Deno.test({
  name: "fuzz: the seed corpus is valid: sample and noop ADD succeed, ptp stops at its IPAM plugin",
  ignore: perlMissing !== undefined,
  fn: async (t) => {
    const names = pluginNames();
    await withDirs(async (ctx) => {
      for (const role of ["sample", "noop", "ptp"] as const) {
        const corpus = readCorpus(role);
        const runs = corpus.map((config) =>
          runPlugin(names[role], {
            env: {
              CNI_COMMAND: "ADD",
              CNI_CONTAINERID: "c1",
              CNI_NETNS: role === "ptp" ? `${ctx.emptyDir}/netns` : "/var/run/netns/x",
              CNI_IFNAME: "eth0",
              CNI_PATH: ctx.emptyDir,
            },
            stdin: JSON.stringify(config),
          })
        );
        for (const [i, config] of corpus.entries()) {
          await t.step(`${role}[${i}] ${JSON.stringify(config).slice(0, 80)}`, async () => {
            const run = await runs[i]!;
            const outcome: Outcome = {
              code: run.code,
              stdout: utf8(run.stdout),
              stderr: utf8(run.stderr),
              ms: 0,
            };
            const stdin = utf8(JSON.stringify(config));
            assert.deepEqual(checkRun({ CNI_COMMAND: utf8("ADD") }, stdin, outcome, LIMIT_MS), []);
            if (role === "ptp") {
              assert.equal(run.code, 1, run.stdout);
              assert.match(String((run.json as { msg?: unknown }).msg), /failed to find plugin/);
            } else {
              assert.equal(run.code, 0, run.stdout);
            }
          });
        }
      }
    });
  },
});

Deno.test({
  name: "fuzz: the plugins keep the protocol's invariants on mutated input",
  ignore: perlMissing !== undefined,
  fn: async (t) => {
    const seed = readInteger("FUZZ_SEED", DEFAULT_SEED, 0);
    const only = Deno.env.get("FUZZ_CASE");
    const count = readInteger("FUZZ_CASES", DEFAULT_CASES, 1);
    const indices = only === undefined || only === ""
      ? Array.from({ length: count }, (_, i) => i)
      : [readInteger("FUZZ_CASE", 0, 0)];
    console.log(
      only === undefined || only === ""
        ? `fuzz: seed ${seed}, ${count} cases`
        : `fuzz: seed ${seed}, case ${indices[0]} only`,
    );
    const names = pluginNames();
    const corpora = {
      sample: readCorpus("sample"),
      noop: readCorpus("noop"),
      ptp: readCorpus("ptp"),
    };
    for (const role of Object.keys(names) as PluginRole[]) pluginArgs(names[role]);

    await withDirs(async (ctx) => {
      const harness: Harness = { names, corpora, ctx };
      const start = performance.now();
      const results = await runAll(harness, indices.map((i) => generateCase(seed, i)));
      const seconds = ((performance.now() - start) / 1000).toFixed(1);
      const failed = results.filter((r) => r.violations.length > 0);
      console.log(
        `fuzz: ${results.length} runs in ${seconds} s, ${failed.length} broke an invariant`,
      );
      if (indices.length === 1) console.log(describe(results[0]!));

      console.log(`fuzz: outcomes: ${summarize(results)}`);
      const slowest = results.reduce((a, b) => (b.outcome.ms > a.outcome.ms ? b : a));
      console.log(
        `fuzz: slowest: case ${slowest.fuzzCase.index}, ${Math.round(slowest.outcome.ms)} ms`,
      );

      // The first few failures of each rule in full, shrunk; the others one line each.
      const budget = { runs: SHRINK_BUDGET };
      const shown = new Map<string, number>();
      const rest: string[] = [];
      for (const result of failed) {
        const rule = result.violations[0]!.rule;
        const replay = `FUZZ_SEED=${seed} FUZZ_CASE=${result.fuzzCase.index}`;
        if ((shown.get(rule) ?? 0) >= EXAMPLES_PER_RULE) {
          rest.push(`  ${replay} [${rule}] ${result.violations[0]!.message.slice(0, 160)}`);
          continue;
        }
        shown.set(rule, (shown.get(rule) ?? 0) + 1);
        console.log(`\nfuzz: case ${result.fuzzCase.index} failed (replay: ${replay})`);
        console.log(describe(result));
        const small = await shrink(harness, result, budget);
        if (small !== result) {
          console.log(`  shrunk to the mutations that still break [${rule}]:`);
          console.log(describe(small, "    "));
        }
      }
      if (rest.length > 0) console.log(`\nfuzz: other failures:\n${rest.join("\n")}`);

      for (const role of ["sample", "noop", "ptp"] as const) {
        const mine = results.filter((r) => r.fuzzCase.role === role);
        const bad = failed.filter((r) => r.fuzzCase.role === role);
        await t.step(`${role} (${names[role]}): ${mine.length} cases`, () => {
          const rules = new Map<string, number>();
          for (const r of bad) {
            for (const v of r.violations) rules.set(v.rule, (rules.get(v.rule) ?? 0) + 1);
          }
          assert.equal(
            bad.length,
            0,
            `${bad.length} of ${mine.length} ${role} cases broke an invariant (seed ${seed}; ` +
              `${[...rules].map(([rule, n]) => `${rule}: ${n}`).join(", ")}; cases ` +
              `${bad.map((r) => r.fuzzCase.index).join(", ")})`,
          );
        });
      }
    });
  },
});
