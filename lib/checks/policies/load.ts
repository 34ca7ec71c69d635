// Reads a synthesized output folder back into objects, keyed by file and kind/name.
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { KubeObject } from './types';

/**
 * Every object under a synthesized output folder (`dist/`), keyed by its file relative to it and,
 * in a file of several documents, its kind and name (`novahost/novahost.k8s.yaml#Deployment/web`),
 * in file order. The one impure helper of the policies: tests, the capacity check and
 * `npm run plan` read dist/ the same way.
 */
export function loadManifests(dir: string): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(e.name)) files.push(full);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  for (const file of files.sort()) {
    const rel = path.relative(dir, file).split(path.sep).join('/');
    parseManifest(rel, fs.readFileSync(file, 'utf8')).forEach((obj, key) => out.set(key, obj));
  }
  return out;
}

/**
 * Objects of one YAML file, keyed by the file; a file of several documents keys each by
 * `file#<Kind>/<name>` (`file#<position>` when a document has no kind and name, or repeats one).
 */
export function parseManifest(file: string, text: string): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  const docs = parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((o) => o && typeof o === 'object');
  docs.forEach((o: any, i) => {
    if (docs.length === 1) return out.set(file, o);
    const named = o.kind && o.metadata?.name ? `${file}#${o.kind}/${o.metadata.name}` : undefined;
    return out.set(named && !out.has(named) ? named : `${file}#${i + 1}`, o);
  });
  return out;
}
