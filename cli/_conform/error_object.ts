/**
 * The rules for a plugin's error answer (spec "Section 2: Execution Protocol", Errors, and
 * "Section 5: Result Types", Error): a JSON object with `code` (an unsigned integer) and `msg`
 * (a string), `details` optional; codes 0-99 are the spec's, 100 and above the plugin's own.
 *
 * @module
 */
import { isJsonObject } from "../../lib/protocol.ts";

/**
 * The codes the spec defines: 1-7 and 11 for any verb, 50 and 51 for STATUS (spec "Section 2:
 * Execution Protocol", Errors and STATUS).
 */
export const SPEC_ERROR_CODES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 11, 50, 51];

/** The first code a plugin may define for itself. */
export const FIRST_PLUGIN_CODE = 100;

/** A well-formed error object's code and message. */
export interface ErrorAnswer {
  readonly code: number;
  readonly msg: string;
}

/** Why `value` is not a spec error object, or undefined when it is one. */
export function errorObjectProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return "the error answer is not a JSON object";
  const { code, msg, details } = value;
  if (code === undefined) return 'the error object has no "code"';
  if (typeof code !== "number" || !Number.isInteger(code) || code < 0) {
    return `the error code ${JSON.stringify(code)} is not an unsigned integer`;
  }
  if (!SPEC_ERROR_CODES.includes(code) && code < FIRST_PLUGIN_CODE) {
    return `the error code ${code} is neither a spec code (${SPEC_ERROR_CODES.join(", ")}) ` +
      `nor ${FIRST_PLUGIN_CODE} or above`;
  }
  if (typeof msg !== "string") return 'the error object has no string "msg"';
  if (msg === "") return 'the error object\'s "msg" is empty';
  if (details !== undefined && typeof details !== "string") {
    return 'the error object\'s "details" is not a string';
  }
  return undefined;
}

/** `value` as an error answer, when it is a well-formed one. */
export function errorAnswer(value: unknown): ErrorAnswer | undefined {
  if (errorObjectProblem(value) !== undefined) return undefined;
  const record = value as { code: number; msg: string };
  return { code: record.code, msg: record.msg };
}
