/**
 * Helpers for the process tests of deno-host-local against Debian's Go host-local
 * (/usr/lib/cni/host-local, containernetworking-plugins 1.1.1): running either as a real process
 * with a clean environment, a byte-for-byte view of a data directory, and the normalization of
 * the answers where the two differ on purpose (docs/differences-from-go.md).
 */
import assert from "node:assert/strict";
import { pluginArgs, type PluginRun, runPlugin } from "../_process.ts";
import { REFERENCE_PLUGIN_DIR } from "./_netns.ts";

/** Debian's Go host-local. */
export const GO_HOST_LOCAL = `${REFERENCE_PLUGIN_DIR}/host-local`;

/** Which plugin runs a step. */
export type Runner = "go" | "deno";

/** One invocation: the CNI_* variables and the configuration. */
export interface Invocation {
  readonly env: Readonly<Record<string, string>>;
  readonly config: unknown;
}

/** The environment of a verb for an attachment. */
export function cniEnv(
  command: string,
  containerId: string,
  ifName: string,
  args = "",
): Record<string, string> {
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: "/var/run/netns/host-local-test",
    CNI_IFNAME: ifName,
    CNI_PATH: REFERENCE_PLUGIN_DIR,
  };
  if (args !== "") env.CNI_ARGS = args;
  if (command === "GC" || command === "STATUS") {
    delete env.CNI_CONTAINERID;
    delete env.CNI_IFNAME;
    delete env.CNI_NETNS;
  }
  return env;
}

function parse(stdout: string): unknown {
  if (stdout === "") return undefined;
  try {
    return JSON.parse(stdout);
  } catch {
    return { unparsable: stdout };
  }
}

/** Runs `program` on `invocation` with exactly its environment, at once. */
export async function runProgram(
  program: string,
  args: string[],
  invocation: Invocation,
): Promise<PluginRun> {
  const child = new Deno.Command(program, {
    args,
    cwd: "/",
    clearEnv: true,
    env: invocation.env as Record<string, string>,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(invocation.config)));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  return {
    code: output.code,
    stdout,
    stderr: decoder.decode(output.stderr),
    ...(stdout === "" ? {} : { json: parse(stdout) }),
  };
}

/** Runs Go's host-local with exactly `env` as its environment. */
export function runGo(invocation: Invocation): Promise<PluginRun> {
  return runProgram(GO_HOST_LOCAL, [], invocation);
}

/** Runs deno-host-local from its bundle with its plugins.json permissions. */
export function runDeno(invocation: Invocation): Promise<PluginRun> {
  return runPlugin("deno-host-local", {
    env: invocation.env,
    stdin: JSON.stringify(invocation.config),
  });
}

/**
 * Runs deno-host-local exactly as {@link runDeno} does but at once, outside the process pool of
 * tests/_process.ts: for tests of many processes running together.
 */
export function runDenoNow(invocation: Invocation): Promise<PluginRun> {
  return runProgram(Deno.execPath(), pluginArgs("deno-host-local"), invocation);
}

/** Runs one invocation with the given plugin. */
export function runWith(runner: Runner, invocation: Invocation): Promise<PluginRun> {
  return runner === "go" ? runGo(invocation) : runDeno(invocation);
}

/** One entry of a data directory: path, kind, permission bits and content. */
export interface TreeEntry {
  readonly path: string;
  readonly kind: "dir" | "file" | "other";
  readonly mode: string;
  readonly content?: string;
}

/** Every entry under `dir`, sorted, with file contents as JSON-escaped text. */
export async function snapshot(dir: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  async function walk(path: string, relative: string): Promise<void> {
    let listing: Deno.DirEntry[];
    try {
      listing = await Array.fromAsync(Deno.readDir(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of listing) {
      const full = `${path}/${entry.name}`;
      const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const info = await Deno.lstat(full);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      if (info.isDirectory) {
        entries.push({ path: rel, kind: "dir", mode });
        await walk(full, rel);
      } else if (info.isFile) {
        const bytes = await Deno.readFile(full);
        entries.push({ path: rel, kind: "file", mode, content: JSON.stringify(latin1(bytes)) });
      } else entries.push({ path: rel, kind: "other", mode });
    }
  }
  await walk(dir, "");
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function latin1(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
}

/**
 * The error messages of the Go plugin's configuration loading (`LoadIPAMConfig`): deno-host-local
 * gives them code 7 (invalid network configuration), the Go plugin 999.
 */
const CONFIG_MESSAGES = [
  /^IPAM config missing 'ipam' key$/,
  /^no IP ranges specified$/,
  /^invalid range set \d+: /,
  /^range set \d+ overlaps with \d+$/,
  /^CNI version .* does not support more than 1 address per family$/,
  /^invalid CIDR address: /,
  /^invalid IP address:? /,
  /^json: cannot unmarshal /,
  /^cannot understand ip: /,
];

/** The code deno-host-local answers where the Go plugin answers `code` with `msg`. */
export function expectedCode(code: number, msg: string): number {
  if (code !== 999) return code;
  if (msg.startsWith("ARGS: ")) return 4;
  return CONFIG_MESSAGES.some((pattern) => pattern.test(msg)) ? 7 : 999;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A Go plugin's answer as deno-host-local gives it: a 1.x result without an empty `dns` (as the
 * spec 1.1.0 reference prints it), an error with the code of {@link expectedCode}.
 */
export function normalizeGo(json: unknown): unknown {
  if (!isRecord(json)) return json;
  if (typeof json.code === "number" && typeof json.msg === "string") {
    return { ...json, code: expectedCode(json.code, json.msg) };
  }
  const version = typeof json.cniVersion === "string" ? json.cniVersion : "";
  if (version.startsWith("1.") && isRecord(json.dns) && Object.keys(json.dns).length === 0) {
    const { dns: _dns, ...rest } = json;
    return rest;
  }
  return json;
}

/** Asserts that two runs answered alike: exit status and stdout (normalized). */
export function assertSameAnswer(
  reference: PluginRun,
  subject: PluginRun,
  subjectRunner: Runner,
  context: string,
): void {
  const where =
    `${context}\nreference stdout: ${reference.stdout}\nsubject stdout: ${subject.stdout}` +
    `\nsubject stderr: ${subject.stderr}`;
  assert.equal(subject.code, reference.code, `exit status\n${where}`);
  const expected = subjectRunner === "deno" ? normalizeGo(reference.json) : reference.json;
  assert.deepEqual(subject.json, expected, `stdout\n${where}`);
}
