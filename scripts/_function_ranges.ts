/**
 * Where each function literal of a bundle starts and ends, as V8's own parser sees it, for
 * scripts/_eager.ts. The modules are loaded once in a throwaway Deno with every function compiled
 * at once (`--no-lazy`) and V8's function events logged (`--log-function-events`): each compiled
 * function is logged with its script and its source range. Nothing is parsed here, so no guess
 * about the syntax can be wrong.
 *
 * The modules are evaluated too (a module is compiled when it is imported): the run has no
 * permissions, and a module that throws is still compiled, so its ranges are there.
 */
import { RUN_FLAGS } from "./manifest.ts";

/** One function literal: its source range [start, end) and the name V8 gives it. */
export interface FunctionRange {
  start: number;
  end: number;
  name: string;
}

/** The V8 events that report a function compiled, with its range. */
const COMPILE_EVENTS = new Set(["parse", "full-parse", "parse-function", "preparse-resolution"]);

/**
 * Reads V8's log: `script-details,<id>,<url>,...` names each script, and
 * `function,<event>,<script id>,<start>,<end>,<ms>,<timestamp>,<name>` reports a function.
 *
 * @param log the log text
 * @param urls the module URLs whose functions are wanted
 * @returns the functions of each URL, in source order, each range once
 */
export function parseFunctionEvents(
  log: string,
  urls: readonly string[],
): Map<string, FunctionRange[]> {
  const wanted = new Set(urls);
  const scripts = new Map<string, string>();
  const found = new Map<string, Map<string, FunctionRange>>(urls.map((url) => [url, new Map()]));
  for (const line of log.split("\n")) {
    if (line.startsWith("script-details,")) {
      const [, id = "", url = ""] = line.split(",");
      if (wanted.has(url)) scripts.set(id, url);
      continue;
    }
    if (!line.startsWith("function,")) continue;
    const [, event = "", id = "", start = "", end = "", , , ...name] = line.split(",");
    const url = scripts.get(id);
    if (url === undefined || !COMPILE_EVENTS.has(event)) continue;
    const range = { start: Number(start), end: Number(end), name: name.join(",") };
    if (!(range.end > range.start)) continue;
    const key = `${range.start},${range.end}`;
    if (!found.get(url)!.has(key)) found.get(url)!.set(key, range);
  }
  return new Map(
    [...found].map((
      [url, ranges],
    ) => [url, [...ranges.values()].sort((a, b) => a.start - b.start)]),
  );
}

/**
 * The function literals of each module file, from V8.
 *
 * @param paths absolute paths of the modules
 * @returns each path's functions
 * @throws {Error} when Deno fails to run or reports no function of a module that has some
 */
export async function functionRanges(
  paths: readonly string[],
): Promise<Map<string, FunctionRange[]>> {
  const dir = Deno.makeTempDirSync({ prefix: "deno-cni-ranges-" });
  try {
    const urls = paths.map((path) => new URL(`file://${path}`).href);
    const driver = `${dir}/driver.js`;
    Deno.writeTextFileSync(
      driver,
      urls.map((url) => `try { await import(${JSON.stringify(url)}); } catch { /* compiled */ }\n`)
        .join(""),
    );
    const log = `${dir}/v8.log`;
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...RUN_FLAGS,
        `--allow-read=${paths.join(",")}`,
        `--v8-flags=--no-lazy,--log-function-events,--logfile=${log},--no-logfile-per-isolate`,
        driver,
      ],
      env: { DENO_DIR: `${dir}/deno-dir`, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(
        `reading the function ranges failed: ${new TextDecoder().decode(output.stderr).trim()}`,
      );
    }
    const ranges = parseFunctionEvents(Deno.readTextFileSync(log), urls);
    return new Map(paths.map((path, i) => {
      const found = ranges.get(urls[i]!)!;
      if (found.length === 0 && /\bfunction\b|=>/.test(Deno.readTextFileSync(path))) {
        throw new Error(`V8 reported no function of ${path}: its log format may have changed`);
      }
      return [path, found];
    }));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
