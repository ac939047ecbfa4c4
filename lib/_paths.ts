/**
 * Path helpers with the rules of Go's `path/filepath` on Unix, so that paths in error messages,
 * cache files and plugin lookups come out as a Go program makes them. Lexical only: nothing here
 * looks at the file system. CNI_PATH is split by `splitCniPath` in lib/env.ts.
 *
 * @module
 */

/**
 * The shortest path naming the same file by lexical processing (Go's `filepath.Clean`): repeated
 * slashes become one, `.` elements go, `..` elements eat the element before them, `/..` at the
 * root is `/`, and an empty result is `.`.
 */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/**
 * Joins the non-empty elements with "/" and cleans the result (Go's `filepath.Join`): an empty
 * directory leaves the name relative, and no elements at all give "".
 */
export function joinPath(...elements: string[]): string {
  const parts = elements.filter((e) => e !== "");
  return parts.length === 0 ? "" : cleanPath(parts.join("/"));
}

/** An absolute, clean path: relative paths are taken from `cwd` (Go's `filepath.Abs`). */
export function absPath(path: string, cwd: string): string {
  return path.startsWith("/") ? cleanPath(path) : joinPath(cwd, path);
}

/** The extension of the last element: from its last "." on, or "" (Go's `filepath.Ext`). */
export function extension(path: string): string {
  for (let i = path.length - 1; i >= 0 && path[i] !== "/"; i--) {
    if (path[i] === ".") return path.slice(i);
  }
  return "";
}
