/**
 * Go's limit on how deep JSON nests: its decoder refuses a document with more than 10,000 arrays
 * and objects open at once, naming the bracket that goes past it. JSON.parse has no such limit, so
 * the runtime checks documents where Go would decode them.
 *
 * @module
 */

/** The most arrays and objects Go's decoder has open at once. */
export const MAX_JSON_DEPTH = 10_000;

function isContainer(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Go's decoding error for `value` written as JSON, when it nests deeper than
 * {@link MAX_JSON_DEPTH}: `invalid character '[' exceeded max depth` (or `'{'`), for the first
 * array or object past the limit. Undefined when it does not. Walks without recursing.
 */
export function depthError(value: unknown): string | undefined {
  const pending: [unknown, number][] = [[value, 1]];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const [item, depth] = entry;
    if (!isContainer(item)) continue;
    if (depth > MAX_JSON_DEPTH) {
      return `invalid character '${Array.isArray(item) ? "[" : "{"}' exceeded max depth`;
    }
    const members = Object.values(item);
    for (let i = members.length - 1; i >= 0; i--) pending.push([members[i], depth + 1]);
  }
  return undefined;
}
