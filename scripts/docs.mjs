// Builds the API reference of each package with TypeDoc, from the doc
// comments of its public entry points, into docs/api/<package>/ (ignored by
// git). `pnpm docs` builds them all; `pnpm docs nn optnet` only those.
//
// The entry points are the package's `exports` (the `source` file of each
// subpath: `.`, `./testing`, `./threads`, ...), so a new subpath is
// documented, and checked, without editing this file. Any TypeDoc warning
// fails the build: an export without a doc comment (validation.notDocumented),
// a type the docs reference but the package does not export (notExported),
// a `{@link}` that resolves to nothing (invalidLink), a malformed tag.
//
// Types from a sibling package (nn's signatures name @optnet/tensor's
// `Tensor`) link to that package's pages: docs/api/<p>/ sit side by side.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Application,
  LogLevel,
  ReflectionKind,
  RendererEvent,
  TSConfigReader,
} from 'typedoc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Subpath exports that are not an API: tensor's `./cpu-worker` is the body
 * of the worker threads `useCpuThreads` starts (exported so the worker can
 * be resolved from the packed package), and exports nothing.
 */
const NOT_API = new Set(['@optnet/tensor ./cpu-worker']);

/** The reflection kinds that must carry a doc comment of their own. */
const MUST_DOCUMENT = [
  'Class',
  'Interface',
  'TypeAlias',
  'Function',
  'Variable',
  'Enum',
  'Method',
  'Accessor',
  'Property',
  'Module',
];

/** ANSI colour codes, which TypeDoc's logger puts in its messages. */
// eslint-disable-next-line no-control-regex -- matching them is the point
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Keeps the warnings and errors `app` logs in a list, still printing them
 * (with the file and line TypeDoc's logger adds).
 */
function collectProblems(app) {
  const problems = [];
  const log = app.logger.log.bind(app.logger);
  app.logger.log = (message, level) => {
    if (level >= LogLevel.Warn) problems.push(message.replace(ANSI, ''));
    log(message, level);
  };
  return problems;
}

/**
 * The documented entry points of the package in `dir`: one per subpath
 * export, as `{ subpath, file }` with `file` absolute.
 */
export function entryPoints(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const out = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (NOT_API.has(`${pkg.name} ${subpath}`)) continue;
    const source = typeof target === 'object' ? target.source : undefined;
    if (typeof source !== 'string')
      throw new Error(
        `docs: each export of ${pkg.name} needs a \`source\` condition; ` +
          `got ${JSON.stringify(target)} for "${subpath}".`,
      );
    out.push({ subpath, file: join(dir, source) });
  }
  return { name: pkg.name, entries: out };
}

/** The package directories under packages/, in dependency order first. */
export function packageDirs() {
  const order = ['tensor', 'autograd', 'gpu', 'nn', 'optnet'];
  const present = readdirSync(join(root, 'packages')).filter((p) =>
    existsSync(join(root, 'packages', p, 'package.json')),
  );
  return [
    ...order.filter((p) => present.includes(p)),
    ...present.filter((p) => !order.includes(p)).sort(),
  ].map((p) => join(root, 'packages', p));
}

/** The file each package's reference lists its exports in. */
export const MANIFEST = 'exports.json';

/**
 * The top-level exports of a converted project: one per name and entry
 * point (a second export of the same symbol is a reference to the first).
 */
function topLevelExports(project) {
  const modules = project.getChildrenByKind(ReflectionKind.Module);
  return (modules.length > 0 ? modules : [project]).flatMap((m) =>
    (m.children ?? [])
      .filter((c) => !c.kindOf(ReflectionKind.Reference))
      .map((c) => ({ entry: m.name.replace(/^\\/, ''), refl: c })),
  );
}

/**
 * Links `@optnet/<p>` symbols that another package's docs name (nn's
 * `Tensor`) to `<p>`'s own page for that export, found in the manifest
 * docs/api/<p>/exports.json (the same `pnpm docs:api` builds dependencies
 * first). A member links to its owner's page; anything else gets no link,
 * as for any other external type. scripts/test/docs.test.mjs checks that
 * every link of every page leads to a file.
 */
function linkSiblingPackages(app, out) {
  const manifests = new Map();
  const manifestOf = (pkg) => {
    if (!manifests.has(pkg)) {
      const file = join(out, '..', pkg.slice('@optnet/'.length), MANIFEST);
      manifests.set(
        pkg,
        existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [],
      );
    }
    return manifests.get(pkg);
  };
  app.converter.addUnknownSymbolResolver((ref, _refl, _part, symbolId) => {
    const pkg = ref.moduleSource ?? symbolId?.packageName;
    const top = ref.symbolReference?.path?.[0]?.path;
    if (!pkg?.startsWith('@optnet/') || top === undefined) return undefined;
    const hits = manifestOf(pkg).filter((e) => e.name === top);
    const hit = hits.find((e) => e.entry === pkg) ?? hits[0];
    if (hit === undefined) return undefined;
    // Pages that name types sit one folder down (classes/, functions/,
    // ...: TypeDoc's default router), as the sibling's pages do.
    const page = join(out, '..', pkg.slice('@optnet/'.length), hit.page);
    return relative(join(out, 'classes'), page);
  });
}

/**
 * STYLE §5: each export carries a tiny `@example`. TypeDoc's own validation
 * checks that a comment exists; this checks the example, on the top-level
 * exports of each entry point (not on each method or property).
 */
function missingExamples(project) {
  const problems = [];
  for (const { refl } of topLevelExports(project)) {
    const comments = [
      refl.comment,
      ...(refl.signatures ?? []).map((s) => s.comment),
      refl.getSignature?.comment,
    ];
    if (!comments.some((c) => c?.getTag('@example') !== undefined))
      problems.push(
        `${refl.getFriendlyFullName()} (${ReflectionKind[refl.kind]}) ` +
          'has no @example in its doc comment (STYLE §5)',
      );
  }
  return problems;
}

/**
 * Reads one package's doc comments with TypeDoc and checks them. Returns
 * `{ name, app, project, out, problems }`: `problems` lists every warning
 * and error TypeDoc logged (and each export without an `@example`).
 * `quiet` keeps TypeDoc from printing them.
 */
export async function convertDocs(dir, out, { quiet = false } = {}) {
  const { name, entries } = entryPoints(dir);
  const outDir =
    out ?? join(root, 'docs', 'api', relative(join(root, 'packages'), dir));
  const app = await Application.bootstrapWithPlugins(
    {
      name,
      entryPoints: entries.map((e) => e.file),
      tsconfig: join(dir, 'tsconfig.json'),
      readme: join(dir, 'README.md'),
      out: outDir,
      // tsc -b checks the types (its own CI step); TypeDoc only reads them.
      skipErrorChecking: true,
      excludePrivate: true,
      excludeInternal: true,
      treatWarningsAsErrors: true,
      treatValidationWarningsAsErrors: true,
      requiredToBeDocumented: MUST_DOCUMENT,
      validation: {
        notExported: true,
        invalidLink: true,
        rewrittenLink: true,
        notDocumented: true,
        unusedMergeModuleWith: true,
      },
      hideGenerator: true,
      cleanOutputDir: true,
      disableSources: true,
    },
    [new TSConfigReader()],
  );
  const problems = collectProblems(app);
  if (quiet) app.logger.level = LogLevel.None;
  // Read sibling packages from their sources, as the tests do: with the
  // tsconfig's project references TypeScript would read their dist/*.d.ts,
  // which may be stale or not built yet.
  app.options.setCompilerOptions(
    app.options.getFileNames(),
    app.options.getCompilerOptions(app.logger),
    [],
  );
  linkSiblingPackages(app, outDir);
  const project = await app.convert();
  if (project === undefined) {
    if (problems.length === 0)
      problems.push(`docs: TypeDoc could not convert ${name}.`);
  } else {
    app.validate(project);
    for (const problem of missingExamples(project)) app.logger.warn(problem);
  }
  return { name, app, project, out: outDir, problems };
}

/**
 * Builds one package's reference into `out` (default docs/api/<p>/), with
 * the manifest `exports.json`: `[{ entry, name, kind, page }]`, one per
 * top-level export, `page` relative to `out`. Returns `{ name, out,
 * problems }`; the pages are written only when there are no problems.
 * `options` as convertDocs'.
 */
export async function buildDocs(dir, out, options = {}) {
  const {
    name,
    app,
    project,
    out: outDir,
    problems,
  } = await convertDocs(dir, out, options);
  if (project === undefined || problems.length > 0)
    return { name, out: outDir, problems };
  let manifest = [];
  // The router that names the pages lives only while they are written.
  app.renderer.on(RendererEvent.END, () => {
    const router = app.renderer.router;
    manifest = topLevelExports(project).map(({ entry, refl }) => ({
      entry,
      name: refl.name,
      kind: ReflectionKind[refl.kind],
      page: router.getFullUrl(refl),
    }));
  });
  await app.generateDocs(project, outDir);
  writeFileSync(join(outDir, MANIFEST), JSON.stringify(manifest, null, 1));
  return { name, out: outDir, problems };
}

async function main() {
  const wanted = process.argv.slice(2);
  const dirs = packageDirs().filter(
    (d) => wanted.length === 0 || wanted.some((w) => d.endsWith(`/${w}`)),
  );
  let failed = 0;
  for (const dir of dirs) {
    const { name, out, problems } = await buildDocs(dir);
    if (problems.length > 0) {
      failed += 1;
      console.log(`${name}: ${problems.length} problem(s); no pages written`);
    } else console.log(`${name}: ${relative(root, out)}/index.html`);
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
