/**
 * What cnitool and conform share for interrupts: the signals (the first one aborts, later ones
 * are only reported) and the plugins' process groups (what a run leaves is killed when it ends,
 * the running ones on an interrupt).
 */
import assert from "node:assert/strict";
import { denoHost } from "../../lib/host.ts";
import { type InterruptSignal, interruptStatus, onInterrupt } from "../../cli/_interrupt.ts";
import { PluginGroups } from "../../cli/_plugin_groups.ts";
import { groupGone, killGroup, waitFor } from "./_process_groups.ts";

Deno.test("onInterrupt() aborts on the first signal and only reports the later ones", () => {
  const handlers = new Map<InterruptSignal, () => void>();
  const reports: [InterruptSignal, boolean][] = [];
  const interrupt = onInterrupt(
    (signal, first) => void reports.push([signal, first]),
    (signal, handler) => void handlers.set(signal, handler),
  );
  assert.deepEqual([...handlers.keys()], ["SIGINT", "SIGTERM"]);
  assert.equal(interrupt.signal.aborted, false);
  assert.equal(interrupt.received(), undefined);
  handlers.get("SIGINT")!();
  assert.equal(interrupt.signal.aborted, true);
  handlers.get("SIGINT")!();
  handlers.get("SIGTERM")!();
  assert.deepEqual(reports, [["SIGINT", true], ["SIGINT", false], ["SIGTERM", false]]);
  assert.equal(interrupt.received(), "SIGINT");
  assert.deepEqual([interruptStatus("SIGINT"), interruptStatus("SIGTERM")], [130, 143]);
});

/** A program that writes its process ID into `file`, then runs `then`. */
function recorder(file: string, then: string): [string, string[]] {
  return ["/bin/sh", ["-c", `echo $$ > "$1"; ${then}`, "sh", file]];
}

async function recorded(file: string): Promise<number> {
  return await waitFor("the program's process ID", async () => {
    const text = await Deno.readTextFile(file);
    return text.endsWith("\n") ? Number(text) : undefined;
  });
}

Deno.test("PluginGroups kills what a program leaves in its group when its run ends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-groups-" });
  const groups = new PluginGroups(denoHost());
  const [program, args] = recorder(`${dir}/pid`, "sleep 60 </dev/null >/dev/null 2>&1 &");
  const output = await groups.host.run(program, args, { timeoutMs: 60_000 });
  const pgid = await recorded(`${dir}/pid`);
  try {
    assert.equal(output.code, 0);
    assert.deepEqual(await groupGone(pgid), []);
  } finally {
    killGroup(pgid);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PluginGroups.stop() kills the running programs and starts no more until the cleanup", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dcni-groups-" });
  const groups = new PluginGroups(denoHost());
  const [program, args] = recorder(`${dir}/pid`, "exec sleep 120");
  let started: number | undefined;
  const running = groups.host.run(program, args, {
    timeoutMs: 600_000,
    onStart: (pid) => (started = pid),
  });
  const pgid = await recorded(`${dir}/pid`);
  try {
    assert.equal(started, pgid);
    groups.stop();
    assert.equal(groups.stopped, true);
    const output = await running;
    assert.equal(output.signal, "SIGKILL");
    assert.deepEqual(await groupGone(pgid), []);
    await assert.rejects(
      groups.host.run("/bin/true", [], { timeoutMs: 60_000 }),
      { message: "interrupted: no more plugins are run" },
    );
    groups.cleaningUp();
    assert.equal(groups.stopped, false);
    // The cleanup's runs are not stopped.
    groups.stop();
    const after = await groups.host.run("/bin/sh", ["-c", "echo ran"], { timeoutMs: 60_000 });
    assert.deepEqual([after.code, after.stdout], [0, "ran\n"]);
  } finally {
    killGroup(pgid);
    await running.catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
