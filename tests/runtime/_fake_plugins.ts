/**
 * Fake CNI plugins for the runtime tests: small shell scripts written into a temp dir. Each run
 * records its name, environment and stdin as one numbered call, then answers with what the test
 * set for its verb (stdout, stderr, exit status), so a test sees exactly what the runtime sent and
 * in which order.
 */
import assert from "node:assert/strict";
import { isJsonObject, type JsonObject } from "../../lib/_decode.ts";
import type { RuntimeOptions } from "../../lib/runtime/mod.ts";

/** What a fake plugin does for one verb. */
export interface Reply {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exit?: number;
  /** Seconds to sleep first. */
  readonly sleep?: number;
  /** Seconds a child left running in the background sleeps (its output goes nowhere). */
  readonly background?: number;
}

/** One recorded run. */
export interface Call {
  readonly plugin: string;
  /** The directory the script ran from. */
  readonly dir: string;
  readonly command: string;
  /** The whole environment the plugin got. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: string;
  /** stdin parsed; an empty object when it is not JSON. */
  readonly config: JsonObject;
  /** The process ID of the run, which led its process group. */
  readonly pid: number;
}

const SCRIPT = (root: string) =>
  `#!/bin/sh
root='${root}'
me=\${0##*/}
dir=\${0%/*}
cmd=\${CNI_COMMAND:-NONE}
n=$(ls "$root/calls" | wc -l)
call="$root/calls/$(printf '%04d' "$n")"
mkdir "$call"
printf '%s' "$$" > "$call/pid"
cat > "$call/stdin"
env -0 > "$call/env"
printf '%s' "$me" > "$call/plugin"
printf '%s' "$dir" > "$call/dir"
r="$root/replies/$me/$cmd"
[ -d "$r" ] || r="$root/replies/$me/any"
[ -f "$r/background" ] && { sleep "$(cat "$r/background")" </dev/null >/dev/null 2>&1 & }
[ -f "$r/sleep" ] && sleep "$(cat "$r/sleep")"
[ -f "$r/stderr" ] && cat "$r/stderr" >&2
[ -f "$r/stdout" ] && cat "$r/stdout"
[ -f "$r/exit" ] && exit "$(cat "$r/exit")"
exit 0
`;

/** A directory of fake plugins and what they were asked. */
export class FakePlugins {
  /** The first plugin directory. */
  readonly bin: string;

  private constructor(readonly root: string) {
    this.bin = `${root}/bin`;
  }

  /** A fresh set in a new temp dir; `dispose()` removes it. */
  static async create(): Promise<FakePlugins> {
    const root = await Deno.makeTempDir({ prefix: "dcni-runtime-" });
    // The path goes into the scripts between single quotes: make sure it is plain.
    assert.match(root, /^[A-Za-z0-9_./-]+$/);
    for (const dir of ["bin", "calls", "replies", "cache", "net"]) {
      await Deno.mkdir(`${root}/${dir}`);
    }
    return new FakePlugins(root);
  }

  /** A cache dir of its own, for {@link RuntimeOptions.cacheDir}. */
  get cacheDir(): string {
    return `${this.root}/cache`;
  }

  /** A configuration dir of its own. */
  get netDir(): string {
    return `${this.root}/net`;
  }

  /** Runtime options that find the fake plugins and cache in the temp dir. */
  options(extra: Partial<RuntimeOptions> = {}): RuntimeOptions {
    return { path: [this.bin], cacheDir: this.cacheDir, stderr: () => {}, ...extra };
  }

  /** Writes the executable plugin `name` into `dir` (default {@link bin}); returns its path. */
  async add(
    name: string,
    replies: Readonly<Record<string, Reply>> = {},
    dir = this.bin,
  ): Promise<string> {
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, SCRIPT(this.root), { mode: 0o755 });
    await Deno.chmod(path, 0o755);
    for (const [command, reply] of Object.entries(replies)) await this.reply(name, command, reply);
    return path;
  }

  /** Sets what plugin `name` does for `command` ("ADD", ..., or "any" for every verb). */
  async reply(name: string, command: string, reply: Reply): Promise<void> {
    const dir = `${this.root}/replies/${name}/${command}`;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(dir, { recursive: true });
    if (reply.stdout !== undefined) await Deno.writeTextFile(`${dir}/stdout`, reply.stdout);
    if (reply.stderr !== undefined) await Deno.writeTextFile(`${dir}/stderr`, reply.stderr);
    if (reply.exit !== undefined) await Deno.writeTextFile(`${dir}/exit`, String(reply.exit));
    if (reply.sleep !== undefined) await Deno.writeTextFile(`${dir}/sleep`, String(reply.sleep));
    if (reply.background !== undefined) {
      await Deno.writeTextFile(`${dir}/background`, String(reply.background));
    }
  }

  /** The calls so far, oldest first. */
  async calls(): Promise<Call[]> {
    const names: string[] = [];
    for await (const entry of Deno.readDir(`${this.root}/calls`)) names.push(entry.name);
    const calls: Call[] = [];
    for (const name of names.sort()) {
      const at = `${this.root}/calls/${name}`;
      const stdin = await Deno.readTextFile(`${at}/stdin`);
      const env: Record<string, string> = {};
      for (const item of (await Deno.readTextFile(`${at}/env`)).split("\0")) {
        const eq = item.indexOf("=");
        if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
      }
      let config: JsonObject = {};
      try {
        const parsed: unknown = JSON.parse(stdin);
        if (isJsonObject(parsed)) config = parsed;
      } catch {
        // not JSON: config stays empty, stdin says what it was
      }
      calls.push({
        plugin: await Deno.readTextFile(`${at}/plugin`),
        dir: await Deno.readTextFile(`${at}/dir`),
        command: env.CNI_COMMAND ?? "",
        env,
        stdin,
        config,
        pid: Number(await Deno.readTextFile(`${at}/pid`)),
      });
    }
    return calls;
  }

  /** `plugin:COMMAND` for each call so far, oldest first. */
  async sequence(): Promise<string[]> {
    return (await this.calls()).map((c) => `${c.plugin}:${c.command}`);
  }

  /** Forgets the calls so far. */
  async clearCalls(): Promise<void> {
    await Deno.remove(`${this.root}/calls`, { recursive: true });
    await Deno.mkdir(`${this.root}/calls`);
  }

  /** Removes the temp dir. */
  async dispose(): Promise<void> {
    await Deno.remove(this.root, { recursive: true });
  }
}

/** Runs `fn` with a fresh {@link FakePlugins} and removes it afterwards. */
export async function withFakes<T>(fn: (fakes: FakePlugins) => Promise<T>): Promise<T> {
  const fakes = await FakePlugins.create();
  try {
    return await fn(fakes);
  } finally {
    await fakes.dispose();
  }
}

/** The CNI_* variables of a call. */
export function cniEnv(call: Call): Record<string, string> {
  return Object.fromEntries(Object.entries(call.env).filter(([k]) => k.startsWith("CNI_")));
}

/** A network configuration list as text, for the parser. */
export function listText(list: Record<string, unknown>): string {
  return JSON.stringify(list);
}
