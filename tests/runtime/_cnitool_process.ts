/**
 * Runs the TypeScript cnitool (cli/cnitool.ts) as a process, the way `deno task cnitool` runs it:
 * this Deno with the tool's permission flags, a clean environment holding PATH and the cnitool
 * variables, optionally inside a "runtime" network namespace (`nsenter --net`) so the host side
 * of the plugins' links stays out of the machine's namespace. The cache directory and container
 * ID go to the TypeScript cnitool as `--cache-dir` and `--container-id` (like Go's cnitool, it
 * reads no variable for them); the environment also holds them as CNI_CACHE_DIR and
 * CNI_CONTAINERID, which the Go test tool (tests/cnitool) reads.
 */
import { CNITOOL_PERMISSIONS } from "../../cli/cnitool.ts";
import type { Netns } from "../e2e/_netns.ts";

/** The checkout's root directory. */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** The tool's entry file. */
export const CNITOOL_ENTRY = `${REPO_ROOT}/cli/cnitool.ts`;

/** The deno.json task line that runs the tool. */
export const CNITOOL_TASK = `deno run ${CNITOOL_PERMISSIONS.join(" ")} cli/cnitool.ts`;

/** Where plugins and configuration are, and how the attachment is named. */
export interface ToolOptions {
  readonly cniPath: readonly string[];
  readonly netconfPath: string;
  readonly cacheDir: string;
  readonly ifname?: string;
  readonly containerId?: string;
  /** Run the tool, and so the plugins, inside this namespace. */
  readonly runtimeNetns?: Netns;
  /** More variables (CNI_ARGS, CAP_ARGS, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory; default the checkout's root. */
  readonly cwd?: string;
}

/** What one run left behind; `result` is stdout parsed when it holds JSON. */
export interface ToolOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: unknown;
}

/** The clean environment for a cnitool run (either tool): PATH and the cnitool variables. */
export function toolEnv(options: ToolOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_PATH: options.cniPath.join(":"),
    NETCONFPATH: options.netconfPath,
    CNI_CACHE_DIR: options.cacheDir,
    ...options.env,
  };
  if (options.ifname !== undefined) env.CNI_IFNAME = options.ifname;
  if (options.containerId !== undefined) env.CNI_CONTAINERID = options.containerId;
  return env;
}

/** Runs a command line in a clean environment and a given directory. Never throws on exit status. */
export async function runTool(
  cmd: readonly string[],
  options: ToolOptions,
): Promise<ToolOutput> {
  const inNetns = options.runtimeNetns === undefined
    ? []
    : ["nsenter", `--net=${options.runtimeNetns.path}`];
  const [program, ...args] = [...inNetns, ...cmd];
  const output = await new Deno.Command(program!, {
    args,
    cwd: options.cwd ?? REPO_ROOT,
    env: toolEnv(options),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  let result: unknown;
  if (output.code === 0 && stdout.trim() !== "") {
    try {
      result = JSON.parse(stdout);
    } catch {
      result = undefined;
    }
  }
  return { code: output.code, stdout, stderr: decoder.decode(output.stderr), result };
}

/** The options that tell the TypeScript cnitool the cache directory and container ID. */
export function tsCnitoolFlags(options: ToolOptions): string[] {
  return [
    `--cache-dir=${options.cacheDir}`,
    ...(options.containerId === undefined ? [] : [`--container-id=${options.containerId}`]),
  ];
}

/** The command line of `cnitool <args>` (the TypeScript one). */
function tsCommand(args: readonly string[], options: ToolOptions): string[] {
  return [
    Deno.execPath(),
    "run",
    ...CNITOOL_PERMISSIONS,
    CNITOOL_ENTRY,
    ...tsCnitoolFlags(options),
    ...args,
  ];
}

/** Runs `cnitool <args>` (the TypeScript one). */
export function tsCnitool(args: readonly string[], options: ToolOptions): Promise<ToolOutput> {
  return runTool(tsCommand(args, options), options);
}

/**
 * Starts `cnitool <args>` (the TypeScript one) in a process group of its own, as a shell starts a
 * command line, and returns at once; stdout and stderr are piped.
 */
export function spawnTsCnitool(args: readonly string[], options: ToolOptions): Deno.ChildProcess {
  const [program, ...rest] = tsCommand(args, options);
  return new Deno.Command(program!, {
    args: rest,
    cwd: options.cwd ?? REPO_ROOT,
    env: toolEnv(options),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
}

/** stderr without its last newline, as lines. */
export function lines(text: string): string[] {
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/**
 * The plugin runs of a `--verbose` stderr, each as "COMMAND type" with its stdin parsed.
 */
export function tracedRuns(stderr: string): { run: string; stdin: unknown }[] {
  const runs: { run: string; stdin: unknown }[] = [];
  let current: string | undefined;
  for (const line of stderr.split("\n")) {
    const head = /^cnitool: (\S+) (\S+) \(/.exec(line);
    if (head) current = `${head[1]} ${head[2]}`;
    const stdin = /^ {2}stdin: (.*)$/.exec(line);
    if (stdin && current !== undefined) {
      runs.push({ run: current, stdin: stdin[1] === "(empty)" ? "" : JSON.parse(stdin[1]!) });
    }
  }
  return runs;
}
