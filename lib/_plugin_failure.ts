/**
 * Reading a failed plugin run as Go's `invoke` package reads it (spec "Section 2: Execution
 * Protocol": success is exit status 0; on failure the plugin prints an error object on stdout).
 * The one reading for both sides: a runtime running a plugin, and a plugin running a delegate
 * (spec "Section 4: Plugin Delegation").
 *
 * @module
 */
import { DecodeError, foldKey, isJsonObject, jsonKind, OverflowNumber } from "./_decode.ts";
import { goQuoteCapped } from "./_go_quote.ts";
import { parseJson } from "./config.ts";
import { CniError } from "./errors.ts";
import type { RunOutput } from "./host.ts";

/** Go's texts for the signals a plugin is likely to die of (its `syscall.Signal.String`). */
const SIGNAL_TEXT: Readonly<Record<string, string>> = {
  SIGHUP: "hangup",
  SIGINT: "interrupt",
  SIGQUIT: "quit",
  SIGILL: "illegal instruction",
  SIGTRAP: "trace/breakpoint trap",
  SIGABRT: "aborted",
  SIGBUS: "bus error",
  SIGFPE: "floating point exception",
  SIGKILL: "killed",
  SIGUSR1: "user defined signal 1",
  SIGSEGV: "segmentation fault",
  SIGUSR2: "user defined signal 2",
  SIGPIPE: "broken pipe",
  SIGALRM: "alarm clock",
  SIGTERM: "terminated",
};

/** How Go's `exec` describes the end of a failed run: `exit status 2`, `signal: killed`. */
function exitText(output: RunOutput): string {
  if (output.signal !== undefined) {
    return `signal: ${SIGNAL_TEXT[output.signal] ?? output.signal}`;
  }
  return `exit status ${output.code}`;
}

/** A value as Go decodes it into `types.Error.Code`, a `uint`. */
function decodeCode(value: unknown): { code?: number; error?: string } {
  if (value === null) return {};
  const text = value instanceof OverflowNumber
    ? value.text
    : typeof value === "number"
    ? String(value)
    : undefined;
  if (text === undefined) {
    return {
      error: `json: cannot unmarshal ${
        jsonKind(value)
      } into Go struct field Error.code of type uint`,
    };
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    return {
      error: `json: cannot unmarshal number ${text} into Go struct field Error.code of type uint`,
    };
  }
  return { code: value };
}

/**
 * A failed plugin's stdout as an error object (Go's `json.Unmarshal` into `types.Error`): the
 * members that decode are kept, and the first one that does not gives the reason.
 */
function decodeErrorObject(
  stdout: string,
): { code: number; msg: string; details: string; error?: string } {
  const decoded = { code: 0, msg: "", details: "" };
  let document: unknown;
  try {
    document = parseJson(stdout);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { ...decoded, error: error.message };
  }
  if (document === null) return decoded;
  if (!isJsonObject(document)) {
    return {
      ...decoded,
      error: `json: cannot unmarshal ${jsonKind(document)} into Go value of type types.Error`,
    };
  }
  let error: string | undefined;
  // Members in document order, so the first that does not decode gives the reason, as in Go.
  for (const [key, value] of Object.entries(document)) {
    const lower = foldKey(key);
    if (lower === "code") {
      const code = decodeCode(value);
      if (code.code !== undefined) decoded.code = code.code;
      error ??= code.error;
    } else if (lower === "msg" || lower === "details") {
      if (typeof value === "string") decoded[lower] = value;
      else if (value !== null) {
        error ??= `json: cannot unmarshal ${jsonKind(value)} into Go struct field Error.${lower} ` +
          "of type string";
      }
    }
  }
  return error === undefined ? decoded : { ...decoded, error };
}

/**
 * The error a failed run stands for, as Go's `invoke` package reads it: the plugin's error object
 * when stdout holds one (passed through unchanged); otherwise code 0 with
 * `netplugin failed with no error message: <how it ended>`,
 * `netplugin failed: "<stderr>": <how it ended>` or
 * `netplugin failed but error parsing its diagnostic message "<stdout>": <reason>`, keeping the
 * members of the error object that did decode. Quoted output is cut to 1 KiB (see
 * `goQuoteCapped`), counting the bytes the host dropped. A run stopped at its time limit is
 * `netplugin failed with no error message: signal: killed (time limit of N ms reached)`, whatever
 * it printed.
 *
 * @param output what the run left behind
 * @param timeoutMs its time limit, named when it ran out
 */
export function pluginFailure(output: RunOutput, timeoutMs: number): CniError {
  if (output.timedOut) {
    return new CniError(
      0,
      `netplugin failed with no error message: signal: killed (time limit of ${timeoutMs} ms reached)`,
    );
  }
  const exit = exitText(output);
  if (output.stdout === "") {
    return new CniError(
      0,
      output.stderr === ""
        ? `netplugin failed with no error message: ${exit}`
        : `netplugin failed: ${
          goQuoteCapped(output.stderr, undefined, output.droppedBytes)
        }: ${exit}`,
    );
  }
  const decoded = decodeErrorObject(output.stdout);
  if (decoded.error !== undefined) {
    return new CniError(
      decoded.code,
      "netplugin failed but error parsing its diagnostic message " +
        `${goQuoteCapped(output.stdout, undefined, output.droppedBytes)}: ${decoded.error}`,
      decoded.details,
    );
  }
  return new CniError(decoded.code, decoded.msg, decoded.details);
}
