/**
 * The noop plugin: ADD returns an empty result in the configuration's version; every other verb
 * succeeds. A whole plugin in a few lines, written with `definePlugin`.
 */
import { definePlugin, emptyResult, runPlugin } from "../lib/mod.ts";

export const noopPlugin = definePlugin({
  name: "deno-noop",
  about: "CNI noop plugin (deno-cni)",
  add: ({ configVersion }) => emptyResult(configVersion),
  check: () => {},
  del: () => {},
});

if (import.meta.main) await runPlugin(noopPlugin);
