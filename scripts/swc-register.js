// Runs TypeScript on the synth path without loading the TypeScript compiler: ts-node needs
// `typescript` (≈0.5 s to load) even when it transpiles with swc. Types are checked by
// `npm run plan` (incrementally, first), `npm run typecheck` and `npm test`, never here. Used by
// cdk8s.yaml and `npm run synth`.
//
// Transpiled files are cached by content (node_modules/.cache/swc-register, or
// $SWC_REGISTER_CACHE): a synth whose sources did not change reads JavaScript and never loads
// swc, which saves about 0.1 s of the 0.6 s that main.ts takes.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

// Inline source maps, and Node told to read them: a stack trace names the line of the .ts file,
// not of the transpiled JavaScript (where removed types shift everything below them). Reading
// them costs every module load (decoding and parsing each map: about 0.15 s for lib/), so the
// synth runner and the benchmark's platforms, which print no stack trace unless asked, skip it
// unless one is asked for (NOVAHOST_DEBUG=1 or --stack).
const entry = path.basename(process.argv[1] || '');
const quiet = (entry === 'synth.ts' || entry === 'generated-platform.ts')
  && process.env.NOVAHOST_DEBUG !== '1' && !process.argv.includes('--stack');
if (!quiet) process.setSourceMapsEnabled(true);
const options = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  swcrc: false,
  configFile: false,
};
const cacheDir = process.env.SWC_REGISTER_CACHE || path.join(__dirname, '..', 'node_modules', '.cache', 'swc-register');
// What the output depends on besides the source: this file (options) and the swc release.
const salt = crypto.createHash('sha256')
  .update(fs.readFileSync(__filename))
  .update(fs.readFileSync(require.resolve('@swc/core/package.json')))
  .digest('hex');

let swc;
function transpile(source, filename) {
  swc = swc || require('@swc/core');
  return swc.transformSync(source, { ...options, filename }).code;
}

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(salt).update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    code = transpile(source, filename);
    try {
      // Written aside and renamed, so a concurrent run never reads half a file.
      fs.mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      // A read-only checkout still synthesizes, only without the cache.
    }
  }
  module._compile(code, filename);
};
