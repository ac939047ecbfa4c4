/**
 * The sysctl allowlist of the tuning plugin, as the reference reads it: a file of Go regular
 * expressions, one a line (blank lines and the white space around each are ignored). When the
 * file exists, every sysctl key of the configuration must match one of them, unanchored; when it
 * does not, every key is allowed.
 *
 * @module
 */
import { compileRe2 } from "./re2.ts";

/** The reference's allowlist: `/etc/cni/tuning/allowlist.conf`. */
export const DEFAULT_ALLOWLIST_FILE = "/etc/cni/tuning/allowlist.conf";

/** A key the allowlist does not name (code 7 in the plugin). */
export class SysctlNotAllowed extends Error {
  /**
   * Makes the error, worded as the reference words it.
   *
   * @param key the key as configured
   * @param patterns the allowlist's expressions
   */
  constructor(key: string, patterns: readonly string[]) {
    super(
      `Sysctl ${key} is not allowed. Only the following sysctls are allowed: ` +
        `[${patterns.join(" ")}]`,
    );
    this.name = "SysctlNotAllowed";
  }
}

/** Go's `strings.TrimSpace`: Unicode white space, which does not include a byte order mark. */
function trimSpace(line: string): string {
  const space =
    "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
  return line.replace(new RegExp(`^${space}+|${space}+$`, "gu"), "");
}

/**
 * The allowlist's expressions, or undefined when the file does not exist.
 *
 * @throws {Error} when it exists and cannot be read
 */
export async function readAllowlist(file: string): Promise<string[] | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new Error(`read ${file}: ${(error as Error).message}`);
  }
  return text.split("\n").map(trimSpace).filter((line) => line !== "");
}

/**
 * Refuses the first key (in the order given) that no expression of the allowlist matches.
 *
 * @param keys the configured sysctl keys
 * @param patterns the allowlist's expressions
 * @throws {SysctlNotAllowed} for a key no expression matches
 * @throws {Re2SyntaxError} for an expression Go would refuse, when a key reaches it
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAllowed } from "./allowlist.ts";
 *
 * const allowlist = ["^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$", "^net\\.core\\.somaxconn$"];
 * checkAllowed(["net.core.somaxconn", "net.ipv4.conf.IFNAME.rp_filter"], allowlist);
 * assert.throws(() => checkAllowed(["net.ipv4.ip_forward"], allowlist), {
 *   message: "Sysctl net.ipv4.ip_forward is not allowed. Only the following sysctls are " +
 *     "allowed: [^net\\.ipv4\\.conf\\.IFNAME\\.[a-z_]+$ ^net\\.core\\.somaxconn$]",
 * });
 * ```
 */
export function checkAllowed(keys: readonly string[], patterns: readonly string[]): void {
  const compiled = new Map<string, RegExp>();
  const matcher = (pattern: string) => {
    let regexp = compiled.get(pattern);
    if (regexp === undefined) compiled.set(pattern, regexp = compileRe2(pattern));
    return regexp;
  };
  for (const key of keys) {
    // As the reference: the expressions in order, each compiled when a key first reaches it.
    if (!patterns.some((pattern) => matcher(pattern).test(key))) {
      throw new SysctlNotAllowed(key, patterns);
    }
  }
}
