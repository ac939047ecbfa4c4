/**
 * A deep copy of plain JSON-like data that gives what structuredClone gives, faster: a result's
 * conversion copies it, and structuredClone's serializer costs about 0.1 ms on its first call and
 * twice the time of this copy on a result with many entries. Anything but plain data (class
 * instances, dates, maps, holes, shared or cyclic references, a `__proto__` key, functions,
 * symbols) is left to structuredClone itself, so its result (or its error) is kept there too.
 */

/** What copyPlain returns for a value it leaves to structuredClone. */
const NOT_PLAIN: unique symbol = Symbol("not plain data");

function copyPlain(value: unknown, seen: Set<object>): unknown {
  if (typeof value === "function" || typeof value === "symbol") return NOT_PLAIN;
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return NOT_PLAIN;
  seen.add(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return NOT_PLAIN;
      const item = copyPlain(value[i], seen);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      copy[i] = item;
    }
    return Object.keys(value).length === value.length ? copy : NOT_PLAIN;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === "__proto__") return NOT_PLAIN;
    const item = copyPlain((value as Record<string, unknown>)[key], seen);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = item;
  }
  return copy;
}

/** `structuredClone(value)`, faster for plain data. */
export function cloneData<T>(value: T): T {
  const copy = copyPlain(value, new Set());
  return (copy === NOT_PLAIN ? structuredClone(value) : copy) as T;
}
