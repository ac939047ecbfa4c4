/**
 * `deno task record`: records every plugin invocation a runtime makes, for replay in tests. See
 * `deno task record --help` and docs/testing-plugins.md on recording.
 *
 * `--out DIR` makes DIR/bin/<name>, a wrapper for every plugin of CNI_PATH's directories (give
 * the runtime CNI_PATH=DIR/bin); each wrapper runs the recorder (`cli/_record/recorder.ts`,
 * bundled into DIR/recorder.js), which runs the real plugin unchanged and writes one record per
 * invocation to DIR/records. `--list DIR` shows a recording; `--extract N --from DIR --to FILE`
 * writes one invocation and its delegated calls as a fixture for `replay` (`./testing`).
 *
 * It needs `--allow-read`, `--allow-write` (the recording), `--allow-env` (CNI_PATH, INIT_CWD),
 * `--allow-run` (`deno bundle` of the recorder) and `--allow-sys=uid` (an existing recording
 * directory must be the user's own).
 *
 * @module
 */
import { moveToInitCwd } from "./_init_cwd.ts";
import { runRecord } from "./_record/main.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The recorder, bundled into one module: what every wrapper of a recording runs. */
async function bundleRecorder(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      `--config=${ROOT}/deno.json`,
      `${ROOT}/cli/_record/recorder.ts`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const why = new TextDecoder().decode(output.stderr).trim().split("\n")[0] ?? "";
    throw new Error(`bundling the recorder failed: ${why}`);
  }
  return new TextDecoder().decode(output.stdout);
}

function write(stream: { write(p: Uint8Array): Promise<number> }) {
  return async (text: string) => {
    let bytes = new TextEncoder().encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(await stream.write(bytes));
  };
}

if (import.meta.main) {
  moveToInitCwd();
  const status = await runRecord(Deno.args, {
    getenv: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    deno: Deno.execPath(),
    uid: Deno.uid(),
    bundleRecorder,
    stdout: write(Deno.stdout),
    stderr: write(Deno.stderr),
  });
  Deno.exit(status);
}
