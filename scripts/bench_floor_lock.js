// The floor of deno-host-local's ADD in `deno task bench`: the bench floor (read stdin, parse and
// print JSON, Deno.exit), plus the file work no lease store can skip, done the cheapest way (the
// synchronous calls): the network's directory made if missing, its lock file opened and
// flock(2)ed, one lease file created and removed, the last address written, the lock released.
// Run with deno-host-local's flags and permissions.
const chunks = [];
const buffer = new Uint8Array(64 * 1024);
for (let n = await Deno.stdin.read(buffer); n !== null; n = await Deno.stdin.read(buffer)) {
  chunks.push(buffer.slice(0, n));
}
const text = new TextDecoder().decode(
  chunks.length === 1 ? chunks[0] : await new Blob(chunks).bytes(),
);
const config = JSON.parse(text);
const dir = `${config.ipam.dataDir}/${config.name}`;
Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
const lock = Deno.openSync(`${dir}/lock`, { read: true, write: true, create: true, mode: 0o750 });
lock.lockSync(true);
const lease = `${dir}/floor-lease`;
Deno.writeTextFileSync(lease, "floor\r\neth0", { createNew: true, mode: 0o644 });
Deno.writeTextFileSync(`${dir}/last_reserved_ip.0`, "10.88.0.12", { mode: 0o644 });
Deno.removeSync(lease);
lock.unlockSync();
lock.close();
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(config, null, 4)));
Deno.exit(0);
