/**
 * cnitool in TypeScript: `cnitool add|check|del|gc|status NETWORK NETNS`, as Go's cnitool, on the
 * runtime library `lib/runtime/`. See `cnitool --help`.
 *
 * Run it with `deno task cnitool ...`: it needs `--allow-read` (configurations, cache, plugins),
 * `--allow-write` (the result cache), `--allow-env` (the CNI variables, and the environment the
 * plugins inherit) and `--allow-run` (plugins are found in CNI_PATH at run time, so no fixed list
 * of programs can name them).
 *
 * @module
 */
import { moveToInitCwd } from "./_init_cwd.ts";
import { denoHost, tryWriteStderr } from "../lib/host.ts";
import { runCnitool } from "./_cnitool/main.ts";
import { interruptStatus, onInterrupt } from "./_interrupt.ts";

/** The permission flags cnitool runs with (the `cnitool` task in deno.json). */
export const CNITOOL_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
] as const;

if (import.meta.main) {
  moveToInitCwd();
  const host = denoHost();
  // The plugins run in process groups of their own, which a signal to cnitool's group misses:
  // an interrupt kills the running one. A later signal waits for the cleanup of --netns-new.
  const interrupt = onInterrupt((signal, first) =>
    tryWriteStderr(host, first ? `cnitool: ${signal}\n` : `cnitool: ${signal} again, finishing\n`)
  );
  const status = await runCnitool(Deno.args, {
    getenv: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    host,
    stdout: (text) => host.writeStdout(text),
    stderr: (text) => host.writeStderr(text),
    interrupt: interrupt.signal,
  });
  const signal = interrupt.received();
  Deno.exit(signal === undefined ? status : interruptStatus(signal));
}
