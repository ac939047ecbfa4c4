/**
 * The noop plugin: ADD returns an empty result in the configuration's version; every other verb
 * succeeds. A whole plugin in a few lines.
 */
import { ALL_VERSIONS, emptyResult, runPlugin } from "../lib/mod.ts";

export const noopPlugin = {
  about: "CNI noop plugin (deno-cni)",
  versions: ALL_VERSIONS,
  add: ({ configVersion }: { configVersion: string }) => emptyResult(configVersion),
  check: () => {},
  del: () => {},
};

if (import.meta.main) await runPlugin(noopPlugin);
