/**
 * The plugins of this directory for conform's tests: one that follows the spec and four broken
 * ones, each with the checks it must fail (and must skip because of that), and launchers that
 * make them executables in a plugin directory.
 */
import type { CheckName } from "../../../cli/_conform/types.ts";

/** This directory, without a trailing slash. */
export const FAKE_DIR = new URL(".", import.meta.url).pathname.replace(/\/$/, "");

/** A plugin of this directory: `<name>.ts`, configured by `<name>.json` (type `<name>`). */
export interface FakePlugin {
  readonly name: string;
  /** What is wrong with it. */
  readonly defect: string;
  /** The checks it fails. */
  readonly fails: readonly CheckName[];
  /** The checks it leaves unrunnable. */
  readonly skips: readonly CheckName[];
}

/** The plugins, the one that follows the spec first. */
export const FAKE_PLUGINS: readonly FakePlugin[] = [
  { name: "good", defect: "none", fails: [], skips: [] },
  {
    name: "two_documents",
    defect: "prints a log object before its ADD result",
    fails: ["result", "stdout"],
    skips: ["check"],
  },
  {
    name: "del_once",
    defect: "DEL fails when there is nothing to delete",
    fails: ["del-again", "del-unknown"],
    skips: [],
  },
  { name: "leaky", defect: "DEL leaves the link ADD made", fails: ["cleanup"], skips: [] },
  {
    name: "bad_index",
    defect: "the result's IP points at interface 1 of 1",
    fails: ["result"],
    skips: [],
  },
];

/** The configuration file of plugin `name`. */
export function configPath(name: string): string {
  return `${FAKE_DIR}/${name}.json`;
}

const PLAIN_PATH = /^[A-Za-z0-9_./-]+$/;

/**
 * Writes an executable `<bin>/<name>` for each plugin: a shell launcher that runs `<name>.ts`
 * with this Deno (the paths go between single quotes, so they must be plain).
 */
export async function writeLaunchers(bin: string): Promise<void> {
  const deno = Deno.execPath();
  for (const path of [deno, FAKE_DIR, bin]) {
    if (!PLAIN_PATH.test(path)) throw new Error(`cannot write a launcher for ${path}`);
  }
  await Deno.mkdir(bin, { recursive: true });
  for (const { name } of FAKE_PLUGINS) {
    const launcher = `#!/bin/sh\nexec '${deno}' run --quiet --no-config --allow-env ` +
      `--allow-read --allow-write --allow-run '${FAKE_DIR}/${name}.ts'\n`;
    await Deno.writeTextFile(`${bin}/${name}`, launcher, { mode: 0o755 });
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
}
