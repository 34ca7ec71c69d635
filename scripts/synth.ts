/**
 * `npm run synth` and the `app` of cdk8s.yaml: synthesizes an installation file (main.ts unless
 * given) into dist/ and prints every problem at once when it cannot.
 *
 *   node -r ./scripts/swc-register.js scripts/synth.ts [main.ts] [--stack] [--staging DIR --outdir DIR]
 */
import { runSynth } from '../lib';

const args = process.argv.slice(2);
const entry = args[0] && !args[0].startsWith('--') ? args[0] : 'main.ts';
runSynth(entry, args);
