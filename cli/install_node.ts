/**
 * install-node: installs deno-cni plugins into a node's plugin directory and can chain one into
 * the network its runtime uses; `--uninstall` undoes both. `deno task install-node --help` lists
 * the options (cli/_install/options.ts); the work is done by cli/_install/mod.ts.
 *
 * Exit status: 0 when everything asked for is done, 1 when something failed or was refused,
 * 2 for a bad command line (nothing is touched then).
 */
import { join } from "node:path";
import { buildEntry, parseSetPairs, readEntryFile } from "./_install/entry.ts";
import { messageOf, UsageError } from "./_install/errors.ts";
import {
  chainPlugin,
  type CliOptions,
  installPlugins,
  joinReports,
  parseOptions,
  type Report,
  uninstall,
  usage,
} from "./_install/mod.ts";
import { checkPluginNames, readPluginNames } from "./_install/names.ts";

/** Where the command writes: action lines to `out`, errors and usage to `err`. */
export interface Console {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const standard: Console = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Runs the command; returns its exit status. */
export async function main(args: readonly string[], io: Console = standard): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    io.err(`install-node: ${messageOf(error)}`);
    io.err(`Run "install-node --help" for the options`);
    return 2;
  }
  if (options.help) {
    io.out(usage());
    return 0;
  }
  let report: Report;
  try {
    report = options.uninstall ? await runUninstall(options, io) : await runInstall(options, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`install-node: ${error.message}`);
    return 2;
  }
  for (const message of report.errors) io.err(`install-node: ${message}`);
  return report.ok ? 0 : 1;
}

function runUninstall(options: CliOptions, io: Console): Promise<Report> {
  return uninstall({
    binDir: options.binDir,
    confDir: options.confDir,
    manifest: options.manifest,
    plugins: options.plugins,
    force: options.force,
    dryRun: options.dryRun,
    onLine: io.out,
  });
}

async function runInstall(options: CliOptions, io: Console): Promise<Report> {
  const chain = options.chain;
  const names = chain === undefined ? [...options.plugins] : [...options.plugins, chain];
  // Everything is checked before anything is touched.
  checkPluginNames(names, readPluginNames(options.manifest), options.manifest);
  const entry = chain === undefined ? undefined : buildEntry(
    chain,
    options.entryFile === undefined ? {} : readEntryFile(options.entryFile, chain),
    parseSetPairs(options.set),
  );
  const installed = await installPlugins({
    plugins: names,
    binDir: options.binDir,
    from: options.from,
    manifest: options.manifest,
    force: options.force,
    dryRun: options.dryRun,
    onLine: io.out,
  });
  if (chain === undefined || entry === undefined) return installed;
  const target = join(options.binDir, chain);
  if (
    installed.errors.length > 0 || installed.actions.some((a) => a.failed && a.subject === target)
  ) {
    return joinReports([installed, {
      actions: [],
      lines: [],
      errors: [`Not chaining ${chain}: ${target} is not deno-cni's build`],
      ok: false,
    }]);
  }
  const chained = await chainPlugin({
    plugin: chain,
    binDir: options.binDir,
    confDir: options.confDir,
    manifest: options.manifest,
    entry,
    force: options.force,
    dryRun: options.dryRun,
    // A dry run installed nothing: ask the build, whose bytes the plugin directory would hold.
    ...(options.dryRun ? { versionFrom: join(options.from, chain) } : {}),
    onLine: io.out,
  });
  return joinReports([installed, chained]);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
