/**
 * Recorded delegate invocations served to a plugin run as a real process: a directory of small
 * shell scripts, one per delegate name, for CNI_PATH. Each call takes the next unclaimed
 * recorded answer of its plugin and verb (stdout, stderr, exit status or signal) and leaves its
 * stdin and environment behind, so the replay can tell how the plugin called its delegates.
 *
 * @module
 */
import type { InvocationRecord } from "./_recording.ts";
import { recordedBytes } from "./_recording.ts";

/** A plugin name that can be a file name in the served directory. */
const SERVABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** A verb that can be a word of the index files. */
const SERVABLE_VERB = /^[A-Z]{1,16}$/;

/** What one delegate call left behind. */
export interface ServedCall {
  /** The delegate's name. */
  readonly plugin: string;
  /** Its stdin. */
  readonly stdin: Uint8Array;
  /** Its environment, every variable. */
  readonly env: ReadonlyMap<string, Uint8Array>;
}

/** The served delegates of one replayed invocation. */
export interface ServedDelegates {
  /** The directory to give the plugin as CNI_PATH. */
  readonly cniPath: string;
  /** The calls that took a recorded answer, by the answer's index in `children`. */
  claimed(): Promise<Map<number, ServedCall>>;
  /** The calls that found no recorded answer left. */
  unmatched(): Promise<ServedCall[]>;
  /** Removes the directory. */
  remove(): Promise<void>;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function script(dir: string, name: string): string {
  return `#!/bin/sh
# A delegate served for a replay: each call takes the next recorded answer of this plugin for
# its CNI_COMMAND and leaves its stdin and environment in the replay's directory.
dir=${shellQuote(dir)}
name=${shellQuote(name)}
exec 3<"$dir/index/$name"
while read -r verb k <&3; do
  [ "$verb" = "\${CNI_COMMAND-}" ] || continue
  mkdir "$dir/claims/$k" 2>/dev/null || continue
  exec 3<&-
  cat >"$dir/calls/$k.stdin"
  env -0 >"$dir/calls/$k.env"
  cat "$dir/answers/$k.out"
  cat "$dir/answers/$k.err" >&2
  read -r how value <"$dir/answers/$k.status"
  if [ "$how" = kill ]; then kill -s "$value" $$; exit 1; fi
  exit "$value"
done
exec 3<&-
extra=$(mktemp -d "$dir/extra/call.XXXXXX") || exit 1
printf '%s' "$name" >"$extra/name"
cat >"$extra/stdin"
env -0 >"$extra/env"
printf '{"code":999,"msg":"replay: the recording has no call of %s with this CNI_COMMAND"}' "$name"
exit 1
`;
}

function statusLine(record: InvocationRecord): string {
  if (record.signal !== null && /^SIG[A-Z0-9]+$/.test(record.signal)) {
    return `kill ${record.signal.slice(3)}\n`;
  }
  return `exit ${record.code ?? 127}\n`;
}

function parseEnv(bytes: Uint8Array): Map<string, Uint8Array> {
  const env = new Map<string, Uint8Array>();
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0) continue;
    const entry = bytes.subarray(start, i);
    start = i + 1;
    const equals = entry.indexOf(0x3d);
    if (equals <= 0) continue;
    env.set(new TextDecoder().decode(entry.subarray(0, equals)), entry.slice(equals + 1));
  }
  return env;
}

async function readCall(stem: string, plugin: string): Promise<ServedCall> {
  const [stdin, env] = await Promise.all([
    Deno.readFile(`${stem}stdin`).catch(() => new Uint8Array()),
    Deno.readFile(`${stem}env`).catch(() => new Uint8Array()),
  ]);
  return { plugin, stdin, env: parseEnv(env) };
}

/**
 * Writes the served delegates for the recorded calls `children` into a new temporary directory.
 * A child whose name or verb cannot be served (not a plain file name, not an upper-case word)
 * is left out, so it shows as not called.
 *
 * @param children the recorded invocations the replayed one delegated to, in start order
 * @returns the directory and how to read the calls afterwards
 */
export async function serveDelegates(
  children: readonly InvocationRecord[],
): Promise<ServedDelegates> {
  const dir = await Deno.makeTempDir({ prefix: "dcni-replay-" });
  try {
    for (const sub of ["bin", "index", "answers", "claims", "calls", "extra"]) {
      await Deno.mkdir(`${dir}/${sub}`);
    }
    const index = new Map<string, string>();
    for (const [k, child] of children.entries()) {
      if (!SERVABLE_NAME.test(child.plugin) || !SERVABLE_VERB.test(child.verb)) continue;
      index.set(child.plugin, (index.get(child.plugin) ?? "") + `${child.verb} ${k}\n`);
      await Deno.writeFile(`${dir}/answers/${k}.out`, recordedBytes(child.stdout));
      await Deno.writeFile(`${dir}/answers/${k}.err`, recordedBytes(child.stderr));
      await Deno.writeTextFile(`${dir}/answers/${k}.status`, statusLine(child));
    }
    for (const [name, lines] of index) {
      await Deno.writeTextFile(`${dir}/index/${name}`, lines);
      await Deno.writeTextFile(`${dir}/bin/${name}`, script(dir, name), { mode: 0o700 });
    }
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  return {
    cniPath: `${dir}/bin`,
    async claimed() {
      const calls = new Map<number, ServedCall>();
      for await (const entry of Deno.readDir(`${dir}/claims`)) {
        const k = Number(entry.name);
        const child = children[k];
        if (child !== undefined) {
          calls.set(k, await readCall(`${dir}/calls/${entry.name}.`, child.plugin));
        }
      }
      return calls;
    },
    async unmatched() {
      const calls: ServedCall[] = [];
      const names: string[] = [];
      for await (const entry of Deno.readDir(`${dir}/extra`)) names.push(entry.name);
      for (const name of names.sort()) {
        const plugin = await Deno.readTextFile(`${dir}/extra/${name}/name`).catch(() => "?");
        calls.push(await readCall(`${dir}/extra/${name}/`, plugin));
      }
      return calls;
    },
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
