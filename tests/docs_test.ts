/**
 * The documentation: README.md is the front page and docs/*.md the manual by topic. Their `ts`
 * examples run in the unit group (`deno test --doc` finds Markdown files too); these tests check
 * what `deno test --doc` cannot: that every page has examples that run, that every relative link
 * between the pages (and deploy/README.md) leads to a file and a heading that exist, that the
 * README starts with the two commands of a fresh machine and lists every page, and that the
 * commands in the shell snippets name tasks and make targets that exist.
 */
import assert from "node:assert/strict";
import { GROUPS } from "../scripts/test.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The pages of docs/, by file name. */
function docsPages(): string[] {
  return [...Deno.readDirSync(`${ROOT}/docs`)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => entry.name)
    .sort();
}

/** Every Markdown file whose links are checked, relative to the root. */
function linkedFiles(): string[] {
  return ["README.md", "deploy/README.md", ...docsPages().map((page) => `docs/${page}`)];
}

/** One fenced code block: its info string and its text. */
interface Fence {
  readonly info: string;
  readonly text: string;
}

/** The fenced code blocks of a Markdown text, and the text outside them. */
function split(markdown: string): { fences: Fence[]; prose: string } {
  const fences: Fence[] = [];
  const prose: string[] = [];
  let open: { info: string; lines: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    const fence = /^```(.*)$/.exec(line);
    if (open === undefined && fence !== null) {
      open = { info: fence[1]!.trim(), lines: [] };
    } else if (open !== undefined && line === "```") {
      fences.push({ info: open.info, text: open.lines.join("\n") });
      open = undefined;
    } else if (open !== undefined) {
      open.lines.push(line);
    } else {
      prose.push(line);
    }
  }
  assert.equal(open, undefined, "every code block is closed");
  return { fences, prose: prose.join("\n") };
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replaceAll(" ", "-");
}

/** The anchors of a Markdown text's headings, with GitHub's suffixes for repeated ones. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of split(markdown).prose.split("\n")) {
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (heading === null) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

/** The targets of the inline links of a Markdown text, outside code. */
function links(markdown: string): string[] {
  const prose = split(markdown).prose.replace(/`[^`]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

Deno.test("slug() makes GitHub's heading anchors", async (t) => {
  const rows: [string, string][] = [
    ["The walkthrough", "the-walkthrough"],
    ["`deno task conform`", "deno-task-conform"],
    ["`./netlink`: in the plugin's own process", "netlink-in-the-plugins-own-process"],
    ["Unknown keys and `strictKeys`", "unknown-keys-and-strictkeys"],
    [
      "deno-ptp against Go's ptp, and the namespace toolkit",
      "deno-ptp-against-gos-ptp-and-the-namespace-toolkit",
    ],
  ];
  for (const [heading, anchor] of rows) {
    await t.step(heading, () => assert.equal(slug(heading), anchor));
  }
});

Deno.test("every page of docs/ has examples that run", async (t) => {
  const pages = docsPages();
  assert.ok(pages.length >= 10, `docs/ has its pages: ${pages.join(", ")}`);
  for (const page of pages) {
    await t.step(page, () => {
      const text = Deno.readTextFileSync(`${ROOT}/docs/${page}`);
      const { fences } = split(text);
      const runnable = fences.filter((f) => /^(ts|typescript)$/.test(f.info));
      assert.ok(runnable.length > 0, `${page} has a ts example that deno test --doc runs`);
      assert.match(text, /^# \S/, `${page} starts with its title`);
      for (const fence of runnable) {
        // A reader copies these: imports are the repository's paths, which run from a checkout.
        for (const [, from] of fence.text.matchAll(/\bfrom "([^"]+)"/g)) {
          assert.ok(
            from!.startsWith("../") || from!.startsWith("node:"),
            `${page} imports ${from} by the repository's path`,
          );
        }
      }
    });
  }
});

Deno.test("the unit group runs the examples of README.md and docs/", () => {
  const unit = GROUPS.find((group) => group.name === "unit");
  assert.ok(unit !== undefined);
  assert.ok(unit.args.includes("--doc"), "deno test --doc runs the ts blocks of Markdown files");
  const paths = unit.args.filter((arg) => !arg.startsWith("-"));
  assert.deepEqual(paths, [], "no path list that could leave README.md or docs/ out");
  assert.ok(!unit.args.some((arg) => /^--ignore=.*(docs|README)/.test(arg)));
  const { test } = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  for (const excluded of test?.exclude ?? []) {
    assert.ok(!/^(docs|README)/.test(excluded), `deno.json's test.exclude leaves ${excluded} out`);
  }
});

Deno.test("every relative link leads to a file and a heading that exist", async (t) => {
  for (const file of linkedFiles()) {
    await t.step(file, () => {
      const text = Deno.readTextFileSync(`${ROOT}/${file}`);
      const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
      for (const target of links(text)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const resolved = path === "" ? file : new URL(path, `file:///${dir}`).pathname.slice(1);
        let info: Deno.FileInfo;
        try {
          info = Deno.statSync(`${ROOT}/${resolved}`);
        } catch {
          assert.fail(`${file}: the link ${target} leads to ${resolved}, which does not exist`);
        }
        if (anchor === undefined) continue;
        assert.ok(info.isFile, `${file}: ${target} has an anchor but is not a file`);
        const known = anchors(Deno.readTextFileSync(`${ROOT}/${resolved}`));
        assert.ok(known.has(anchor), `${file}: ${resolved} has no heading #${anchor}`);
      }
    });
  }
});

Deno.test("the README is the front page", async (t) => {
  const readme = Deno.readTextFileSync(`${ROOT}/README.md`);
  const { fences } = split(readme);

  await t.step("it starts with the two commands of a fresh machine", () => {
    const first = fences[0];
    assert.equal(first?.info, "sh");
    assert.match(first.text, /^make demo\s+#/m);
    assert.match(first.text, /^make test\s+#/m);
    assert.ok(readme.indexOf("```sh") < readme.indexOf("\n## "), "before any section");
  });

  await t.step("it has the walkthrough, the first plugin and the std table", () => {
    for (
      const heading of [
        "## The walkthrough",
        "## Your first plugin",
        "## What stands in for Deno's std packages",
        "## Where to read on",
      ]
    ) {
      assert.ok(readme.includes(`\n${heading}\n`), heading);
    }
    assert.match(readme, /cnitool add mysample \/var\/run\/netns\/testing/);
    assert.match(readme, /^make new NAME=/m);
  });

  await t.step("it lists every page of docs/", () => {
    const listed = new Set(
      links(readme.slice(readme.indexOf("\n## Where to read on\n")))
        .filter((target) => target.startsWith("docs/"))
        .map((target) => target.slice("docs/".length).split("#")[0]),
    );
    assert.deepEqual([...listed].sort(), docsPages());
  });
});

/** The tasks of deno.json and the targets of the Makefile. */
function commands(): { tasks: Set<string>; targets: Set<string> } {
  const { tasks } = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const makefile = Deno.readTextFileSync(`${ROOT}/Makefile`);
  const targets = [...makefile.matchAll(/^([a-z][a-z-]*):/gm)].map((match) => match[1]!);
  return { tasks: new Set(Object.keys(tasks)), targets: new Set(targets) };
}

Deno.test("the shell snippets name tasks and make targets that exist", async (t) => {
  const { tasks, targets } = commands();
  for (const file of linkedFiles().filter((f) => f !== "deploy/README.md")) {
    await t.step(file, () => {
      const { fences, prose } = split(Deno.readTextFileSync(`${ROOT}/${file}`));
      // Commands are in sh blocks and in code spans; prose may say "make" as a word.
      const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);
      const text = [...fences.filter((f) => f.info === "sh").map((f) => f.text), ...spans]
        .join("\n");
      for (const [, task] of text.matchAll(/\bdeno task ([a-z][a-z-]*)/g)) {
        assert.ok(tasks.has(task!), `${file}: deno task ${task} is a task of deno.json`);
      }
      for (const [, target] of text.matchAll(/(?:^|\$\(|`|\s)make (?:-s )?([a-z][a-z-]*)/gm)) {
        assert.ok(targets.has(target!), `${file}: make ${target} is a target of the Makefile`);
      }
    });
  }
});
