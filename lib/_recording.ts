/**
 * The record format of `deno task record` (`cli/record.ts`): one JSON file per plugin invocation,
 * and reading a recording back (a directory of records, or one file holding several).
 *
 * @module
 */
import { isJsonObject } from "./_decode.ts";
import { goText } from "./_go_text.ts";

/** The `format` of one invocation's record. */
export const RECORD_FORMAT = "deno-cni-record/1";

/** The `format` of a file holding several records (`deno task record --extract`). */
export const RECORDING_FORMAT = "deno-cni-recording/1";

/** Bytes as a record keeps them: the text when they are valid UTF-8, otherwise base64. */
export type RecordedBytes = string | { readonly base64: string };

/** Bytes the recorder dropped from a stream beyond its limit (16 MiB each). */
export interface DroppedBytes {
  /** Of stdin. */
  readonly stdin?: number;
  /** Of stdout. */
  readonly stdout?: number;
  /** Of stderr. */
  readonly stderr?: number;
}

/** One plugin invocation as the recorder saw it. */
export interface InvocationRecord {
  /** Always {@link RECORD_FORMAT}. */
  readonly format: typeof RECORD_FORMAT;
  /** Unique in the recording: the start time, then the recorder's process ID. */
  readonly id: string;
  /** The invocation that ran this one (a delegated call, e.g. an IPAM plugin); absent at the top. */
  readonly parent?: string;
  /** The plugin's name: its file name in CNI_PATH, a configuration's `type`. */
  readonly plugin: string;
  /** The real plugin's path. */
  readonly path: string;
  /** The arguments it was given (plugins normally get none). */
  readonly args: readonly string[];
  /** CNI_COMMAND, or "" when it was not set. */
  readonly verb: string;
  /** Every CNI_* and DENO_CNI_* variable of its environment. */
  readonly env: Readonly<Record<string, RecordedBytes>>;
  /** What the runtime sent on stdin. */
  readonly stdin: RecordedBytes;
  /** What the plugin wrote to stdout. */
  readonly stdout: RecordedBytes;
  /** What the plugin wrote to stderr. */
  readonly stderr: RecordedBytes;
  /** The exit status; null when a signal ended the plugin or it could not be started. */
  readonly code: number | null;
  /** The signal that ended the plugin ("SIGKILL"), or null. */
  readonly signal: string | null;
  /** Why the plugin could not be started; absent when it ran. */
  readonly error?: string;
  /** When it started: an ISO 8601 UTC time with microseconds. */
  readonly start: string;
  /** From start to the plugin's exit and the end of its output, in milliseconds. */
  readonly durationMs: number;
  /** Bytes not kept beyond the limit; absent when nothing was dropped. */
  readonly dropped?: DroppedBytes;
}

/** A file of several records, as `deno task record --extract` writes it. */
export interface RecordingFile {
  /** Always {@link RECORDING_FORMAT}. */
  readonly format: typeof RECORDING_FORMAT;
  /** The records: an invocation and the invocations it delegated to. */
  readonly invocations: readonly InvocationRecord[];
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Bytes for a record: their text when they are valid UTF-8, otherwise `{ base64 }`.
 *
 * @param bytes the bytes
 * @returns the recorded form
 */
export function recordBytes(bytes: Uint8Array): RecordedBytes {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return { base64: btoa(binary) };
  }
}

/**
 * The exact bytes a record holds.
 *
 * @param value a recorded stream or variable
 * @returns its bytes
 */
export function recordedBytes(value: RecordedBytes): Uint8Array {
  if (typeof value === "string") return new TextEncoder().encode(value);
  return Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0));
}

/**
 * Recorded bytes as text, read the way a plugin made with this kit reads stdin and the
 * environment (a byte that is not UTF-8 becomes U+FFFD).
 *
 * @param value a recorded stream or variable
 * @returns its text
 */
export function recordedText(value: RecordedBytes): string {
  return typeof value === "string" ? value : goText(recordedBytes(value));
}

function isRecordedBytes(value: unknown): value is RecordedBytes {
  return typeof value === "string" ||
    (isJsonObject(value) && typeof value.base64 === "string" &&
      /^[A-Za-z0-9+/]*={0,2}$/.test(value.base64));
}

/** A problem with a record file, naming the file and the key. */
export class RecordingError extends Error {
  /**
   * Makes the error.
   *
   * @param message what is wrong, with the file's name
   */
  constructor(message: string) {
    super(message);
    this.name = "RecordingError";
  }
}

/**
 * Checks that a parsed value is an invocation record.
 *
 * @param value the parsed JSON
 * @param where the file, for the error message
 * @returns the record
 * @throws {RecordingError} naming the first key that is wrong
 */
export function parseRecord(value: unknown, where: string): InvocationRecord {
  const fail = (key: string, what: string): never => {
    throw new RecordingError(`${where}: "${key}" must be ${what}`);
  };
  if (!isJsonObject(value)) throw new RecordingError(`${where}: a record must be an object`);
  if (value.format !== RECORD_FORMAT) fail("format", JSON.stringify(RECORD_FORMAT));
  for (const key of ["id", "plugin", "path", "verb", "start"]) {
    if (typeof value[key] !== "string" || (key !== "verb" && value[key] === "")) {
      fail(key, "a non-empty string");
    }
  }
  if (value.parent !== undefined && typeof value.parent !== "string") fail("parent", "a string");
  if (!Array.isArray(value.args) || !value.args.every((a) => typeof a === "string")) {
    fail("args", "a list of strings");
  }
  if (!isJsonObject(value.env) || !Object.values(value.env).every(isRecordedBytes)) {
    fail("env", "an object of strings or {base64}");
  }
  for (const key of ["stdin", "stdout", "stderr"]) {
    if (!isRecordedBytes(value[key])) fail(key, "a string or {base64}");
  }
  if (value.code !== null && !Number.isInteger(value.code)) fail("code", "an integer or null");
  if (value.signal !== null && typeof value.signal !== "string") fail("signal", "a string or null");
  if (value.code === null && value.signal === null && typeof value.error !== "string") {
    fail("code", "set when neither signal nor error is");
  }
  if (typeof value.durationMs !== "number") fail("durationMs", "a number");
  return value as unknown as InvocationRecord;
}

function pathOf(source: string | URL): string {
  return source instanceof URL ? decodeURIComponent(source.pathname) : source;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function parseJsonFile(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RecordingError(
      `${where}: not JSON: ${error instanceof Error ? error.message : error}`,
    );
  }
}

/** The records in start order (a caller starts before the plugins it delegates to). */
export function sortRecords(records: readonly InvocationRecord[]): InvocationRecord[] {
  return [...records].sort((a, b) =>
    a.start < b.start ? -1 : a.start > b.start ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  );
}

/**
 * Reads a recording: the directory `deno task record --out` made (its `records/`), a directory
 * of record files, or one file (a record, or several as `deno task record --extract` writes
 * them).
 *
 * @param source the directory or file
 * @returns the records in start order, numbered from 1 as `deno task record --list` shows them
 * @throws {RecordingError} when a file is not a record
 */
export async function loadRecording(source: string | URL): Promise<InvocationRecord[]> {
  const path = pathOf(source);
  if (!(await isDirectory(path))) {
    const document = parseJsonFile(await Deno.readTextFile(path), path);
    if (isJsonObject(document) && document.format === RECORDING_FORMAT) {
      if (!Array.isArray(document.invocations)) {
        throw new RecordingError(`${path}: "invocations" must be a list of records`);
      }
      return sortRecords(
        document.invocations.map((item, i) => parseRecord(item, `${path} invocations[${i}]`)),
      );
    }
    return [parseRecord(document, path)];
  }
  const dir = await isDirectory(`${path}/records`) ? `${path}/records` : path;
  const records: InvocationRecord[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".json") && !entry.name.startsWith(".")) {
      names.push(entry.name);
    }
  }
  for (const name of names.sort()) {
    const file = `${dir}/${name}`;
    records.push(parseRecord(parseJsonFile(await Deno.readTextFile(file), file), file));
  }
  return sortRecords(records);
}

/**
 * Finds one invocation by its number in start order (from 1, as `deno task record --list`
 * numbers them) or by its id.
 *
 * @param records the recording, in start order
 * @param which the number or id
 * @returns the record
 * @throws {RecordingError} when there is no such invocation
 */
export function findInvocation(
  records: readonly InvocationRecord[],
  which: number | string,
): InvocationRecord {
  const found = typeof which === "number"
    ? records[which - 1]
    : records.find((r) => r.id === which);
  if (found === undefined || (typeof which === "number" && !Number.isInteger(which))) {
    throw new RecordingError(
      `the recording has no invocation ${JSON.stringify(which)} (it has ${records.length})`,
    );
  }
  return found;
}

/**
 * One invocation and every invocation under it (its delegated calls, theirs...), in start order:
 * what a test needs to replay it alone.
 *
 * @param records the recording, in start order
 * @param which the invocation's number or id
 * @returns the file to write, e.g. as a test fixture
 */
export function extractInvocation(
  records: readonly InvocationRecord[],
  which: number | string,
): RecordingFile {
  const top = findInvocation(records, which);
  const kept = new Set([top.id]);
  for (const record of records) {
    if (record.parent !== undefined && kept.has(record.parent)) kept.add(record.id);
  }
  return { format: RECORDING_FORMAT, invocations: records.filter((r) => kept.has(r.id)) };
}
