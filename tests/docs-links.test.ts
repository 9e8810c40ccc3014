/**
 * The docs a newcomer reads stay short at the top and whole underneath: the README fits in 12,000
 * characters, and every relative link in it and in docs/ reaches a file and, with an #anchor, a heading.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const README_MAX_CHARACTERS = 12_000;
/** Written in parallel with these docs; a link to it may come before the file does. */
const PENDING_FILES = new Set(['docs/code-map.md']);

interface Link {
  from: string;
  target: string;
}

async function markdownFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return markdownFiles(path);
      return Promise.resolve(entry.name.endsWith('.md') ? [path] : []);
    }),
  );
  return nested.flat();
}

/** The lines of a markdown text outside fenced code blocks, where links and headings are real. */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** Inline and image links, `[text](target)` / `![alt](target "title")`; code spans hold no links. */
function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]);
  }
  return targets;
}

/** GitHub's heading anchor: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading keeps only its text
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Every anchor a file's headings make, with GitHub's -1, -2 … for repeated headings. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/** What is wrong with one link, or undefined when it resolves. */
async function problem(link: Link): Promise<string | undefined> {
  const hashAt = link.target.indexOf('#');
  const pathPart = hashAt < 0 ? link.target : link.target.slice(0, hashAt);
  const anchor = hashAt < 0 ? undefined : decodeURIComponent(link.target.slice(hashAt + 1));
  const file = pathPart === '' ? link.from : resolve(dirname(link.from), decodeURIComponent(pathPart));
  const shown = `${relative(ROOT, link.from)}: ${link.target}`;
  if (!existsSync(file)) {
    return PENDING_FILES.has(relative(ROOT, file)) ? undefined : `${shown} (no file ${relative(ROOT, file)})`;
  }
  if (anchor === undefined) return undefined;
  if (!file.endsWith('.md')) return `${shown} (an anchor into a file that is not markdown)`;
  const anchors = headingAnchors(await readFile(file, 'utf8'));
  return anchors.has(anchor) ? undefined : `${shown} (no heading "#${anchor}" in ${relative(ROOT, file)})`;
}

describe('the docs', () => {
  it(`keep README.md within ${README_MAX_CHARACTERS} characters`, async () => {
    const readme = await readFile(join(ROOT, 'README.md'));
    // Bytes, as `wc -c` counts them: never fewer than the characters.
    expect(readme.byteLength).toBeLessThanOrEqual(README_MAX_CHARACTERS);
  });

  it('link only to files and headings that exist', async () => {
    const files = [join(ROOT, 'README.md'), ...(await markdownFiles(join(ROOT, 'docs')))];
    const links: Link[] = [];
    for (const from of files) {
      const targets = linkTargets(await readFile(from, 'utf8'));
      links.push(...targets.filter((target) => !isExternal(target)).map((target) => ({ from, target })));
    }
    const problems = (await Promise.all(links.map(problem))).filter((found) => found !== undefined);
    expect(links.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });

  it("make GitHub's anchors from headings", () => {
    expect(githubSlug('Embed `<sd-turbo>`')).toBe('embed-sd-turbo');
    expect(githubSlug('Loading at real size: `npm run bench:load`')).toBe(
      'loading-at-real-size-npm-run-benchload',
    );
    expect(githubSlug('What figures from this machine mean (SwiftShader)')).toBe(
      'what-figures-from-this-machine-mean-swiftshader',
    );
    expect(githubSlug('Node: `npm run generate`')).toBe('node-npm-run-generate');
    expect(githubSlug('snake_case and -dashes-')).toBe('snake_case-and--dashes-');
    expect(headingAnchors('# A\n## A\n```\n# A\n```\n### A')).toEqual(new Set(['a', 'a-1', 'a-2']));
  });
});
