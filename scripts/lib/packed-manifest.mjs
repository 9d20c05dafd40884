// What a packed package must hold, checked on the files of its tarball
// (tarball.mjs): a manifest with no condition pointing at files that are
// not shipped (the workspace-only `source` condition is stripped by
// publishConfig.exports), every file the manifest names, the LICENSE, a
// CHANGELOG entry for the version, and no workspace: ranges.

/**
 * Every [conditionPath, target] leaf of an `exports` value, e.g.
 * `['.', 'types']` → './dist/index.d.ts'.
 * @example
 * exportTargets({ '.': { types: './a.d.ts', default: './a.js' } });
 * // [[['.', 'types'], './a.d.ts'], [['.', 'default'], './a.js']]
 */
export function exportTargets(exports, path = []) {
  if (typeof exports === 'string') return [[path, exports]];
  if (Array.isArray(exports))
    return exports.flatMap((e) => exportTargets(e, path));
  if (exports === null || typeof exports !== 'object') return [];
  return Object.entries(exports).flatMap(([k, v]) =>
    exportTargets(v, [...path, k]),
  );
}

/** `exports["."]["types"]` for the path ['.', 'types']. */
function exportsField(path) {
  return `exports[${path.map((p) => JSON.stringify(p)).join('][')}]`;
}

/** Files the manifest points at, as `[field, target]`. */
function namedFiles(pkg) {
  const named = exportTargets(pkg.exports ?? {}).map(([path, target]) => [
    exportsField(path),
    target,
  ]);
  for (const field of ['main', 'module', 'types', 'typings']) {
    if (typeof pkg[field] === 'string') named.push([field, pkg[field]]);
  }
  const bin =
    typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  for (const [cmd, target] of Object.entries(bin))
    named.push([`bin.${cmd}`, target]);
  return named;
}

function manifestProblems(pkg, files) {
  const problems = [];
  for (const [path] of exportTargets(pkg.exports ?? {})) {
    if (path.includes('source'))
      problems.push(`${exportsField(path)}: a "source" condition ships`);
  }
  for (const [field, target] of namedFiles(pkg)) {
    const file = target.replace(/^\.\//, '');
    if (target.includes('*'))
      problems.push(`${field}: pattern target ${target} (name each entry)`);
    else if (!files.has(file))
      problems.push(`${field}: ${target} is not in the tarball`);
  }
  for (const deps of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
  ])
    for (const [name, range] of Object.entries(pkg[deps] ?? {}))
      if (String(range).startsWith('workspace:'))
        problems.push(`${deps}.${name}: unresolved range ${range}`);
  if (!pkg.repository?.url || !pkg.repository?.directory)
    problems.push('repository: needs url and directory');
  if (typeof pkg.sideEffects !== 'boolean' && !Array.isArray(pkg.sideEffects))
    problems.push('sideEffects: not declared');
  return problems;
}

function shippedDocsProblems(pkg, files, license) {
  const problems = [];
  if (!files.has('README.md')) problems.push('README.md is not in the tarball');
  if (!files.has('LICENSE')) problems.push('LICENSE is not in the tarball');
  else if (license !== undefined && files.get('LICENSE').toString() !== license)
    problems.push("LICENSE differs from the repository's");
  const changelog = files.get('CHANGELOG.md')?.toString();
  if (changelog === undefined)
    problems.push('CHANGELOG.md is not in the tarball');
  else if (
    !new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm').test(
      changelog,
    )
  )
    problems.push(`CHANGELOG.md has no "## ${pkg.version}" section`);
  return problems;
}

/**
 * What is wrong with a packed package, given its files (Map<path, Buffer>,
 * from readTarball) and optionally the LICENSE text it must ship; [] when
 * nothing is.
 * @example
 * packedProblems(readTarball('optnet-nn-0.1.0.tgz'), { license }); // []
 */
export function packedProblems(files, { license } = {}) {
  const raw = files.get('package.json');
  if (raw === undefined) return ['package.json is not in the tarball'];
  let pkg;
  try {
    pkg = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    return [`package.json does not parse: ${e.message}`];
  }
  return [
    ...manifestProblems(pkg, files),
    ...shippedDocsProblems(pkg, files, license),
  ];
}
