/**
 * deno-host-local run as many processes at once, and next to Debian's Go host-local: concurrent
 * ADDs on one range never share an address (30 and 100 processes, and 100 split between the two
 * plugins), and each plugin waits for the other's `flock` of `<dataDir>/<network>/lock`.
 *
 * The processes start together, outside the process pool of tests/_process.ts, with
 * deno-host-local's plugins.json permissions. No root needed: the data directories are temporary.
 */
import assert from "node:assert/strict";
import { LeaseStore } from "../../lib/ipam/mod.ts";
import type { PluginRun } from "../_process.ts";
import {
  cniEnv,
  GO_HOST_LOCAL,
  type Invocation,
  runDenoNow,
  runGo,
  type Runner,
  runProgram,
  snapshot,
} from "./_host_local.ts";
import { isFile, onPath } from "./_netns.ts";

const goMissing = isFile(GO_HOST_LOCAL)
  ? undefined
  : `no ${GO_HOST_LOCAL} (apt-get install containernetworking-plugins)`;
if (goMissing !== undefined) {
  console.log(`host-local tests with the Go plugin skipped: ${goMissing}`);
}

function addInvocation(dataDir: string, containerId: string, subnet: string): Invocation {
  return {
    env: cniEnv("ADD", containerId, "eth0"),
    config: {
      cniVersion: "1.0.0",
      name: "busy",
      type: "bridge",
      ipam: { type: "host-local", subnet, dataDir },
    },
  };
}

function addressOf(run: PluginRun): string {
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const ips = (run.json as { ips?: { address: string }[] }).ips;
  assert.equal(ips?.length, 1, run.stdout);
  return ips![0]!.address;
}

/** Runs `count` ADDs at once (runner of each by `runnerOf`) and checks what they leased. */
async function concurrentAdds(count: number, runnerOf: (i: number) => Runner): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "dcni-host-local-busy-" });
  try {
    const runs = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const invocation = addInvocation(dataDir, `ctr${i}`, "10.77.0.0/24");
        return runnerOf(i) === "go" ? runGo(invocation) : runDenoNow(invocation);
      }),
    );
    const addresses = runs.map(addressOf);
    assert.equal(new Set(addresses).size, count, `duplicates among ${addresses.join(" ")}`);
    // Every lease file names the container that got its address.
    for (const [i, address] of addresses.entries()) {
      const ip = address.slice(0, address.indexOf("/"));
      assert.equal(await Deno.readTextFile(`${dataDir}/busy/${ip}`), `ctr${i}\r\neth0`);
    }
    const files = (await snapshot(`${dataDir}/busy`)).map((e) => e.path);
    assert.deepEqual(files.filter((f) => !/^10\./.test(f)), ["last_reserved_ip.0", "lock"]);
    assert.equal(files.length, count + 2, "no temporary file is left");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test({
  name: "concurrent deno-host-local ADDs on one range get distinct addresses",
  async fn(t) {
    for (const count of [30, 100]) {
      await t.step(`${count} processes`, () => concurrentAdds(count, () => "deno"));
    }
  },
});

Deno.test({
  name: "100 concurrent ADDs, half by the Go host-local, get distinct addresses",
  ignore: goMissing !== undefined,
  fn: () => concurrentAdds(100, (i) => (i % 2 === 0 ? "go" : "deno")),
});

Deno.test({
  name: "the Go host-local waits while deno-host-local's store holds the lock",
  ignore: goMissing !== undefined,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "dcni-host-local-lock-" });
    const store = await LeaseStore.open("busy", { dataDir });
    try {
      await store.lock();
      let done = false;
      const go = runGo(addInvocation(dataDir, "go1", "10.78.0.0/24")).finally(() => done = true);
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(done, false, "the Go plugin ran while the lock was held");
      assert.deepEqual(
        await Array.fromAsync(Deno.readDir(`${dataDir}/busy`)).then((e) => e.map((x) => x.name)),
        ["lock"],
      );
      await store.unlock();
      assert.equal(addressOf(await go), "10.78.0.2/24");
    } finally {
      store.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno-host-local waits while the Go host-local holds the lock",
  ignore: goMissing !== undefined || !onPath("strace"),
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "dcni-host-local-lock-" });
    try {
      // strace holds the Go plugin 1.5 s in its first flock(2), right after it took the lock.
      const invocation = addInvocation(dataDir, "go1", "10.79.0.0/24");
      const started = performance.now();
      const go = runProgram("strace", [
        "-f",
        "-o",
        "/dev/null",
        "-e",
        "trace=flock",
        "-e",
        "inject=flock:delay_exit=1500000:when=1",
        GO_HOST_LOCAL,
      ], invocation);
      // The Go plugin holds the lock once its lock file exists.
      while (!isFile(`${dataDir}/busy/lock`)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const ours = await runDenoNow(addInvocation(dataDir, "deno1", "10.79.0.0/24"));
      const oursAt = performance.now() - started;
      const goDone = await go;
      assert.equal(goDone.code, 0, goDone.stdout);
      // When the two exits are seen depends on the scheduler (and on strace's own exit); what
      // proves the wait is the time ours took and the address it got, after Go's.
      assert.ok(oursAt >= 1400, `deno-host-local finished at ${oursAt} ms, before the lock went`);
      assert.deepEqual([addressOf(goDone), addressOf(ours)], ["10.79.0.2/24", "10.79.0.3/24"]);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
