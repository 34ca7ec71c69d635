// Preloaded (see .npmrc `node-options`) into the node processes npm and npx start for this
// project: the cdk8s CLI's upgrade check fetches the npm registry on every run, which is slow
// and prints a network error offline. An explicit CDK8S_CHECK_UPGRADE=true still turns it on.
'use strict';
if (process.env.CDK8S_CHECK_UPGRADE === undefined) process.env.CDK8S_CHECK_UPGRADE = 'false';
