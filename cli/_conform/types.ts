/**
 * The checks conform runs on each plugin, and what one check found.
 *
 * @module
 */

/**
 * The checks, in the order they are reported for each plugin:
 *
 * - `version`: VERSION answers a valid reply that lists the configuration's `cniVersion`
 * - `add`: ADD, run in the network's chain, succeeds
 * - `result`: the ADD result follows the rules of its version and its container interfaces exist
 * - `check`: CHECK after ADD succeeds (spec 0.4.0 and later)
 * - `status`: STATUS succeeds, or says "not available" with code 50 or 51 (spec 1.1.0)
 * - `gc`: GC naming the live attachment as valid succeeds and leaves it alone (spec 1.1.0)
 * - `del`: DEL of the attachment succeeds
 * - `cleanup`: after DEL, no link the plugin made is left in the container's namespace
 * - `del-again`: a second DEL succeeds
 * - `del-unknown`: DEL of an attachment that was never added succeeds
 * - `bad-config`: ADD with a well-known key of the wrong type fails with an error object
 * - `missing-containerid`: ADD without CNI_CONTAINERID fails with an error object
 * - `missing-ifname`: ADD without CNI_IFNAME fails with an error object
 * - `stdout`: every answer on stdout is exactly one JSON document, and a verb that answers
 *   nothing on success prints nothing
 */
export const CHECKS = [
  "version",
  "add",
  "result",
  "check",
  "status",
  "gc",
  "del",
  "cleanup",
  "del-again",
  "del-unknown",
  "bad-config",
  "missing-containerid",
  "missing-ifname",
  "stdout",
] as const;

/** One of {@link CHECKS}. */
export type CheckName = typeof CHECKS[number];

/** What a check came to: passed, failed, or not applicable / not runnable. */
export type Outcome = "pass" | "fail" | "skip";

/** What one check found for one plugin. */
export interface CheckResult {
  /** The plugin's label: its `type`, with `#n` (1-based) when the chain has it more than once. */
  readonly plugin: string;
  readonly check: CheckName;
  readonly outcome: Outcome;
  /** Why it failed or was skipped; for a pass, a note (e.g. STATUS's "not available"). */
  readonly reason?: string;
}

/** One plugin of the network under test. */
export interface PluginInfo {
  /** As {@link CheckResult.plugin} names it. */
  readonly label: string;
  /** The plugin's `type`. */
  readonly type: string;
  /** The executable, when it was found. */
  readonly path?: string;
}

/** Everything one conform run found. */
export interface Report {
  /** The network's name. */
  readonly network: string;
  /** The version the plugins were spoken to in. */
  readonly cniVersion: string;
  readonly plugins: readonly PluginInfo[];
  readonly checks: readonly CheckResult[];
}
