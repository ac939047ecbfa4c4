// The floor of `deno task bench`: the least a Deno plugin can do. It reads stdin, parses it as JSON,
// prints it back and exits, run with the same flags and permissions as the sample plugin's bundle.
// It exits as plugins do (lib/runner.ts), with Deno.exit: that skips the runtime's teardown, about
// a millisecond here, so a script that just ends would be a floor the plugins stand below.
const chunks = [];
const buffer = new Uint8Array(64 * 1024);
for (let n = await Deno.stdin.read(buffer); n !== null; n = await Deno.stdin.read(buffer)) {
  chunks.push(buffer.slice(0, n));
}
const text = new TextDecoder().decode(
  chunks.length === 1 ? chunks[0] : await new Blob(chunks).bytes(),
);
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(JSON.parse(text), null, 4)));
Deno.exit(0);
