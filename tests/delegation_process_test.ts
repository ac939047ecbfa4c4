/**
 * Delegation in a real process: deno-ptp, with its baked-in permissions, runs fake IPAM plugins
 * (small scripts in a temporary CNI_PATH) that misbehave. The verb must fail within the time
 * limit when the delegate's children keep its pipes open, quote at most 1 KiB of a delegate's
 * garbage, and release the delegate's allocation when anything fails after its ADD (even when
 * stderr cannot be written) and when the ADD itself is killed at the time limit. A time limit
 * beyond what a timer holds is refused, and a CNI_IFNAME that is not UTF-8 stops the verb before
 * anything runs. None of these cases reaches a namespace, so none needs root.
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

Deno.test("deno-ptp: a DENO_CNI_TIMEOUT_MS beyond a timer is refused, not a 1 ms limit", async (t) => {
  // A timer holds at most 2^31 - 1 ms: a longer limit used to fire at once and kill every
  // delegate, so that every ADD and DEL failed. Now the variable is refused with a warning and
  // the default limit holds. The IPAM plugin takes a moment, and its ADD returns no address, so
  // that ptp fails before it touches the host and releases the IPAM ADD.
  const script = `#!/bin/sh
echo "$CNI_COMMAND" >> @LOG@
/bin/sleep 0.3
if [ "$CNI_COMMAND" = ADD ]; then printf '{"cniVersion":"1.0.0","ips":[]}'; fi
`;
  const warning = 'deno-ptp %VERB%: warn: ignored: DENO_CNI_TIMEOUT_MS="4294967296" is more ' +
    "than the longest time limit, 2147483647 ms; the limit is 60000 ms\n";
  await t.step("ADD reaches the IPAM plugin's answer and releases it", async () => {
    const { dir, log } = withIpam(script);
    try {
      const run = await runPlugin("deno-ptp", {
        env: env(dir, { DENO_CNI_TIMEOUT_MS: "4294967296" }),
        stdin: CONFIG,
      });
      assertWellBehaved(run);
      assert.equal(run.code, 1);
      assert.deepEqual(run.json, { code: 999, msg: "IPAM plugin returned missing IP config" });
      assert.equal(run.stderr, warning.replace("%VERB%", "ADD"));
      assert.equal(Deno.readTextFileSync(log), "ADD\nDEL\n");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
  await t.step("DEL succeeds", async () => {
    const { dir, log } = withIpam(script);
    try {
      const run = await runPlugin("deno-ptp", {
        env: { ...env(dir, { DENO_CNI_TIMEOUT_MS: "4294967296", CNI_COMMAND: "DEL" }) },
        stdin: CONFIG,
      });
      assertWellBehaved(run);
      assert.equal(run.code, 0, run.stdout);
      assert.equal(run.stdout, "");
      assert.equal(run.stderr, warning.replace("%VERB%", "DEL"));
      assert.equal(Deno.readTextFileSync(log), "DEL\n");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
});

Deno.test("deno-ptp: an IPAM ADD that reserves and then hangs is killed and released", async () => {
  const { dir, log } = withIpam(`#!/bin/sh
echo "$CNI_COMMAND" >> @LOG@
case "$CNI_COMMAND" in
ADD) echo "$CNI_CONTAINERID" > @LOG@.reserved; exec /bin/sleep 30 ;;
DEL) /bin/rm -f @LOG@.reserved ;;
esac
`);
  try {
    const run = await runPlugin("deno-ptp", {
      env: env(dir, { DENO_CNI_TIMEOUT_MS: "500" }),
      stdin: CONFIG,
    });
    assertWellBehaved(run);
    assert.equal(run.code, 1);
    assert.deepEqual(run.json, {
      code: 0,
      msg: "netplugin failed with no error message: signal: killed (time limit of 500 ms reached)",
    });
    assert.equal(Deno.readTextFileSync(log), "ADD\nDEL\n");
    assert.throws(() => Deno.statSync(`${log}.reserved`), Deno.errors.NotFound);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("deno-ptp: a CNI_IFNAME that is not UTF-8 is refused before anything runs", async (t) => {
  const script = '#!/bin/sh\necho "$CNI_COMMAND" >> @LOG@\nprintf \'{"cniVersion":"1.0.0"}\'\n';
  const bytes = (text: string, ...raw: number[]) =>
    Uint8Array.from([...new TextEncoder().encode(text), ...raw]);
  // "a\xffb" and "a\xfeb" would both be "a\ufffdb" as text: neither may reach a program.
  for (
    const [name, ifName] of [["a\\xffb", bytes("a", 0xff, 0x62)], [
      "a\\xfeb",
      bytes("a", 0xfe, 0x62),
    ]] as const
  ) {
    await t.step(`CNI_IFNAME "${name}"`, async () => {
      const { dir, log } = withIpam(script);
      try {
        const run = await runPlugin("deno-ptp", {
          env: { ...env(dir), CNI_IFNAME: ifName },
          stdin: CONFIG,
        });
        assertWellBehaved(run);
        assert.equal(run.code, 1);
        assert.deepEqual(run.json, {
          code: 4,
          msg: "CNI_IFNAME is not UTF-8",
          details: `"${name}"`,
        });
        assert.throws(() => Deno.statSync(log), Deno.errors.NotFound, "the IPAM plugin never ran");
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
});
