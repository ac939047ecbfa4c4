/**
 * Helpers for the recording and replay tests: plugin directories of small shell scripts,
 * recordings made with the real `cli/record.ts`, launchers of the project's plugin bundles, and
 * running a program with what Deno.Command cannot give it (bytes that are not UTF-8 in its
 * environment, a closed stdout) through a few lines of Python.
 */
import { manifestEntry, ROOT, runArgs } from "../scripts/manifest.ts";
import { pluginArgs } from "./_process.ts";

/** The permission flags of the `record` task. */
export const RECORD_FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys=uid",
];

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Writes executable scripts into `dir`, which is made: each body as it is when it starts with
 * `#!`, else after `#!/bin/sh`.
 */
export async function writePlugins(
  dir: string,
  plugins: Readonly<Record<string, string>>,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, body] of Object.entries(plugins)) {
    const text = body.startsWith("#!") ? `${body}\n` : `#!/bin/sh\n${body}\n`;
    await Deno.writeTextFile(`${dir}/${name}`, text, { mode: 0o755 });
  }
}

/**
 * Writes a launcher of a plugin of plugins.json into `dir`: the plugin's bundle run with its
 * compiled permissions, as `make bin` does without `deno compile`.
 */
export async function writeProjectPlugin(dir: string, name: string): Promise<string> {
  pluginArgs(name);
  const command = [Deno.execPath(), ...runArgs(manifestEntry(name))].map(shellQuote).join(" ");
  const path = `${dir}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, `#!/bin/sh\nexec ${command} "$@"\n`, { mode: 0o755 });
  return path;
}

/** What a finished process left behind, as bytes. */
export interface ProcessOutput {
  readonly code: number;
  readonly signal: string | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

/** Runs `deno task record` (cli/record.ts with the task's flags) with these arguments. */
export async function recordCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RECORD_FLAGS, `${ROOT}/cli/record.ts`, ...args],
    env: { ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}

/** Makes a recording of the plugins of `cniPath` in `out` and returns its wrapper directory. */
export async function makeRecording(out: string, cniPath: string): Promise<string> {
  const made = await recordCli(["--out", out, "--cni-path", cniPath]);
  if (made.code !== 0) throw new Error(`record --out failed (${made.code}):\n${made.stderr}`);
  return made.stdout.trim();
}

/** How {@link runProgram} runs a program. */
export interface ProgramRun {
  /** The whole environment; values may be bytes. */
  readonly env?: Readonly<Record<string, string | Uint8Array>>;
  /** stdin's bytes. */
  readonly stdin?: string | Uint8Array;
  /** "closed": stdout is a pipe whose reading end is closed. */
  readonly stdout?: "piped" | "closed";
  /** The time limit. */
  readonly timeoutMs?: number;
}

/**
 * Execs a program as a runtime starts a plugin, with what Deno.Command cannot give it: an
 * environment of bytes (hex in the spec), a stdout whose reading end is closed, and SIGPIPE's
 * default action (Python ignores it, and an ignored signal stays ignored across exec).
 */
const LAUNCHER = `
import json, os, signal, sys
spec = json.load(open(sys.argv[1], "rb"))
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
if spec["stdout"] == "closed":
    read_end, write_end = os.pipe()
    os.close(read_end)
    os.dup2(write_end, 1)
    os.close(write_end)
env = {k.encode(): bytes.fromhex(v) for k, v in spec["env"].items()}
argv = [a.encode() for a in spec["argv"]]
os.execve(argv[0], argv, env)
`;

function hex(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Runs `argv` with exactly the environment given (bytes included), stdin's bytes and a working
 * directory of "/".
 */
export async function runProgram(argv: readonly string[], run: ProgramRun = {}): Promise<
  ProcessOutput
> {
  const spec = await Deno.makeTempFile({ prefix: "dcni-launch-", suffix: ".json" });
  try {
    await Deno.writeTextFile(
      spec,
      JSON.stringify({
        argv,
        env: Object.fromEntries(Object.entries(run.env ?? {}).map(([k, v]) => [k, hex(v)])),
        stdout: run.stdout ?? "piped",
      }),
    );
    const child = new Deno.Command("python3", {
      args: ["-c", LAUNCHER, spec],
      cwd: "/",
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(run.timeoutMs ?? 30_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    const input = run.stdin ?? "";
    await writer.write(typeof input === "string" ? new TextEncoder().encode(input) : input)
      .catch(() => {});
    await writer.close().catch(() => {});
    const output = await child.output();
    return {
      code: output.code,
      signal: output.signal,
      stdout: output.stdout,
      stderr: output.stderr,
    };
  } finally {
    await Deno.remove(spec);
  }
}
