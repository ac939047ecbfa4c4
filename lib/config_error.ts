import { CniError, ErrorCode } from "./errors.ts";

/**
 * A code 7 error ("invalid network config", spec "Section 5: Result Types", Error) about one key of the network
 * configuration. The message names the key, so the runtime's user knows what to fix.
 *
 * @example Throw it from a plugin's configuration validator
 * ```ts
 * import assert from "node:assert/strict";
 * import { configError } from "./config_error.ts";
 *
 * const error = configError("mtu", "must be an integer from 68 to 65535, got 9");
 * assert.equal(error.code, 7);
 * assert.equal(error.field, "mtu");
 * assert.equal(
 *   error.message,
 *   'invalid network configuration: "mtu" must be an integer from 68 to 65535, got 9',
 * );
 * ```
 */
export class ConfigError extends CniError {
  /** The configuration key at fault, dotted for nested keys ("ipam.range"). */
  readonly field: string;

  /**
   * Makes the error; {@link configError} is the shorter way.
   *
   * @param field the key at fault
   * @param message what is wrong with it, starting with a verb ("must be ...", "is required")
   * @param details optional extra text for the error object's `details`
   */
  constructor(field: string, message: string, details = "") {
    super(
      ErrorCode.invalidNetworkConfig,
      `invalid network configuration: ${JSON.stringify(field)} ${message}`,
      details,
    );
    this.name = "ConfigError";
    this.field = field;
  }
}

/**
 * Makes a {@link ConfigError}: the error a plugin's configuration validator throws for a bad key.
 * It reaches the runtime as error code 7 with a message naming the key.
 *
 * @param field the key at fault, dotted for nested keys ("ipam.range")
 * @param message what is wrong, starting with a verb: "is required", "must be a CIDR, got \"x\""
 * @returns the error, to be thrown
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configError } from "./config_error.ts";
 *
 * assert.throws(
 *   () => {
 *     throw configError("dst", "is required");
 *   },
 *   { code: 7, message: 'invalid network configuration: "dst" is required' },
 * );
 * ```
 */
export function configError(field: string, message: string): ConfigError {
  return new ConfigError(field, message);
}
