/**
 * The keys of a plugin's configuration that none of its readers read: the typo beside a real key
 * (`egresRate` beside `ingressRate`) that would otherwise pass without a word.
 *
 * Only the keys that belong to the plugin are looked at. The top-level object is the plugin's when
 * its `type` names the plugin; the `ipam` section is when its `type` does (an IPAM plugin run by
 * another plugin gets that plugin's configuration, whose other keys are not its own). Keys the
 * spec, the runtime or other plugins of the chain set are never reported, nor anything under
 * them.
 */
import type { NetConf } from "./config.ts";
import { type ConfigReader, type UnreadKey, unreadKeys } from "./config_reader.ts";
import { foldKey } from "./_decode.ts";

/**
 * Top-level keys that are not the plugin's own: the spec's (spec "Section 1: Network
 * configuration format"), those a runtime adds or reserves, the network list's, and `log`, which
 * every plugin made with `definePlugin` reads.
 */
const SHARED_KEY_NAMES = [
  "cniVersion",
  "cniVersions",
  "name",
  "type",
  "ipam",
  "dns",
  "prevResult",
  "runtimeConfig",
  "args",
  "capabilities",
  "log",
  "ipMasq",
  "disableCheck",
  "disableGC",
  "loadOnlyInlinedPlugins",
  "plugins",
  "validAttachments",
];

/** SHARED_KEY_NAMES folded, made on first use. */
let sharedKeys: ReadonlySet<string> | undefined;

/** True for a key the plugin must leave alone: a shared key or any `cni.dev/` key. */
function isShared(key: string): boolean {
  const folded = foldKey(key);
  sharedKeys ??= new Set(SHARED_KEY_NAMES.map(foldKey));
  return sharedKeys.has(folded) || folded.startsWith("cni.dev/");
}

/**
 * The keys of the plugin's own that no reader of `read` read.
 *
 * @param read the reader the plugin's `config` function got
 * @param conf the decoded configuration
 * @param plugin the plugin's name
 */
export function unknownKeys(read: ConfigReader, conf: NetConf, plugin: string): UnreadKey[] {
  const found: UnreadKey[] = [];
  if (conf.type === plugin) found.push(...unreadKeys(read, { ignore: isShared }));
  if (conf.ipam?.type === plugin) {
    found.push(...unreadKeys(read, { section: "ipam", ignore: (key) => foldKey(key) === "type" }));
  }
  return found;
}

/** What an unknown key may have meant, for a message: ` (did you mean "egressRate"?)` or "". */
export function didYouMean(key: UnreadKey): string {
  return key.near === undefined ? "" : ` (did you mean ${JSON.stringify(key.near)}?)`;
}
