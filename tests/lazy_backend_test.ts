/**
 * lib/_lazy_backend.ts and the toolkit's prepare(): a lazy backend loads on its first use, once,
 * prepare() loads it and readies what it loaded without changing anything, and never fails: a
 * backend that cannot be loaded or prepared is the first operation's error. No root needed.
 */
import assert from "node:assert/strict";
import { lazyBackend, type Preparable, prepareOps } from "../lib/_lazy_backend.ts";
import type { NamespaceOps, NetnsBackend } from "../lib/net_backend.ts";
import { netns } from "../lib/netns.ts";
import { fakeHost, modelKernel } from "../lib/testing.ts";

/** A loaded backend whose operations count their prepare() calls and list their links. */
function countingBackend(options: { prepareFails?: boolean } = {}) {
  const calls = { load: 0, open: 0, prepare: 0, links: 0 };
  const backend: NetnsBackend = {
    kind: "netlink",
    open() {
      calls.open++;
      const ops: Partial<NamespaceOps> & Preparable = {
        prepare() {
          calls.prepare++;
          return options.prepareFails
            ? Promise.reject(new Error("the namespace is gone"))
            : Promise.resolve();
        },
        links() {
          calls.links++;
          return Promise.resolve([]);
        },
      };
      return ops as NamespaceOps;
    },
  };
  const lazy = lazyBackend("netlink", () => {
    calls.load++;
    return Promise.resolve(backend);
  });
  return { calls, lazy };
}

Deno.test("a lazy backend's prepare() loads it once and prepares what it loaded", async (t) => {
  await t.step("open() loads nothing; prepare() loads and prepares", async () => {
    const { calls, lazy } = countingBackend();
    const ops = lazy.open("/var/run/netns/c1");
    assert.deepEqual(calls, { load: 0, open: 0, prepare: 0, links: 0 });
    await prepareOps(ops);
    assert.deepEqual(calls, { load: 1, open: 1, prepare: 1, links: 0 });
    assert.deepEqual(await ops.links(), []);
    assert.deepEqual(calls, { load: 1, open: 1, prepare: 1, links: 1 });
  });
  await t.step("two namespaces share one load, each prepared", async () => {
    const { calls, lazy } = countingBackend();
    await Promise.all([prepareOps(lazy.open("/a")), prepareOps(lazy.open("/b"))]);
    assert.deepEqual(calls, { load: 1, open: 2, prepare: 2, links: 0 });
  });
  await t.step("a prepare() that fails is not the caller's error", async () => {
    const { calls, lazy } = countingBackend({ prepareFails: true });
    const ops = lazy.open("/gone");
    await prepareOps(ops);
    assert.equal(calls.prepare, 1);
  });
  await t.step("a load that fails: prepare() resolves, the first operation fails", async () => {
    const lazy = lazyBackend("netlink", () => Promise.reject(new Error("no C library")));
    const ops = lazy.open(undefined);
    await prepareOps(ops);
    await assert.rejects(ops.links(), /no C library/);
  });
  await t.step("operations without prepare() are left as they are", async () => {
    const ops = { links: () => Promise.resolve([]) } as unknown as NamespaceOps;
    await prepareOps(ops);
  });
});

Deno.test("the toolkit's prepare() changes nothing, and never fails", async (t) => {
  await t.step("on the model kernel: no operation at all", async () => {
    const kernel = modelKernel();
    kernel.addNamespace("/var/run/netns/c1");
    const host = fakeHost({ kernel });
    await netns("/var/run/netns/c1", { host }).prepare();
    await netns(undefined, { host }).prepare();
    assert.deepEqual(kernel.log, []);
  });
  await t.step("a namespace that is missing is the first operation's error", async () => {
    const kernel = modelKernel();
    const host = fakeHost({ kernel });
    const gone = netns("/var/run/netns/gone", { host });
    await gone.prepare();
    await assert.rejects(gone.links());
  });
  await t.step("a backend that cannot be loaded is the first operation's error", async () => {
    const backend = lazyBackend("netlink", () => Promise.reject(new Error("no C library")));
    const toolkit = netns(undefined, { host: fakeHost(), backend });
    await toolkit.prepare();
    await assert.rejects(toolkit.links(), /no C library/);
  });
});
