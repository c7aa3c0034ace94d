// What `npm pack` would publish: the library (js/ with both wasm builds) and README, nothing of
// the repo's sources, tests, benchmarks or demo (the demo is served from the repository).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

// --ignore-scripts: prepack (build.sh) would print to stdout and spoil the JSON; test.sh has built.
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }),
);
const files = packed[0].files.map((f) => f.path).sort();

describe('npm pack', () => {
  test('ships the loader, both wasm builds and package.json', () => {
    for (const file of ['js/loader.js', 'js/build/lstm-simd.wasm', 'js/build/lstm-plain.wasm', 'package.json']) {
      assert.ok(files.includes(file), `${file} missing from the package: ${files.join(', ')}`);
    }
  });

  test('ships README.md, LICENSE and CHANGELOG.md', () => {
    for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) {
      assert.ok(existsSync(join(ROOT, file)), `${file} missing from the repository`);
      assert.ok(files.includes(file), `${file} missing from the package`);
    }
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/, 'LICENSE is not the MIT license package.json names');
    assert.match(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'),
      `CHANGELOG.md has no section for version ${pkg.version}`);
  });

  test('js/version.js (what exported files record as their producer) is package.json\'s version', async () => {
    const { VERSION } = await import(new URL('../js/version.js', import.meta.url).href);
    assert.equal(VERSION, pkg.version);
  });

  test('package.json says where the project lives and what it is', () => {
    assert.equal(pkg.license, 'MIT');
    assert.match(pkg.repository.url, /^git\+https:\/\/.+\.git$/);
    assert.match(pkg.homepage, /^https:\/\//);
    assert.match(pkg.bugs.url, /^https:\/\//);
    assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('lstm') && pkg.keywords.includes('webassembly'));
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), [], 'the package has no runtime dependencies');
  });

  test('every export of package.json is shipped', () => {
    for (const [name, target] of Object.entries(pkg.exports)) {
      const paths = typeof target === 'string' ? [target] : Object.values(target);
      for (const p of paths) assert.ok(files.includes(p.replace(/^\.\//, '')), `export ${name}: ${p} missing from the package`);
    }
  });

  test('every relative import of a shipped module is shipped (no import reaches outside the package)', () => {
    const shipped = new Set(files);
    const missing = []; let checked = 0;
    for (const f of files.filter((x) => /\.(m?js|d\.ts)$/.test(x))) {
      const src = readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|new URL\(\s*['"](\.{1,2}\/[^'"]+)['"],\s*import\.meta\.url/g)) {
        const rel = m[1] ?? m[2] ?? m[3];
        let target = posix.normalize(posix.join(posix.dirname(f), rel));
        if (f.endsWith('.d.ts') && target.endsWith('.js') && !shipped.has(target)) target = target.replace(/\.js$/, '.d.ts');
        checked++; if (!shipped.has(target)) missing.push(`${f} → ${rel}`);
      }
    }
    assert.deepEqual(missing, []);
    assert.ok(checked > 50, `only ${checked} relative imports found: the scan is broken`);
  });

  for (const file of ['js/index.js', 'js/index.d.ts']) {
    test(`ships ${file} (the package entry point)`, (t) => {
      if (!existsSync(join(ROOT, file))) return t.skip(`${file} not written yet (another engineer is on it)`);
      assert.ok(files.includes(file), `${file} missing from the package`);
    });
  }

  test('ships nothing from tests/, c/, bench/, web/, scripts/, build/ or .ci/', () => {
    const leaked = files.filter((f) => /^(tests|c|bench|web|scripts|build|\.ci)\//.test(f));
    assert.deepEqual(leaked, []);
    assert.ok(files.every((f) => ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f) ||
      f.startsWith('js/') || f.startsWith('bin/')),
      `unexpected files: ${files.join(', ')}`);
    assert.ok(!files.some((f) => f.endsWith('.tmp.wasm')), 'build leftovers');
  });

  test('the wasm-lstm command is shipped and executable by npx', () => {
    assert.equal(pkg.bin['wasm-lstm'].replace(/^\.\//, ''), 'bin/wasm-lstm.js');
    assert.ok(files.includes('bin/wasm-lstm.js'), 'bin/wasm-lstm.js missing from the package');
    assert.match(readFileSync(join(ROOT, 'bin/wasm-lstm.js'), 'utf8'), /^#!\/usr\/bin\/env node/);
  });

  test('entry points in package.json exist in the package', (t) => {
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.exports['.'].default, './js/index.js');
    assert.equal(Object.keys(pkg.exports['.'])[0], 'types', '"types" must come first in exports');
    const entries = [pkg.exports['.'].default, pkg.exports['.'].types, pkg.main, pkg.types].map((p) => p.replace(/^\.\//, ''));
    const unwritten = entries.filter((p) => !existsSync(join(ROOT, p)));
    if (unwritten.length) return t.skip(`${[...new Set(unwritten)].join(', ')} not written yet`);
    for (const p of entries) assert.ok(files.includes(p), `${p} missing from the package`);
  });
});

describe('package.json scripts', () => {
  test('start, test, build, prepack, bench and fuzz run the repository scripts', () => {
    assert.deepEqual(
      {
        start: pkg.scripts.start,
        test: pkg.scripts.test,
        build: pkg.scripts.build,
        prepack: pkg.scripts.prepack,
        bench: pkg.scripts.bench,
        fuzz: pkg.scripts.fuzz,
      },
      {
        start: 'node scripts/start.mjs',
        test: 'bash scripts/test.sh',
        build: 'bash build.sh',
        prepack: 'bash build.sh',
        bench: 'node bench/run.mjs',
        fuzz: 'bash scripts/fuzz.sh',
      },
    );
  });
});
