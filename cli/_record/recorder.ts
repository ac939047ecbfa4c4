/**
 * The recorder: what each wrapper of a recording runs. A wrapper is a script whose first line is
 * `#!/usr/bin/env -S <deno> run ... <recording>/recorder.js` and whose JSON line names the real
 * plugin, so the recorder gets the wrapper's path and then the plugin's arguments. It runs the
 * real plugin with the same arguments, environment (untouched: CNI_PATH still names the
 * wrappers, so delegated plugins are recorded too) and working directory, streams stdin, stdout
 * and stderr through unchanged, and exits as the plugin did; then it writes one record of the
 * invocation (see `lib/_recording.ts`) into the recording's `records/`.
 *
 * A delegated call is nested under its caller: each recorder leaves a marker, named by the
 * plugin's process ID, in the recording's `running/` while the plugin runs, and a recorder whose
 * ancestor process has a marker records that invocation as its parent.
 *
 * Nothing about recording changes what the runtime sees, except one warning line on stderr when
 * the record cannot be written.
 *
 * @module
 */
import { type InvocationRecord, RECORD_FORMAT, recordBytes } from "../../lib/_recording.ts";
import { writePrivateFile } from "./private_files.ts";

/** What a wrapper's JSON line says. */
export interface WrapperSettings {
  /** The plugin's name (the wrapper's file name). */
  readonly plugin: string;
  /** The real plugin. */
  readonly path: string;
  /** The directory records go to. */
  readonly records: string;
  /** The directory of the markers of running invocations. */
  readonly running: string;
}

/** The most kept of each stream; the rest is passed on and counted, not recorded. */
const MAX_KEPT = 16 * 1024 * 1024;

/** How many ancestors are looked at for a caller's marker. */
const MAX_ANCESTORS = 16;

/** Names of the variables a record keeps. */
const KEPT_VARIABLE = /^(CNI_|DENO_CNI_)/;

const encoder = new TextEncoder();

/** Reads the settings from the wrapper's JSON line. */
export function readSettings(wrapper: string): WrapperSettings {
  const line = Deno.readTextFileSync(wrapper).split("\n").find((l) => l.startsWith("{"));
  const parsed: unknown = line === undefined ? undefined : JSON.parse(line);
  const settings = parsed as Partial<Record<keyof WrapperSettings, unknown>> | undefined;
  if (
    typeof settings?.plugin !== "string" || typeof settings.path !== "string" ||
    typeof settings.records !== "string" || typeof settings.running !== "string"
  ) {
    throw new Error(`${wrapper} is not a wrapper of a recording`);
  }
  return settings as WrapperSettings;
}

/** A stream's first bytes, up to the limit, and how many more went by. */
class Capture {
  #chunks: Uint8Array[] = [];
  #kept = 0;
  dropped = 0;

  add(chunk: Uint8Array): void {
    const room = MAX_KEPT - this.#kept;
    if (chunk.length > room) this.dropped += chunk.length - room;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.slice(0, room) : chunk.slice();
    this.#chunks.push(part);
    this.#kept += part.length;
  }

  bytes(): Uint8Array {
    const all = new Uint8Array(this.#kept);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return all;
  }
}

/** The start time as ISO 8601 with microseconds, from a time in milliseconds since the epoch. */
export function isoMicros(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const micros = Math.floor((epochMs - whole) * 1000);
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`;
}

/** The CNI_* and DENO_CNI_* variables, their bytes exactly, from /proc/self/environ. */
function keptEnvironment(): Record<string, Uint8Array> {
  const kept: Record<string, Uint8Array> = {};
  let environ: Uint8Array;
  try {
    environ = Deno.readFileSync("/proc/self/environ");
  } catch {
    for (const [name, value] of Object.entries(Deno.env.toObject())) {
      if (KEPT_VARIABLE.test(name)) kept[name] = encoder.encode(value);
    }
    return kept;
  }
  const decoder = new TextDecoder();
  let start = 0;
  for (let i = 0; i <= environ.length; i++) {
    if (i < environ.length && environ[i] !== 0) continue;
    const entry = environ.subarray(start, i);
    start = i + 1;
    const equals = entry.indexOf(0x3d);
    if (equals <= 0) continue;
    const name = decoder.decode(entry.subarray(0, equals));
    if (KEPT_VARIABLE.test(name)) kept[name] = entry.slice(equals + 1);
  }
  return kept;
}

/** A process's parent and start time (in clock ticks since boot), from /proc/<pid>/stat. */
function processStat(pid: number): { ppid: number; startTime: string } | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // "pid (comm) state ppid ...": comm may hold anything, so fields are counted after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const startTime = fields[19];
    if (!Number.isInteger(ppid) || startTime === undefined) return undefined;
    return { ppid, startTime };
  } catch {
    return undefined;
  }
}

/** Leaves the marker that names this invocation as the caller of whatever `pid` runs. */
async function writeMarker(settings: WrapperSettings, pid: number, id: string): Promise<string> {
  const stat = processStat(pid);
  if (stat === undefined) return "";
  const path = `${settings.running}/${pid}`;
  await writePrivateFile(path, JSON.stringify({ id, startTime: stat.startTime }));
  return path;
}

/** The invocation that runs an ancestor of this process, from the markers; undefined if none. */
function findParent(settings: WrapperSettings): string | undefined {
  let pid = Deno.ppid;
  for (let depth = 0; depth < MAX_ANCESTORS && pid > 1; depth++) {
    const stat = processStat(pid);
    if (stat === undefined) return undefined;
    try {
      const marker = JSON.parse(Deno.readTextFileSync(`${settings.running}/${pid}`));
      if (marker?.startTime === stat.startTime && typeof marker.id === "string") return marker.id;
    } catch {
      // No marker for this process, or a stale one.
    }
    pid = stat.ppid;
  }
  return undefined;
}

async function writeAll(stream: { write(p: Uint8Array): Promise<number> }, bytes: Uint8Array) {
  for (let rest = bytes; rest.length > 0;) rest = rest.subarray(await stream.write(rest));
}

/**
 * Passes a stream of the plugin on and keeps a copy. When the other side is gone (the runtime
 * closed its end), the plugin's pipe is closed too, so it sees what it would have seen.
 */
async function pump(
  source: ReadableStream<Uint8Array>,
  sink: { write(p: Uint8Array): Promise<number> },
  capture: Capture,
): Promise<void> {
  const reader = source.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      capture.add(value);
      try {
        await writeAll(sink, value);
      } catch {
        await reader.cancel().catch(() => {});
        return;
      }
    }
  } catch {
    // The pipe failed: nothing more to pass on.
  }
}

/** Feeds the runtime's stdin to the plugin and keeps a copy; stops feeding when it is gone. */
async function feed(stdin: WritableStream<Uint8Array>, capture: Capture): Promise<void> {
  const writer = stdin.getWriter();
  let open = true;
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n = await Deno.stdin.read(buffer); n !== null; n = await Deno.stdin.read(buffer)) {
      const chunk = buffer.slice(0, n);
      capture.add(chunk);
      if (!open) continue;
      try {
        await writer.write(chunk);
      } catch {
        open = false;
      }
    }
  } catch {
    // stdin cannot be read: the plugin gets what came so far.
  }
  if (open) await writer.close().catch(() => {});
}

function warn(text: string): void {
  try {
    Deno.stderr.writeSync(encoder.encode(`deno-cni record: ${text}\n`));
  } catch {
    // Nowhere to warn.
  }
}

/** A file name part from the verb, which comes from the environment. */
function verbPart(verb: string): string {
  return /^[A-Z]{1,16}$/.test(verb) ? verb : "none";
}

/**
 * Signals Deno does not die of: it ignores SIGPIPE, and V8 handles SIGSEGV and SIGBUS. A plugin
 * ended by one of them makes the recorder exit with 128 + its number, as a shell reports it.
 */
const UNRAISABLE: ReadonlySet<string> = new Set(["SIGPIPE", "SIGSEGV", "SIGBUS"]);

/** Ends this process as the plugin ended: with its exit status, or by the same signal. */
async function exitLike(status: Deno.CommandStatus): Promise<never> {
  if (status.signal !== null && !UNRAISABLE.has(status.signal)) {
    try {
      Deno.kill(Deno.pid, status.signal);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } catch {
      // Not a signal this process can send itself: exit as below.
    }
  }
  // For a signal, Deno's exit status is 128 + its number.
  Deno.exit(status.code);
}

/**
 * Runs the plugin of the wrapper `argv[0]` with the arguments after it, and records it.
 *
 * @param argv the wrapper's path, then the plugin's arguments
 */
export async function record(argv: readonly string[]): Promise<never> {
  const [wrapper = "", ...args] = argv;
  let settings: WrapperSettings;
  try {
    settings = readSettings(wrapper);
  } catch (error) {
    warn(
      `cannot run ${JSON.stringify(wrapper)}: ${error instanceof Error ? error.message : error}`,
    );
    Deno.exit(127);
  }
  const startMs = performance.timeOrigin + performance.now();
  const start = isoMicros(startMs);
  const id = `${start.replace(/[-:]/g, "")}-${Deno.pid}`;
  const env = keptEnvironment();
  const verb = new TextDecoder().decode(env.CNI_COMMAND ?? new Uint8Array());
  const stdin = new Capture();
  const stdout = new Capture();
  const stderr = new Capture();
  let status: Deno.CommandStatus | undefined;
  let error: string | undefined;
  let marker = "";
  try {
    const child = new Deno.Command(settings.path, {
      args: [...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    void feed(child.stdin, stdin);
    const output = Promise.all([
      pump(child.stdout, Deno.stdout, stdout),
      pump(child.stderr, Deno.stderr, stderr),
    ]);
    marker = await writeMarker(settings, child.pid, id).catch(() => "");
    status = await child.status;
    await output;
  } catch (spawnError) {
    error = spawnError instanceof Error ? spawnError.message : String(spawnError);
    warn(`cannot run ${settings.path}: ${error}`);
  }
  const durationMs = Math.round((performance.timeOrigin + performance.now() - startMs) * 10) / 10;
  const parent = findParent(settings);
  const dropped = { stdin: stdin.dropped, stdout: stdout.dropped, stderr: stderr.dropped };
  const entry: InvocationRecord = {
    format: RECORD_FORMAT,
    id,
    ...(parent === undefined ? {} : { parent }),
    plugin: settings.plugin,
    path: settings.path,
    args,
    verb,
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, recordBytes(v)])),
    stdin: recordBytes(stdin.bytes()),
    stdout: recordBytes(stdout.bytes()),
    stderr: recordBytes(stderr.bytes()),
    code: status === undefined ? null : status.signal === null ? status.code : null,
    signal: status?.signal ?? null,
    ...(error === undefined ? {} : { error }),
    start,
    durationMs,
    ...(Object.values(dropped).some((n) => n > 0) ? { dropped } : {}),
  };
  const file = `${settings.records}/${id}-${settings.plugin}-${verbPart(verb)}.json`;
  try {
    await writePrivateFile(file, JSON.stringify(entry, null, 2) + "\n");
  } catch (writeError) {
    warn(
      `no record of this ${settings.plugin} ${verbPart(verb)}: ` +
        (writeError instanceof Error ? writeError.message : String(writeError)),
    );
  }
  if (marker !== "") await Deno.remove(marker).catch(() => {});
  if (status === undefined) Deno.exit(127);
  return await exitLike(status);
}

if (import.meta.main) await record(Deno.args);
