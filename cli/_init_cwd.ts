/**
 * `deno task` runs a command from the directory of deno.json and keeps the directory it was typed
 * in as INIT_CWD. The tools take relative paths (CNI_PATH=./bin, NETCONFPATH, a netns, a config
 * file) from where they were typed, so they move back there first.
 */

/** Changes to INIT_CWD when `deno task` set it. */
export function moveToInitCwd(): void {
  const initCwd = Deno.env.get("INIT_CWD");
  if (initCwd) Deno.chdir(initCwd);
}
