/**
 * Delegation in a real process: deno-ptp, with its baked-in permissions, runs fake IPAM plugins
 * (small scripts in a temporary CNI_PATH) that misbehave. The verb must fail within the time
 * limit when the delegate's children keep its pipes open, quote at most 1 KiB of a delegate's
 * garbage, and release the delegate's allocation when anything fails after its ADD, even when
 * stderr cannot be written. None of these cases reaches a namespace, so none needs root.
 */
import assert from "node:assert/strict";
import { assertWellBehaved, runPlugin } from "./_process.ts";

const CONFIG = JSON.stringify({
  cniVersion: "1.0.0",
  name: "delegation-test",
  type: "deno-ptp",
  ipam: { type: "fake-ipam" },
});

/** A temporary CNI_PATH with one executable script as the IPAM plugin. */
function withIpam(script: string): { dir: string; log: string } {
  const dir = Deno.makeTempDirSync({ prefix: "dcni-delegation-" });
  const log = `${dir}/calls.log`;
  Deno.writeTextFileSync(`${dir}/fake-ipam`, script.replaceAll("@LOG@", log), { mode: 0o755 });
  return { dir, log };
}

function env(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "c1",
    CNI_NETNS: "/nonexistent/netns",
    CNI_IFNAME: "eth0",
    CNI_PATH: dir,
    ...extra,
  };
}

Deno.test("deno-ptp: the delegate time limit holds when the delegate's children keep its pipes", async () => {
  const { dir } = withIpam("#!/bin/sh\n/bin/sleep 30 &\n/bin/sleep 30\n");
  try {
    const started = performance.now();
    const run = await runPlugin("deno-ptp", {
      env: env(dir, { DENO_CNI_TIMEOUT_MS: "500" }),
      stdin: CONFIG,
    });
    const elapsed = performance.now() - started;
    assertWellBehaved(run);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(run.json, {
      code: 0,
      msg: "netplugin failed with no error message: signal: killed (time limit of 500 ms reached)",
    });
    assert.ok(elapsed < 5000, `failed within the limit, not after ${Math.round(elapsed)} ms`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno-ptp: 20 MB of delegate garbage is quoted as 1 KiB and what was cut", async () => {
  const { dir } = withIpam(
    "#!/bin/sh\n/usr/bin/head -c 20000000 /dev/zero | /usr/bin/tr '\\0' 'x'\nexit 1\n",
  );
  try {
    const run = await runPlugin("deno-ptp", { env: env(dir), stdin: CONFIG });
    assertWellBehaved(run);
    assert.equal(run.code, 1);
    const error = run.json as { code: number; msg: string };
    assert.equal(error.code, 0);
    assert.ok(error.msg.length < 2048, `a short message, not ${error.msg.length} characters`);
    assert.match(
      error.msg,
      /^netplugin failed but error parsing its diagnostic message "x{1024}" \(19998976 more bytes cut\): /,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno-ptp: a failure after the IPAM ADD releases it, even with stderr closed", async (t) => {
  // The IPAM plugin logs each verb, answers ADD with an address and writes to stderr; the
  // namespace does not exist, so ptp fails after the IPAM ADD and must run the IPAM DEL.
  const script = `#!/bin/sh
echo "$CNI_COMMAND" >> @LOG@
echo "ipam says hello on stderr" >&2
if [ "$CNI_COMMAND" = ADD ]; then
  printf '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/24","gateway":"10.9.0.1"}]}'
fi
`;
  for (const stderr of ["piped", "closed", "full"] as const) {
    await t.step(`stderr ${stderr}`, async () => {
      const { dir, log } = withIpam(script);
      try {
        const run = await runPlugin("deno-ptp", { env: env(dir), stdin: CONFIG, stderr });
        assertWellBehaved(run);
        assert.equal(run.code, 1);
        const error = run.json as { code: number; msg: string };
        assert.match(
          error.msg,
          /netns|nonexistent/,
          "the failure is the namespace's, not stderr's",
        );
        assert.equal(Deno.readTextFileSync(log), "ADD\nDEL\n", "the allocation was released");
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
});
