/**
 * A plugin is a new process for every container start and stop, so how V8 compiles the bundle is
 * part of its start-up. V8 compiles a function lazily, on its first call, and Deno's code cache
 * holds only what was compiled with the module: every function a verb calls is parsed and
 * compiled again in every process. V8 compiles a parenthesized function expression with the
 * module instead (its "possibly invoked function expression" heuristic), and then the code cache
 * holds its bytecode too.
 *
 * eagerFunctions rewrites each top-level `function` declaration of an esbuild bundle as
 * `var name = (function name(...) {...});`, moved to the top of the module, where the declaration
 * was hoisted to anyway: the module behaves the same, and its functions come out of the cache.
 */

const DECLARATION = /^(async )?function(\*?) ([\w$]+)\(/;

/**
 * The bundle with its top-level function declarations made eager (see the module doc). It relies
 * on esbuild's layout: a top-level declaration starts at column 0 and its closing brace is a line
 * of its own, "}".
 *
 * @throws {Error} when a declaration has no closing line
 */
export function eagerFunctions(code: string): string {
  const lines = code.split("\n");
  const head = lines[0]?.startsWith("#!") ? [lines.shift()!] : [];
  const functions: string[] = [];
  const rest: string[] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (current !== undefined) {
      current.push(line);
      if (line === "}") {
        current[current.length - 1] = "});";
        functions.push(...current);
        current = undefined;
      }
      continue;
    }
    const match = DECLARATION.exec(line);
    if (match === null) {
      rest.push(line);
      continue;
    }
    const [, async = "", star, name] = match;
    const start = `var ${name} = (${async}function${star} ${name}(${line.slice(match[0].length)}`;
    if (line.endsWith("}")) functions.push(`${start});`);
    else current = [start];
  }
  if (current !== undefined) {
    throw new Error(`eagerFunctions: no closing line for "${current[0]}"`);
  }
  return [...head, ...functions, ...rest].join("\n");
}
