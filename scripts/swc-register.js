// Runs TypeScript on the synth path without loading the TypeScript compiler: ts-node needs
// `typescript` (≈0.5 s to load) even when it transpiles with swc. Types are checked by
// `npm run typecheck` / `npm test`, never here. Used by cdk8s.yaml and `npm run synth`.
'use strict';
const fs = require('fs');
const { transformSync } = require('@swc/core');

const options = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  swcrc: false,
  configFile: false,
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
