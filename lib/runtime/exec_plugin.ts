/**
 * Running one plugin and reading its failure the way libcni's `RawExec` reads it (spec "Section
 * 2: Execution Protocol": success is exit status 0; on failure the plugin prints an error object
 * on stdout). The program is run from its path with an argv of its own and never through a shell;
 * its process group is killed at the time limit.
 *
 * @module
 */
import { pluginFailure } from "../_plugin_failure.ts";
import { startPlugin } from "../_plugin_run.ts";
import { CniError } from "../errors.ts";
import { denoHost, type Host, type RunOutput } from "../host.ts";
import type { PluginCommand, PluginRun, RuntimeOptions } from "./types.ts";

/** The time limit of one plugin run when none is given: 5 minutes. */
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** What {@link execPlugin} needs to know about the run. */
export interface ExecPluginOptions
  extends Pick<RuntimeOptions, "host" | "timeoutMs" | "stderr" | "onRun"> {
  /** The verb, for {@link RuntimeOptions.onRun}. */
  readonly command: PluginCommand;
  /** The plugin's `type`, for {@link RuntimeOptions.onRun}. */
  readonly type: string;
}

/**
 * Runs the plugin at `path` with `stdin` and the CNI_* variables `env` on top of the caller's
 * environment, and returns its stdout. On success its stderr goes to `options.stderr`.
 *
 * @throws {CniError} the plugin's error object, or code 0 with a `netplugin failed ...` message
 *   (see `pluginFailure` in lib/delegate.ts); also when it cannot be started
 */
export async function execPlugin(
  path: string,
  stdin: string,
  env: Readonly<Record<string, string>>,
  options: ExecPluginOptions,
): Promise<string> {
  const host: Host = options.host ?? denoHost();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  const report = async (output: Partial<RunOutput> & { startError?: string }) => {
    await options.onRun?.(
      {
        command: options.command,
        type: options.type,
        path,
        env,
        stdin,
        stdout: output.stdout ?? "",
        stderr: output.stderr ?? "",
        code: output.code ?? -1,
        ...(output.signal === undefined ? {} : { signal: output.signal }),
        ...(output.timedOut ? { timedOut: true } : {}),
        ...(output.startError === undefined ? {} : { startError: output.startError }),
        durationMs: performance.now() - started,
      } satisfies PluginRun,
    );
  };
  const output = await startPlugin(host, path, { env, stdin, timeoutMs });
  if ("startError" in output) {
    await report(output);
    throw new CniError(0, `netplugin failed with no error message: ${output.startError}`);
  }
  await report(output);
  if (output.code !== 0 || output.signal !== undefined || output.timedOut) {
    throw pluginFailure(output, timeoutMs);
  }
  if (output.droppedBytes !== undefined) {
    throw new CniError(
      0,
      `netplugin output is too large: ${output.droppedBytes} bytes beyond the limit were dropped`,
    );
  }
  if (output.stderr !== "") {
    const write = options.stderr ?? ((text: string) => host.writeStderr(text));
    try {
      await write(output.stderr);
    } catch {
      // stderr is informational: a failure to copy it does not fail the plugin run.
    }
  }
  return output.stdout;
}
