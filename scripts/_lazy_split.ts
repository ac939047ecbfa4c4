/**
 * A plugin's bundle as two modules: the entry, with all the code a plugin may need at start-up,
 * and a lazy module with the code it loads only on use (the netlink and exec backends of the
 * namespace toolkit, the `import()`s of lib/).
 *
 * A plugin starts faster from one module than from several: every module costs Deno a lookup of
 * its caches and V8 a compilation, and the shared chunks of a code-split bundle are as many
 * modules. So the build bundles each plugin into one file (esbuild's single-file output, where a
 * dynamically imported module becomes an initializer, `init_x`, run when the `import()` happens),
 * and this moves the modules that only an `import()` reaches into the lazy module:
 *
 * - a module is lazy when its initializer is not run at start-up, directly by a top-level
 *   `init_x();` or by the initializer of a module that is;
 * - the lazy module imports, from the entry, every top-level name of the entry that its code
 *   names, and exports the initializers and namespaces that the `import()`s of the entry use;
 * - each `import()` of the entry (esbuild's `Promise.resolve().then(() => (init_x(), x_exports))`)
 *   loads the lazy module instead.
 *
 * Top-level names are unique in a single-file bundle, so none clashes when the two meet.
 *
 * An import waits for the module it imports to finish evaluating, and a plugin's entry ends with
 * `if (import.meta.main) await runPlugin(plugin);`, which finishes only with the process: the lazy
 * module would wait for it forever. So the entry runs the plugin without waiting for it (runPlugin
 * never rejects and ends the process itself); an entry with any other top-level await
 * ({@link topLevelAwait}) is built as one module instead.
 *
 * The split relies on esbuild's layout: a `// <path>` line starts the code of each module, and an
 * initializer is `var init_x = __esm({` followed by `  "<path>"() {` and ends with a line `});`.
 */

/** The two modules; `lazy` is undefined when nothing is loaded lazily. */
export interface SplitBundle {
  entry: string;
  lazy: string | undefined;
}

const MODULE_LINE = /^\/\/ (\S+\.[cm]?[jt]sx?)$/;
const INIT_START = /^var (init_[\w$]+) = __esm\(\{$/;
const INIT_CALL = /\b(init_[\w$]+)\(\)/g;
const TOP_INIT_CALL = /^(init_[\w$]+)\(\);$/;
const RUN_PLUGIN = /^if \(import\.meta\.main\) await (runPlugin\d*\([\w$]+\));$/m;
const LAZY_IMPORT = /Promise\.resolve\(\)\.then\(\(\) => \((init_[\w$]+)\(\), ([\w$]+)\)\)/g;

/** The alias under which the entry exports a name for the lazy module. */
function alias(name: string): string {
  return `${name}$lazy`;
}

/** The names declared by the top-level statements of `lines` (esbuild starts them at column 0). */
export function topLevelNames(lines: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const line of lines) {
    const declared = /^(?:async )?function\*? ?([\w$]+)\(|^class ([\w$]+)\b/.exec(line);
    if (declared !== null) {
      names.add(declared[1] ?? declared[2]!);
      continue;
    }
    const statement = /^(?:var|let|const) (.*)$/.exec(line);
    if (statement === null) continue;
    // The names of `var a = ..., b;` up to the first initializer, and of `var a, b, c;`.
    let depth = 0;
    let expectName = true;
    for (
      const token of statement[1]!.matchAll(
        /[\w$]+|[()[\]{}]|[,=;]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g,
      )
    ) {
      const text = token[0];
      if ("([{".includes(text)) depth++;
      else if (")]}".includes(text)) depth--;
      else if (depth === 0 && text === ",") expectName = true;
      else if (depth === 0 && text === "=") expectName = false;
      else if (depth === 0 && text === ";") break;
      else if (depth === 0 && expectName && /^[A-Za-z_$][\w$]*$/.test(text)) {
        names.add(text);
        expectName = false;
      }
    }
  }
  return names;
}

/** Every word of `code` that could be a name: more than it names, which only adds imports. */
function words(code: string): Set<string> {
  return new Set(code.match(/(?<![\w$])[A-Za-z_$][\w$]*/g) ?? []);
}

/**
 * Splits a single-file esbuild bundle (see the module doc).
 *
 * @param code the bundle
 * @param entryFile the entry module's file name, which the lazy module imports ("sample.js")
 * @param lazyFile the lazy module's file name, which the entry imports ("lazy.js")
 * @throws {Error} when the entry would still use a name that moved to the lazy module
 */
export function splitLazyModules(code: string, entryFile: string, lazyFile: string): SplitBundle {
  const lines = code.split("\n");
  const inits = new Map<string, { path: string; calls: Set<string> }>();
  const roots = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const top = TOP_INIT_CALL.exec(line);
    if (top !== null) roots.add(top[1]!);
    const init = INIT_START.exec(line);
    const path = /^ {2}"([^"\n]+)"\(\) \{$/.exec(lines[i + 1] ?? "");
    if (init === null || path === null) continue;
    const calls = new Set<string>();
    for (i += 2; i < lines.length && lines[i] !== "});"; i++) {
      for (const call of lines[i]!.matchAll(INIT_CALL)) calls.add(call[1]!);
    }
    inits.set(init[1]!, { path: path[1]!, calls });
  }
  const startup = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (startup.has(name)) continue;
    startup.add(name);
    pending.push(...(inits.get(name)?.calls ?? []));
  }
  const lazyPaths = new Set(
    [...inits].filter(([name]) => !startup.has(name)).map(([, init]) => init.path),
  );
  if (lazyPaths.size === 0) return { entry: code, lazy: undefined };

  const entryLines: string[] = [];
  const lazyLines: string[] = [];
  let lazy = false;
  for (const line of lines) {
    const module = MODULE_LINE.exec(line);
    if (module !== null) lazy = lazyPaths.has(module[1]!);
    (lazy ? lazyLines : entryLines).push(line);
  }
  const lazyNames = topLevelNames(lazyLines);
  const exported = new Set<string>();
  const entryCode = entryLines.join("\n").replace(RUN_PLUGIN, "if (import.meta.main) $1;").replace(
    LAZY_IMPORT,
    (match, init: string, namespace: string) => {
      if (!lazyNames.has(init) || !lazyNames.has(namespace)) return match;
      exported.add(init).add(namespace);
      return `import("./${lazyFile}").then((m) => (m.${init}(), m.${namespace}))`;
    },
  );
  // esbuild runs a module's initializer before any use of the module: an initializer or namespace
  // of a lazy module named anywhere but in a rewritten import() means the split went wrong.
  const stranded = [...words(entryCode.replaceAll(/\bm\.[\w$]+/g, ""))]
    .filter((name) =>
      lazyNames.has(name) && (name.startsWith("init_") || name.endsWith("_exports"))
    );
  if (stranded.length > 0 || exported.size === 0) {
    throw new Error(
      `the entry module still uses what moved to the lazy module: ${
        stranded.join(", ") || "import()"
      }`,
    );
  }
  const entryNames = topLevelNames(entryLines);
  const shared = [...words(lazyLines.join("\n"))]
    .filter((name) => entryNames.has(name) && !lazyNames.has(name));
  const entry = shared.length === 0
    ? entryCode
    : `${entryCode}\nexport { ${shared.map((name) => `${name} as ${alias(name)}`).join(", ")} };\n`;
  const imports = shared.length === 0
    ? ""
    : `import { ${
      shared.map((name) => `${alias(name)} as ${name}`).join(", ")
    } } from "./${entryFile}";\n`;
  return {
    entry,
    lazy: `${imports}${lazyLines.join("\n")}\nexport { ${[...exported].join(", ")} };\n`,
  };
}

/**
 * Where `code` awaits at its top level (outside every function), or undefined: an entry module
 * that does cannot have a lazy module (see the module doc). Looks for the word `await` outside
 * the function literals V8 found, so a top-level string holding the word counts too.
 *
 * @param code the entry module
 * @param ranges its function literals (scripts/_function_ranges.ts)
 */
export function topLevelAwait(
  code: string,
  ranges: readonly { start: number; end: number }[],
): number | undefined {
  for (const match of code.matchAll(/(?<![\w$.])await(?![\w$])/g)) {
    const at = match.index!;
    if (!ranges.some((range) => range.start <= at && at < range.end)) return at;
  }
  return undefined;
}
