/**
 * `deno task record`: makes a recording's wrappers, lists a recording, extracts one invocation
 * as a test fixture. The process is behind {@link RecordIo}.
 *
 * @module
 */
import { absPath } from "../../lib/_paths.ts";
import { extractInvocation, loadRecording } from "../../lib/_recording.ts";
import { formatListing } from "./list.ts";
import { createPrivateFile, writePrivateFile } from "./private_files.ts";
import { prepareRecording, RecordSetupError } from "./wrappers.ts";

/** The help text. */
export const USAGE = `usage: deno task record --out DIR [--cni-path PATH]
       deno task record --list DIR
       deno task record --extract N --from DIR [--to FILE] [--force]

  --out DIR         make DIR/bin/<name>, a wrapper for every plugin of the directories of
                    PATH, and print the CNI_PATH to give the runtime (DIR/bin). Each wrapper
                    runs its plugin unchanged and writes one record per invocation to
                    DIR/records (delegated calls nested under their caller).
  --cni-path PATH   the plugin directories, ":"-separated (default: $CNI_PATH)
  --list DIR        the recorded invocations, numbered in start order
  --extract N       invocation N (its number from --list, or its id) and the calls it
                    delegated, as one file for replay() in a test
  --from DIR        the recording to extract from
  --to FILE         where to write it (mode 0600; an existing file only with --force);
                    default: stdout
  -h, --help        this text

Records hold what the plugins were sent, secrets from the configurations included: the
directory is 0700 and every record 0600. Review an extracted file before committing it.
`;

/** Everything the command takes from its process. */
export interface RecordIo {
  /** An environment variable; undefined when unset. */
  readonly getenv: (name: string) => string | undefined;
  /** The directory relative paths are taken from. */
  readonly cwd: string;
  /** The Deno executable the wrappers run. */
  readonly deno: string;
  /** This process's user ID, or null when unknown. */
  readonly uid: number | null;
  /** The recorder's code, bundled. */
  readonly bundleRecorder: () => Promise<string>;
  readonly stdout: (text: string) => Promise<void>;
  readonly stderr: (text: string) => Promise<void>;
}

class UsageError extends Error {}

interface Options {
  out?: string;
  cniPath?: string;
  list?: string;
  extract?: string;
  from?: string;
  to?: string;
  force: boolean;
  help: boolean;
}

const VALUED: Readonly<Record<string, keyof Options>> = {
  "--out": "out",
  "--cni-path": "cniPath",
  "--list": "list",
  "--extract": "extract",
  "--from": "from",
  "--to": "to",
};

function parseArgs(args: readonly string[]): Options {
  const options: Options = { force: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-h" || arg === "--help") {
      options.help = true;
      continue;
    }
    if (arg === "--force") {
      options.force = true;
      continue;
    }
    const [flag = "", inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const key = VALUED[flag];
    if (key === undefined) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    const value = inline ?? args[++i];
    if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
    if (options[key] !== undefined) throw new UsageError(`${flag} given twice`);
    (options as unknown as Record<string, string>)[key] = value;
  }
  const actions = [options.out, options.list, options.extract].filter((a) => a !== undefined);
  if (!options.help && actions.length !== 1) {
    throw new UsageError("give one of --out, --list and --extract");
  }
  if (options.cniPath !== undefined && options.out === undefined) {
    throw new UsageError("--cni-path goes with --out");
  }
  const extracting = options.extract !== undefined;
  if (!extracting && (options.from ?? options.to) !== undefined) {
    throw new UsageError("--from and --to go with --extract");
  }
  if (!extracting && options.force) throw new UsageError("--force goes with --extract --to");
  if (extracting && options.from === undefined) throw new UsageError("--extract needs --from DIR");
  return options;
}

function which(text: string): number | string {
  return /^[0-9]+$/.test(text) ? Number(text) : text;
}

async function out(io: RecordIo, options: Options & { out: string }): Promise<number> {
  const cniPath = options.cniPath ?? io.getenv("CNI_PATH") ?? "";
  if (cniPath === "") {
    throw new UsageError("no plugin directories: give --cni-path or set CNI_PATH");
  }
  const prepared = await prepareRecording({
    out: options.out,
    cniPath,
    cwd: io.cwd,
    deno: io.deno,
    recorder: await io.bundleRecorder(),
    uid: io.uid,
  });
  for (const line of prepared.skipped) await io.stderr(`record: skipped ${line}\n`);
  await io.stderr(
    `record: ${prepared.wrapped.length} wrappers in ${prepared.binDir} ` +
      `(${prepared.wrapped.map((w) => w.name).join(", ")}); records go to ` +
      `${prepared.recordsDir}, readable by their owner only: they hold what the plugins are ` +
      "sent, secrets included\n" +
      `record: give the runtime CNI_PATH=${prepared.binDir}\n`,
  );
  await io.stdout(`${prepared.binDir}\n`);
  return 0;
}

async function extract(
  io: RecordIo,
  options: Options & { extract: string; from: string },
): Promise<number> {
  const records = await loadRecording(absPath(options.from, io.cwd));
  const file = extractInvocation(records, which(options.extract));
  const text = JSON.stringify(file, null, 2) + "\n";
  if (options.to === undefined) {
    await io.stdout(text);
    return 0;
  }
  const target = absPath(options.to, io.cwd);
  if (options.force) {
    await writePrivateFile(target, text);
  } else {
    try {
      await createPrivateFile(target, text);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      throw new Error(`${JSON.stringify(options.to)} exists: add --force to replace it`);
    }
  }
  const top = file.invocations[0];
  await io.stderr(
    `record: wrote ${top?.plugin} ${top?.verb} and ${file.invocations.length - 1} delegated ` +
      `call${file.invocations.length === 2 ? "" : "s"} to ${target} (mode 0600); review it for ` +
      "secrets before committing it\n",
  );
  return 0;
}

/**
 * Runs `deno task record` with these arguments.
 *
 * @returns the exit status: 0 done, 1 failed, 2 bad usage
 */
export async function runRecord(args: readonly string[], io: RecordIo): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(args);
    if (options.help) {
      await io.stdout(USAGE);
      return 0;
    }
    if (options.out !== undefined) return await out(io, { ...options, out: options.out });
    if (options.list !== undefined) {
      await io.stdout(formatListing(await loadRecording(absPath(options.list, io.cwd))));
      return 0;
    }
    return await extract(io, {
      ...options,
      extract: options.extract ?? "",
      from: options.from ?? "",
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await io.stderr(`record: ${message}\n`);
    if (error instanceof UsageError || error instanceof RecordSetupError) {
      if (error instanceof UsageError) await io.stderr(USAGE);
      return 2;
    }
    return 1;
  }
}
