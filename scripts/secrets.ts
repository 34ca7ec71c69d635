/**
 * `npm run secrets`: every Secret the reference installation reads, and how each value comes to be.
 *   npm run secrets                 the inventory as a table
 *   npm run secrets -- --kubectl    a bash script that creates the missing Secrets (pipe it to bash)
 *   npm run secrets -- --markdown   the table for the README
 * Nothing secret is printed: generated values are made by the script, on your machine, when it runs.
 */
import { platform } from '../main';
import { inventoryTable, kubectlScript, secretInventory, templateJobs } from '../lib';

const dist = [...platform.manifests().values()].flat();
const objects = [...dist, ...templateJobs(dist)];
const inventory = secretInventory(platform, objects);
const mode = process.argv[2];
if (mode === '--kubectl') process.stdout.write(kubectlScript(inventory));
else if (mode === '--markdown') process.stdout.write(`${inventoryTable(inventory, true)}\n`);
else if (mode === undefined) process.stdout.write(`${inventoryTable(inventory, false)}\n`);
else {
  console.error('usage: npm run secrets [-- --kubectl | --markdown]');
  process.exit(2);
}
