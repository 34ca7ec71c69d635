// Preloaded by name (see .npmrc `node-options`; linked into node_modules as a file:
// devDependency) into the node processes npm and npx start for this project: the cdk8s CLI's
// upgrade check fetches the npm registry on every run, which is slow and prints a network error
// offline. An explicit CDK8S_CHECK_UPGRADE=true still turns it on.
'use strict';
if (process.env.CDK8S_CHECK_UPGRADE === undefined) process.env.CDK8S_CHECK_UPGRADE = 'false';

// When the app fails, the cdk8s CLI prints the stack of its own "command ... returned a non-zero
// exit code" error after the app's report (cdk8s-cli lib/cli/index.js).
// The report above already says what is wrong; the CLI's stack trace says nothing more, so the
// cdk8s process prints its first line only (NOVAHOST_DEBUG=1 keeps it whole).
if (/cdk8s(\.js)?$/.test(process.argv[1] || '') && process.env.NOVAHOST_DEBUG !== '1') {
  const error = console.error.bind(console);
  console.error = (first, ...rest) => {
    const text = first instanceof Error ? `Error: ${first.message}` : first;
    if (typeof text === 'string' && /^Error: command ".*" (at .* )?returned a non-zero exit code/.test(text)) {
      return error(text.split('\n')[0]);
    }
    return error(first, ...rest);
  };
}
