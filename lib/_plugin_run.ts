/**
 * Running a plugin's executable and reading its ADD result as Go's `invoke` package does: the one
 * way for both sides, a runtime running a plugin and a plugin running a delegate.
 *
 * @module
 */
import { findOverflow, isJsonObject, jsonKind, overflowError } from "./_decode.ts";
import { parseJson } from "./config.ts";
import { CniError } from "./errors.ts";
import type { Host, RunOutput } from "./host.ts";
import { decodeResult } from "./result.ts";
import type { AnyResult } from "./types.ts";
import { versionOrDefault } from "./version.ts";

/** How many more times a start failing with "text file busy" is tried, 1 s apart. */
const BUSY_RETRIES = 5;

/** Deno's "Failed to spawn '...': Permission denied (os error 13)" in Go's words. */
function startFailure(path: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.replace(/^Failed to spawn '.*?': /s, "").replace(/ \(os error \d+\)$/, "");
  return `fork/exec ${path}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
}

/**
 * Runs a plugin's executable with no arguments, retrying a start that fails with "text file
 * busy" (its file is still being written) five times, a second apart.
 *
 * @returns what the run left behind, or why it could not start (Go's "fork/exec ..." words)
 * @throws {CniError} a missing permission, unchanged
 */
export async function startPlugin(
  host: Host,
  path: string,
  options: {
    env: Readonly<Record<string, string>>;
    stdin: string;
    timeoutMs: number;
    onStart?: (pid: number) => void;
  },
): Promise<RunOutput | { startError: string }> {
  for (let attempt = 0;; attempt++) {
    try {
      return await host.run(path, [], { ...options, env: { ...options.env } });
    } catch (error) {
      if (error instanceof CniError) throw error;
      const reason = startFailure(path, error);
      if (!/text file busy/i.test(reason) || attempt >= BUSY_RETRIES) return { startError: reason };
      await host.sleep(1000);
    }
  }
}

/**
 * The result a plugin printed for ADD, as libcni's `ExecPluginWithResult` reads it: in the
 * version it names, or the configuration's when it names none; not converted.
 *
 * @param stdout what the plugin printed
 * @param configVersion the version of the configuration it was given
 * @throws {Error} `failed to unmarshal raw result: <reason>` when stdout is not a JSON object
 *   (empty stdout included), or the decoder's error (an unknown version, a bad address)
 */
export function parsePluginResult(stdout: string, configVersion: string): AnyResult {
  let document: unknown;
  try {
    document = parseJson(stdout);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`failed to unmarshal raw result: ${why}`, { cause: error });
  }
  if (document !== null && !isJsonObject(document)) {
    throw new Error(
      "failed to unmarshal raw result: json: cannot unmarshal " +
        `${jsonKind(document)} into Go value of type map[string]interface {}`,
    );
  }
  const overflow = findOverflow(document);
  if (overflow !== undefined) {
    throw new Error(`failed to unmarshal raw result: ${overflowError(overflow).message}`);
  }
  const raw = document ?? {};
  const stated = raw.cniVersion;
  const version = typeof stated === "string" && stated !== ""
    ? stated
    : versionOrDefault(configVersion);
  return decodeResult(version, { ...raw, cniVersion: version });
}
