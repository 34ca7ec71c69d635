/**
 * `npm run synth` and the `app` of cdk8s.yaml: synthesizes an installation file (main.ts unless
 * given) into dist/ and prints every problem at once when it cannot.
 *
 *   node -r ./scripts/swc-register.js scripts/synth.ts [main.ts] [--stack] [--staging DIR --outdir DIR]
 */
import { runSynth } from '../lib';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run synth [-- <installation file>] [--stack] [--staging DIR --outdir DIR]

Synthesizes main.ts (or the given file) into dist/ (CDK8S_OUTDIR overrides), all or nothing: on a
problem it prints every problem at once and leaves dist/ as it was.
  --stack       print stack traces too (also NOVAHOST_DEBUG=1)`);
  process.exit(0);
}
const entry = args[0] && !args[0].startsWith('--') ? args[0] : 'main.ts';
runSynth(entry, args);
