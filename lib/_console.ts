/**
 * Redirection of the global console: every method that prints, including those that Deno sends
 * to stdout (`log`, `info`, `debug`, `dir`, `dirxml`, `table`, `count`, `timeLog`, `timeEnd`), is
 * replaced by one that writes a line through a given function. stdout belongs to the protocol, so
 * a plugin sends console output to stderr; the test harness collects it instead.
 */

/** The console methods that are replaced, so a restore puts back exactly these. */
const METHODS = [
  "log",
  "info",
  "debug",
  "warn",
  "error",
  "trace",
  "dir",
  "dirxml",
  "table",
  "assert",
  "count",
  "countReset",
  "group",
  "groupCollapsed",
  "groupEnd",
  "time",
  "timeLog",
  "timeEnd",
] as const;

type Method = typeof METHODS[number];

function inspect(value: unknown): string {
  return Deno.inspect(value, { colors: false, depth: 4 });
}

/**
 * Formats console arguments as the console does: a leading string may hold `%s`, `%d`, `%i`,
 * `%f`, `%o`, `%O`, `%c` and `%%`; other strings print as they are, other values inspected.
 */
export function formatConsoleArgs(args: readonly unknown[]): string {
  const rest = [...args];
  const parts: string[] = [];
  if (typeof rest[0] === "string" && rest.length > 1) {
    const format = rest.shift() as string;
    parts.push(format.replace(/%([sdifoOc%])/g, (match, kind: string) => {
      if (kind === "%") return "%";
      if (rest.length === 0) return match;
      const value = rest.shift();
      switch (kind) {
        case "s":
          return typeof value === "string" ? value : inspect(value);
        case "d":
        case "i":
          return typeof value === "symbol" ? "NaN" : String(Math.trunc(Number(value)));
        case "f":
          return typeof value === "symbol" ? "NaN" : String(Number(value));
        case "c":
          return "";
        default:
          return inspect(value);
      }
    }));
  }
  for (const value of rest) parts.push(typeof value === "string" ? value : inspect(value));
  return parts.join(" ");
}

/**
 * Sends every printing console method to `write`, one call per line group with a final newline.
 *
 * @returns a function that puts the original methods back
 */
export function redirectConsole(write: (text: string) => void): () => void {
  const original = new Map<Method, unknown>();
  for (const method of METHODS) original.set(method, console[method]);
  let indent = "";
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  const print = (...data: unknown[]) => {
    const text = formatConsoleArgs(data);
    write(text.split("\n").map((line) => indent + line).join("\n") + "\n");
  };
  const elapsed = (label: string, end: boolean, data: unknown[]) => {
    const start = timers.get(label);
    if (start === undefined) {
      print(`Warning: Timer '${label}' does not exist`);
      return;
    }
    if (end) timers.delete(label);
    print(`${label}: ${(performance.now() - start).toFixed(3)}ms`, ...data);
  };
  const replacements: Record<Method, (...data: never[]) => void> = {
    log: print,
    info: print,
    debug: print,
    warn: print,
    error: print,
    trace: (...data: unknown[]) => {
      const stack = new Error().stack?.split("\n").slice(2).join("\n") ?? "";
      print(`Trace${data.length ? `: ${formatConsoleArgs(data)}` : ""}\n${stack}`);
    },
    dir: (item: unknown) => print(inspect(item)),
    dirxml: print,
    table: (data: unknown) => print(inspect(data)),
    assert: (condition: unknown, ...data: unknown[]) => {
      if (condition) return;
      print(data.length ? `Assertion failed: ${formatConsoleArgs(data)}` : "Assertion failed");
    },
    count: (label = "default") => {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      print(`${label}: ${n}`);
    },
    countReset: (label = "default") => void counts.delete(label),
    group: (...label: unknown[]) => {
      if (label.length) print(...label);
      indent += "  ";
    },
    groupCollapsed: (...label: unknown[]) => {
      if (label.length) print(...label);
      indent += "  ";
    },
    groupEnd: () => void (indent = indent.slice(2)),
    time: (label = "default") => void timers.set(label, performance.now()),
    timeLog: (label = "default", ...data: unknown[]) => elapsed(label, false, data),
    timeEnd: (label = "default") => elapsed(label, true, []),
  };
  Object.assign(console, replacements);
  return () => {
    for (const [method, fn] of original) Object.assign(console, { [method]: fn });
  };
}
