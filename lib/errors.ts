/**
 * The spec's error codes (spec "Section 5: Result Types", Error), plus the Go reference's 8 and 999.
 * Codes 0-99 are reserved for the spec; plugins may use 100 and above.
 */
export const ErrorCode = {
  unknown: 0,
  incompatibleCniVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironmentVariables: 4,
  ioFailure: 5,
  decodingFailure: 6,
  invalidNetworkConfig: 7,
  invalidNetns: 8,
  tryAgainLater: 11,
  pluginNotAvailable: 50,
  pluginNotAvailableLimitedConnectivity: 51,
  internal: 999,
} as const;

/** The error object a plugin prints on stdout (spec "Section 5: Result Types", Error). */
export interface ErrorObject {
  /** The error code: the spec's (0-99) or the plugin's own (100 and above). */
  code: number;
  /** A short message. */
  msg: string;
  /** More detail, when there is any. */
  details?: string;
}

/** A CNI error: the only exception type the runner turns into an error object unchanged. */
export class CniError extends Error {
  /** The error code (see {@link ErrorCode}). */
  readonly code: number;
  /** More detail; "" when there is none. */
  readonly details: string;

  /**
   * Makes the error.
   *
   * @param code the error code: one of {@link ErrorCode}, or 100 and above for the plugin's own
   * @param msg a short message
   * @param details more detail, if any
   */
  constructor(code: number, msg: string, details = "") {
    super(msg);
    this.name = "CniError";
    this.code = code;
    this.details = details;
  }

  /** The wire form: `details` is left out when empty, as the Go reference does. */
  toJSON(): ErrorObject {
    return this.details === ""
      ? { code: this.code, msg: this.message }
      : { code: this.code, msg: this.message, details: this.details };
  }

  /** `msg`, or `msg; details`, like the Go reference's error string. */
  override toString(): string {
    return this.details === "" ? this.message : `${this.message}; ${this.details}`;
  }
}

/**
 * Turns anything thrown into a CniError: a CniError as it is (also when wrapped as an
 * Error `cause`, at any depth, like Go's `errors.As`), anything else as code 999 with its message.
 */
export function toCniError(error: unknown): CniError {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    if (e instanceof CniError) return e;
    seen.add(e);
  }
  const msg = error instanceof Error ? error.message : String(error);
  return new CniError(ErrorCode.internal, msg);
}
