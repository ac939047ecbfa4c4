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
import { denoHost } from "../lib/host.ts";
import { runCnitool } from "./_cnitool/main.ts";

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
  const status = await runCnitool(Deno.args, {
    getenv: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    host,
    stdout: (text) => host.writeStdout(text),
    stderr: (text) => host.writeStderr(text),
  });
  Deno.exit(status);
}
