import { runFakePlugin } from "./_plugin.ts";

await runFakePlugin();
