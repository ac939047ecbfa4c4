/**
 * conform: a conformance checker for CNI plugins written in any language. `conform NETWORK` runs
 * the plugins of a network of NETCONFPATH (CNI_PATH as for cnitool), `conform --config FILE
 * [--plugin PATH_OR_NAME]` a single plugin configuration or a configuration list, in throwaway
 * network namespaces, and prints one PASS/FAIL line per check. See `conform --help`.
 *
 * Run it as root with `deno task conform ...`: it needs `--allow-read` (configurations, plugins),
 * `--allow-write` (its temporary directory), `--allow-env` (CNI_PATH, NETCONFPATH, and the
 * environment the plugins inherit) and `--allow-run` (plugins found at run time, `ip`, nsenter).
 *
 * @module
 */
import { moveToInitCwd } from "./_init_cwd.ts";
import { denoHost, tryWriteStderr } from "../lib/protocol.ts";
import { runConform } from "./_conform/main.ts";
import { onInterrupt } from "./_interrupt.ts";

/** The permission flags conform runs with (the `conform` task in deno.json). */
export const CONFORM_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
] as const;

if (import.meta.main) {
  moveToInitCwd();
  const host = denoHost();
  // An interrupt kills the running plugin; the namespaces and the temporary directory are still
  // removed, and a second signal (Ctrl-C often sends two) waits for that too.
  const interrupt = onInterrupt((signal, first) =>
    tryWriteStderr(
      host,
      first ? `conform: ${signal}, cleaning up\n` : `conform: ${signal} again, still cleaning up\n`,
    )
  );
  const status = await runConform(Deno.args, {
    getenv: (name) => Deno.env.get(name),
    baseEnv: Deno.env.toObject(),
    cwd: Deno.cwd(),
    host,
    stdout: (text) => host.writeStdout(text),
    stderr: (text) => host.writeStderr(text),
    interrupt: interrupt.signal,
  });
  Deno.exit(status);
}
