/**
 * The entry point of a plugin file: {@link runPlugin} runs the dispatcher with the real process
 * behind it and exits with its status.
 *
 * @module
 */
import { redirectConsole } from "./_console.ts";
import { denoHost, type Host, tryWriteStderr } from "./host.ts";
import { dispatch, type PluginHandlers } from "./skel.ts";

/** Options of {@link runPlugin}. */
export interface RunPluginOptions {
  /** The process; default {@link denoHost}. */
  host?: Host;
}

/**
 * Runs a plugin in this process and exits with its status: the last line of a plugin file,
 * `if (import.meta.main) await runPlugin(plugin);`.
 *
 * Everything the console would print goes to stderr instead, so that a stray `console.log` in a
 * handler cannot corrupt the protocol on stdout.
 *
 * @param plugin a plugin from `definePlugin` (or any handlers of the low-level protocol)
 * @param options the host, for tests
 */
export async function runPlugin(
  plugin: PluginHandlers & { readonly name?: string },
  options: RunPluginOptions = {},
): Promise<void> {
  const host = options.host ?? denoHost(plugin.name === undefined ? {} : { plugin: plugin.name });
  redirectConsole((text) => void tryWriteStderr(host, text));
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const why = event.reason instanceof Error ? event.reason.message : String(event.reason);
    void tryWriteStderr(host, `unhandled rejection: ${why}\n`);
  });
  host.exit(await dispatch(plugin, host));
}
