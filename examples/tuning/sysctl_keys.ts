/**
 * The tuning plugin's rules for sysctl keys, as the reference applies them: a key's file under
 * /proc/sys (dots become slashes, then the first `IFNAME` becomes CNI_IFNAME, then the path is
 * cleaned), which must lie under /proc/sys/net/; and the refusal of a key written twice in the
 * `sysctl` object of the configuration's text.
 *
 * @module
 */

/** A sysctl as the plugin writes it: the key as configured, its file, its value. */
export interface SysctlSetting {
  /** The key as the configuration wrote it ("net.ipv4.conf.IFNAME.rp_filter"). */
  key: string;
  /** Its file under /proc/sys ("/proc/sys/net/ipv4/conf/eth0/rp_filter"). */
  file: string;
  /** The key for the namespace toolkit: the file's path below /proc/sys, with slashes. */
  toolkitKey: string;
  /** The value to write. */
  value: string;
}

/** Go's `path.Clean`: the shortest equivalent path, "." and ".." resolved lexically. */
export function cleanPath(path: string): string {
  const rooted = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
      else if (!rooted) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Go's `filepath.Join(dir, name)`: joined with a slash and cleaned; an empty name is left out. */
export function joinPath(dir: string, name: string): string {
  return cleanPath(name === "" ? dir : `${dir}/${name}`);
}

/** A key refused because its file is not under /proc/sys/net/ (code 7 in the plugin). */
export class InvalidSysctlKey extends Error {
  /**
   * Makes the error.
   *
   * @param key the key after dots became slashes and IFNAME was replaced, as the reference
   * names it
   */
  constructor(key: string) {
    super(`invalid net sysctl key: ${JSON.stringify(key)}`);
    this.name = "InvalidSysctlKey";
  }
}

/**
 * The file of a sysctl key in the container, as the reference finds it: dots become slashes,
 * the first `IFNAME` becomes `ifName` (whose own dots stay), and the path joined to /proc/sys is
 * cleaned. A file outside /proc/sys/net/ is refused.
 *
 * @param key the configured key
 * @param value its value
 * @param ifName CNI_IFNAME
 * @returns the setting
 * @throws {InvalidSysctlKey} when the file is not under /proc/sys/net/
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sysctlSetting } from "./sysctl_keys.ts";
 *
 * const setting = sysctlSetting("net.ipv4.conf.IFNAME.rp_filter", "2", "eth0.100");
 * assert.equal(setting.file, "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
 * assert.equal(setting.toolkitKey, "net/ipv4/conf/eth0.100/rp_filter");
 * // Dots become slashes first, so ".." cannot climb out of /proc/sys/net.
 * assert.equal(sysctlSetting("net..core", "1", "eth0").file, "/proc/sys/net/core");
 * assert.throws(() => sysctlSetting("kernel.hostname", "x", "eth0"), {
 *   message: 'invalid net sysctl key: "kernel/hostname"',
 * });
 * ```
 */
export function sysctlSetting(key: string, value: string, ifName: string): SysctlSetting {
  const named = key.replaceAll(".", "/").replace("IFNAME", () => ifName);
  const file = joinPath("/proc/sys", named);
  if (!file.startsWith("/proc/sys/net/")) throw new InvalidSysctlKey(named);
  return { key, file, toolkitKey: file.slice("/proc/sys/".length), value };
}

/** Go's case folding of a struct field name, near enough: "SysCtl" and "SYSCTL" are "sysctl". */
function foldKey(key: string): string {
  return key.toUpperCase().toLowerCase();
}

/** Reads JSON text: the positions of one value's parts, for {@link duplicateSysctlKey}. */
class JsonScanner {
  #at = 0;

  constructor(readonly text: string) {}

  #space(): void {
    while (/[ \t\n\r]/.test(this.text[this.#at] ?? "")) this.#at++;
  }

  #expect(char: string): void {
    this.#space();
    if (this.text[this.#at] !== char) throw new SyntaxError(`expected ${char}`);
    this.#at++;
  }

  /** True when the next character (after white space) is `char`; consumes it then. */
  #take(char: string): boolean {
    this.#space();
    if (this.text[this.#at] !== char) return false;
    this.#at++;
    return true;
  }

  /** A string token, decoded. */
  string(): string {
    this.#space();
    const start = this.#at;
    this.#skipString();
    return JSON.parse(this.text.slice(start, this.#at));
  }

  #skipString(): void {
    if (this.text[this.#at] !== '"') throw new SyntaxError("expected a string");
    this.#at++;
    while (this.text[this.#at] !== '"') {
      if (this.#at >= this.text.length) throw new SyntaxError("unterminated string");
      this.#at += this.text[this.#at] === "\\" ? 2 : 1;
    }
    this.#at++;
  }

  /** True when the next value is an object. */
  atObject(): boolean {
    this.#space();
    return this.text[this.#at] === "{";
  }

  /** Calls `member` for each key of the object that comes next, with the scanner at its value. */
  object(member: (key: string) => void): void {
    this.#expect("{");
    if (this.#take("}")) return;
    do {
      const key = this.string();
      this.#expect(":");
      member(key);
    } while (this.#take(","));
    this.#expect("}");
  }

  /** Skips the value that comes next, without recursion: nesting may be deep. */
  skip(): void {
    this.#space();
    const char = this.text[this.#at];
    if (char === '"') return this.#skipString();
    if (char !== "{" && char !== "[") {
      const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
        this.text.slice(this.#at, this.#at + 400),
      );
      if (literal === null) throw new SyntaxError("expected a value");
      this.#at += literal[0].length;
      return;
    }
    let depth = 0;
    do {
      const next = this.text[this.#at];
      if (next === undefined) throw new SyntaxError("unterminated value");
      if (next === '"') {
        this.#skipString();
        continue;
      }
      if (next === "{" || next === "[") depth++;
      else if (next === "}" || next === "]") depth--;
      this.#at++;
    } while (depth > 0);
  }
}

/**
 * The first key written twice in the configuration's `sysctl` objects, or undefined. As the
 * reference decodes them: every top-level key that matches `sysctl` in any letter case counts,
 * and a key is the same key when its decoded text is the same. Text that is not JSON has none.
 *
 * @param text the configuration, as the plugin read it from stdin
 * @returns the repeated key, or undefined
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duplicateSysctlKey } from "./sysctl_keys.ts";
 *
 * assert.equal(duplicateSysctlKey('{"sysctl":{"net.a":"1","net.\\u0061":"2"}}'), "net.a");
 * assert.equal(duplicateSysctlKey('{"sysctl":{"net.a":"1"},"SysCtl":{"net.a":"2"}}'), "net.a");
 * assert.equal(duplicateSysctlKey('{"sysctl":{"net.a":"1"},"args":{"sysctl":{"net.a":"2"}}}'), undefined);
 * ```
 */
export function duplicateSysctlKey(text: string): string | undefined {
  const scanner = new JsonScanner(text);
  const seen = new Set<string>();
  let repeated: string | undefined;
  try {
    scanner.object((key) => {
      if (repeated !== undefined || foldKey(key) !== "sysctl" || !scanner.atObject()) {
        return scanner.skip();
      }
      scanner.object((name) => {
        if (repeated === undefined && seen.has(name)) repeated = name;
        seen.add(name);
        scanner.skip();
      });
    });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return repeated;
  }
  return repeated;
}
