import assert from "node:assert/strict";
import { formatIp, parseIp } from "../../lib/ip_math.ts";
import { LeaseStore, readLeases, StoreError } from "../../lib/ipam/store.ts";

/** Runs `fn` with a store of network "net1" in a fresh data directory, removed afterwards. */
async function withStore(fn: (store: LeaseStore, dir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "dcni-store-test-" });
  const store = await LeaseStore.open("net1", { dataDir });
  try {
    await fn(store, `${dataDir}/net1`);
  } finally {
    store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

function mode(path: string): string {
  return ((Deno.statSync(path).mode ?? 0) & 0o777).toString(8);
}

const ip = (text: string) => parseIp(text)!;

Deno.test("LeaseStore.open()", async (t) => {
  await t.step("makes the network's directory (0755) and an empty lock file (0750)", async () => {
    await withStore(async (_store, dir) => {
      assert.deepEqual(await names(dir), ["lock"]);
      const umask = Deno.umask();
      assert.equal(mode(dir), (0o755 & ~umask).toString(8));
      assert.equal(mode(`${dir}/lock`), (0o750 & ~umask).toString(8));
      assert.equal(Deno.statSync(`${dir}/lock`).size, 0);
    });
  });
  await t.step("opens an existing lock file as it is", async () => {
    await withStore(async (_store, dir) => {
      await Deno.chmod(`${dir}/lock`, 0o600);
      const again = await LeaseStore.open("net1", { dataDir: dir.slice(0, -"/net1".length) });
      again.close();
      assert.equal(mode(`${dir}/lock`), "600");
    });
  });
  await t.step("refuses a network name that is not one path component", async () => {
    for (const name of ["", ".", "..", "a/b"]) {
      await assert.rejects(() => LeaseStore.open(name, { dataDir: "/nonexistent" }), {
        message: `invalid network name ${JSON.stringify(name)}`,
      });
    }
  });
  await t.step("words a directory it cannot make as Go does", async () => {
    const file = await Deno.makeTempFile();
    try {
      await assert.rejects(
        () => LeaseStore.open("net1", { dataDir: file }),
        (error) =>
          error instanceof StoreError &&
          error.message === `mkdir ${file}/net1: not a directory`,
      );
    } finally {
      await Deno.remove(file);
    }
  });
  await t.step(
    "says a network directory that is a file is not a directory, as Go does",
    async () => {
      const dataDir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(`${dataDir}/net1`, "");
        await assert.rejects(
          () => LeaseStore.open("net1", { dataDir }),
          (error) =>
            error instanceof StoreError &&
            error.message === `mkdir ${dataDir}/net1: not a directory`,
        );
      } finally {
        await Deno.remove(dataDir, { recursive: true });
      }
    },
  );
});

Deno.test("LeaseStore.reserve() and lastReservedIp()", async (t) => {
  await t.step("writes the reference's bytes: ID, CR LF, interface, nothing after", async () => {
    await withStore(async (store, dir) => {
      assert.equal(
        await store.withLock(() => store.reserve(" c1 ", "eth0", ip("10.1.0.2"), 0)),
        true,
      );
      assert.deepEqual(
        await Deno.readFile(`${dir}/10.1.0.2`),
        new TextEncoder().encode("c1\r\neth0"),
      );
      assert.equal(await Deno.readTextFile(`${dir}/last_reserved_ip.0`), "10.1.0.2");
      assert.equal(mode(`${dir}/10.1.0.2`), (0o644 & ~Deno.umask()).toString(8));
      assert.deepEqual(await names(dir), ["10.1.0.2", "last_reserved_ip.0", "lock"]);
    });
  });
  await t.step("names an IPv6 lease by its canonical text", async () => {
    await withStore(async (store, dir) => {
      await store.withLock(() => store.reserve("c1", "eth0", ip("FD00:0::0005"), 3));
      assert.deepEqual(await names(dir), ["fd00::5", "last_reserved_ip.3", "lock"]);
      assert.equal(formatIp((await store.lastReservedIp(3))!), "fd00::5");
    });
  });
  await t.step("refuses a taken address and leaves it and the last address alone", async () => {
    await withStore(async (store, dir) => {
      await store.withLock(() => store.reserve("c1", "eth0", ip("10.1.0.2"), 0));
      await store.withLock(() => store.reserve("c1", "eth0", ip("10.1.0.3"), 0));
      assert.equal(
        await store.withLock(() => store.reserve("c2", "eth0", ip("10.1.0.2"), 0)),
        false,
      );
      assert.equal(await Deno.readTextFile(`${dir}/10.1.0.2`), "c1\r\neth0");
      assert.equal(await Deno.readTextFile(`${dir}/last_reserved_ip.0`), "10.1.0.3");
      assert.deepEqual(await names(dir), ["10.1.0.2", "10.1.0.3", "last_reserved_ip.0", "lock"]);
    });
  });
  await t.step("unlinks, never writes, a crashed run's temporary name of a lease", async () => {
    await withStore(async (store, dir) => {
      await store.withLock(() => store.reserve("c1", "eth0", ip("10.1.0.2"), 0));
      // A run with this process ID that died between linking and unlinking its temporary file.
      await Deno.link(`${dir}/10.1.0.2`, `${dir}/.lease.${Deno.pid}.tmp`);
      assert.equal(
        await store.withLock(() => store.reserve("c2", "eth0", ip("10.1.0.3"), 0)),
        true,
      );
      assert.equal(await Deno.readTextFile(`${dir}/10.1.0.2`), "c1\r\neth0");
      assert.equal(await Deno.readTextFile(`${dir}/10.1.0.3`), "c2\r\neth0");
      assert.deepEqual(await names(dir), ["10.1.0.2", "10.1.0.3", "last_reserved_ip.0", "lock"]);
    });
  });
  await t.step("keeps no lease whose last address cannot be recorded", async () => {
    await withStore(async (store, dir) => {
      await Deno.mkdir(`${dir}/last_reserved_ip.0`);
      await Deno.writeTextFile(`${dir}/last_reserved_ip.0/x`, "");
      await assert.rejects(
        () => store.withLock(() => store.reserve("c1", "eth0", ip("10.1.0.2"), 0)),
        StoreError,
      );
      assert.deepEqual(await names(dir), ["last_reserved_ip.0", "lock"]);
    });
  });
  const lasts: [string, string | undefined, string | undefined][] = [
    ["no file", undefined, undefined],
    ["an address", "10.1.0.9", "10.1.0.9"],
    ["an address and a newline (Go's ParseIP refuses it)", "10.1.0.9\n", undefined],
    ["garbage", "nope", undefined],
  ];
  for (const [name, content, expected] of lasts) {
    await t.step(`lastReservedIp() reads ${name}`, async () => {
      await withStore(async (store, dir) => {
        if (content !== undefined) await Deno.writeTextFile(`${dir}/last_reserved_ip.0`, content);
        const last = await store.lastReservedIp(0);
        assert.equal(last && formatIp(last), expected);
      });
    });
  }
});

/** Writes lease files as given: name and content. */
async function seed(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, content);
  }
}

const FILES = {
  "10.1.0.10": "c1\r\neth0",
  "10.1.0.9": "c1\r\neth1",
  "10.1.0.8": "c2\r\neth0",
  "10.1.0.7": "  c3  \n", // an older version's lease: the container ID alone
  "fd00::5": "c1\r\neth0",
  "last_reserved_ip.0": "c1",
  "not-an-address": "c1\r\neth0",
  // Names Go's ParseIP reads, though neither plugin writes them: leases of 10.1.0.99 and fd00::6.
  "::ffff:10.1.0.99": "c1\r\neth0",
  "FD00::6": "c2\r\neth1",
};

/** The files of the leases FILES spells in other ways than their addresses. */
const FILE_OF: Record<string, string> = { "10.1.0.99": "::ffff:10.1.0.99", "fd00::6": "FD00::6" };

Deno.test("LeaseStore: finding and releasing leases", async (t) => {
  await t.step("leases() lists the address-named files in byte order", async () => {
    await withStore(async (store, dir) => {
      await seed(dir, FILES);
      assert.deepEqual(await store.leases(), [
        { ip: "10.1.0.10", file: "10.1.0.10", containerId: "c1", ifName: "eth0" },
        { ip: "10.1.0.7", file: "10.1.0.7", containerId: "c3", ifName: undefined },
        { ip: "10.1.0.8", file: "10.1.0.8", containerId: "c2", ifName: "eth0" },
        { ip: "10.1.0.9", file: "10.1.0.9", containerId: "c1", ifName: "eth1" },
        { ip: "10.1.0.99", file: "::ffff:10.1.0.99", containerId: "c1", ifName: "eth0" },
        { ip: "fd00::6", file: "FD00::6", containerId: "c2", ifName: "eth1" },
        { ip: "fd00::5", file: "fd00::5", containerId: "c1", ifName: "eth0" },
      ]);
      assert.deepEqual(
        await readLeases("net1", { dataDir: dir.slice(0, -5) }),
        await store.leases(),
      );
    });
  });
  const byId: [string, string, string, string[]][] = [
    ["an attachment's leases of both families", "c1", "eth0", [
      "10.1.0.10",
      "10.1.0.99",
      "fd00::5",
    ]],
    ["only the interface asked for", "c1", "eth1", ["10.1.0.9"]],
    ["an older version's lease for any interface", "c3", "eth7", ["10.1.0.7"]],
    ["nothing for a stranger", "c9", "eth0", []],
  ];
  for (const [name, id, ifName, expected] of byId) {
    await t.step(`getById() finds ${name}`, async () => {
      await withStore(async (store, dir) => {
        await seed(dir, FILES);
        assert.deepEqual((await store.getById(id, ifName)).map(formatIp), expected);
        assert.equal(await store.findById(id, ifName), expected.length > 0);
      });
    });
  }
  await t.step("releaseById() releases the attachment's leases, nothing else", async () => {
    await withStore(async (store, dir) => {
      await seed(dir, { ...FILES, "10.1.0.6": "c1" });
      assert.deepEqual(await store.withLock(() => store.releaseById("c1", "eth0")), [
        "10.1.0.10",
        "10.1.0.99",
        "fd00::5",
      ]);
      assert.deepEqual(await names(dir), [
        "10.1.0.6",
        "10.1.0.7",
        "10.1.0.8",
        "10.1.0.9",
        "FD00::6",
        "last_reserved_ip.0",
        "lock",
        "not-an-address",
      ]);
      // Once the attachment has none, a second pass takes the container's older leases.
      assert.deepEqual(await store.withLock(() => store.releaseById("c1", "eth0")), ["10.1.0.6"]);
      assert.deepEqual(await store.withLock(() => store.releaseById("c1", "eth0")), []);
    });
  });
  await t.step("release() says whether there was a lease", async () => {
    await withStore(async (store, dir) => {
      await seed(dir, FILES);
      assert.equal(await store.withLock(() => store.release(ip("10.1.0.8"))), true);
      assert.equal(await store.withLock(() => store.release("10.1.0.8")), false);
    });
  });
});

Deno.test("LeaseStore.gc()", async (t) => {
  const rows: [string, { containerID: string; ifname: string }[], string[]][] = [
    [
      "releases every lease when nothing is valid, bookkeeping kept",
      [],
      ["10.1.0.10", "10.1.0.7", "10.1.0.8", "10.1.0.9", "10.1.0.99", "fd00::6", "fd00::5"],
    ],
    [
      "keeps a valid attachment's leases and no other interface's",
      [{ containerID: "c1", ifname: "eth0" }],
      ["10.1.0.7", "10.1.0.8", "10.1.0.9", "fd00::6"],
    ],
    [
      "keeps an older version's lease of a valid container",
      [{ containerID: "c3", ifname: "eth0" }, { containerID: "c2", ifname: "eth0" }],
      ["10.1.0.10", "10.1.0.9", "10.1.0.99", "fd00::6", "fd00::5"],
    ],
  ];
  for (const [name, valid, released] of rows) {
    await t.step(`gc() ${name}`, async () => {
      await withStore(async (store, dir) => {
        await seed(dir, FILES);
        assert.deepEqual(await store.withLock(() => store.gc(valid)), released);
        const left = await names(dir);
        for (const kept of ["lock", "last_reserved_ip.0", "not-an-address"]) {
          assert.ok(left.includes(kept), `${kept} is kept`);
        }
        for (const gone of released) {
          const file = FILE_OF[gone] ?? gone;
          assert.ok(!left.includes(file), `${file} is released`);
        }
      });
    });
  }
});

Deno.test("LeaseStore.lock() excludes another store of the same network", async () => {
  await withStore(async (store, dir) => {
    const other = await LeaseStore.open("net1", { dataDir: dir.slice(0, -5) });
    try {
      await store.lock();
      let taken = false;
      const waiting = other.lock().then(() => taken = true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(taken, false);
      await store.unlock();
      await waiting;
      assert.equal(taken, true);
      await other.unlock();
    } finally {
      other.close();
    }
  });
});
