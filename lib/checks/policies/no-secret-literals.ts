// Policy: no secret value written as a literal (env, args, ConfigMaps, chart values).
import { finding, Finding, KubeObject, Policy } from './types';
import { containersOf, podTemplates } from './workloads';

/**
 * Secret values written as literals: in container env, ConfigMap data and the values given to
 * Helm charts (Argo CD Applications). Messages never repeat the value.
 *
 * What counts (a heuristic, tuned against false positives on real config files):
 * - a key whose name says secret (password, passwd, secret, token, api_key, private_key) with a
 *   non-empty literal value; not when the name says where a secret is (`*_FILE`, `*_PATH`,
 *   `secretName`, `existingSecret`, ...) or the value is a reference (`$(VAR)`, `${VAR}`, `$VAR`,
 *   psql `:'var'`, `{{ tpl }}`, `__PLACEHOLDER__`) or a boolean;
 * - inside ConfigMap files, on lines that are not comments (`#`, `;`, `//`, `--`): `key = value`
 *   and `key: value` assignments of such keys, Redis `requirepass`/`masterauth`, Redis ACL
 *   plaintext passwords (`user app on >password`; `#<sha256>` hashes and templates without a
 *   password pass), and SQL `PASSWORD '...'` literals;
 * - anywhere: PEM private keys, URLs with a password (`postgres://user:pass@`), AWS access key ids.
 */
export const SECRET_NAME = /(password|passwd|secret|token|api[_-]?key|private[_-]?key)/i;
/** Names that hold where a secret is, or a policy about secrets, not a secret. */
const LOCATION_NAME = /(_file|_path|_dir|_name|_ref|_encryption|_length|_ttl|file|path|name|ref|namespace|existingsecret|secretkey?ref|create\w*secret|secretkeys?)$/i;
const NON_SECRET_SETTINGS = new Set(['password_encryption']);
const BOOLEAN = /^(true|false|yes|no|on|off|enabled|disabled|none|null|~)$/i;
const REFERENCE = /\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|:'[A-Za-z_][A-Za-z0-9_]*'|:"[A-Za-z_][A-Za-z0-9_]*"|\{\{[^}]*\}\}|__[A-Z0-9_]+__|<[a-z][-a-z0-9_ ]*>/g;

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/;
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]+:([^\s@/'"]+)@/gi;
const AWS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

/** Whether a value is only references, placeholders and punctuation (no literal secret). */
export function isReference(value: string): boolean {
  return !/[A-Za-z0-9]/.test(value.replace(REFERENCE, ''));
}

/** Whether `value` under a key called `name` is a secret written as a literal. */
export function isSecretLiteral(name: string, value: unknown): boolean {
  if (typeof value !== 'string' || !SECRET_NAME.test(name) || LOCATION_NAME.test(name) || NON_SECRET_SETTINGS.has(name.toLowerCase())) return false;
  const v = value.trim().replace(/^(["'])(.*)\1$/, '$2').trim();
  return v.length > 0 && !BOOLEAN.test(v) && !/^\d{1,5}$/.test(v) && !isReference(v);
}

/** Credential-shaped text anywhere in a value: what it looks like, or undefined. */
export function credentialShape(text: string): string | undefined {
  if (PEM_PRIVATE_KEY.test(text)) return 'a PEM private key';
  if (AWS_KEY_ID.test(text)) return 'an AWS access key id';
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    if (!isReference(m[1])) return 'a URL with a password (scheme://user:password@)';
  }
  return undefined;
}

const COMMENT = /^\s*(#|;|\/\/|--)/;
const ASSIGNMENT = /^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[=:]\s*(.*?)\s*,?\s*$/;
const REDIS_AUTH = /^\s*(requirepass|masterauth)\s+(\S+)/i;
const ACL_PLAINTEXT = /^\s*user\s+\S+(?:\s+\S+)*?\s+>(\S+)/;
const SQL_PASSWORD = /\b(PASSWORD|IDENTIFIED\s+BY)\s+'((?:[^']|'')+)'/i;

/** Problems in one config file's text, by line number; never the value itself. */
export function fileProblems(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (COMMENT.test(line)) return;
    const at = `line ${i + 1}`;
    const redis = REDIS_AUTH.exec(line);
    if (redis && !isReference(redis[2])) return void out.push(`${at}: ${redis[1]} has a literal password`);
    const acl = ACL_PLAINTEXT.exec(line);
    if (acl && !isReference(acl[1])) return void out.push(`${at}: an ACL user has a plaintext password (>...)`);
    const sql = SQL_PASSWORD.exec(line);
    if (sql && !isReference(sql[2])) return void out.push(`${at}: SQL ${sql[1]} with a literal password`);
    const a = ASSIGNMENT.exec(line);
    if (a && isSecretLiteral(a[1], a[2])) return void out.push(`${at}: ${a[1]} is assigned a literal value`);
    return undefined;
  });
  const shape = credentialShape(text);
  if (shape) out.push(`contains ${shape}`);
  return out;
}

function walkValues(value: unknown, path: string, visit: (path: string, key: string, v: unknown) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => walkValues(v, `${path}[${i}]`, visit));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k;
      if (v && typeof v === 'object') walkValues(v, p, visit);
      else visit(p, k, v);
    }
  }
}

export const noSecretLiterals: Policy = {
  id: 'no-secret-literals',
  description: 'No secret value as a literal in container env, ConfigMap data or Helm values; secrets are referenced (secretKeyRef, envFrom, existingSecret).',
  check(objects) {
    const out: Finding[] = [];
    const add = (o: KubeObject, m: string): void => void out.push(finding(this.id, o, m));
    for (const t of podTemplates(objects)) {
      for (const c of containersOf(t)) {
        for (const e of c.container.env ?? []) {
          if (typeof e.value !== 'string') continue;
          if (isSecretLiteral(e.name, e.value)) add(t.object, `${c.path}.env[${e.name}] is a literal secret; use valueFrom.secretKeyRef`);
          else {
            const shape = credentialShape(e.value);
            if (shape) add(t.object, `${c.path}.env[${e.name}] contains ${shape}; build it from $(VARS) that come from a Secret`);
          }
        }
      }
    }
    for (const cm of objects) {
      if (cm.kind !== 'ConfigMap') continue;
      for (const [key, value] of Object.entries<string>(cm.data ?? {})) {
        if (typeof value !== 'string') continue;
        if (!value.includes('\n') && isSecretLiteral(key, value)) {
          add(cm, `data.${key} is a literal secret; move it to a Secret`);
          continue;
        }
        for (const p of fileProblems(value)) add(cm, `data["${key}"] ${p}; move the secret to a Secret and reference it`);
      }
    }
    for (const app of objects) {
      if (app.kind !== 'Application') continue;
      walkValues(app.spec?.source?.helm?.valuesObject, 'spec.source.helm.valuesObject', (path, key, v) => {
        if (isSecretLiteral(key, v)) add(app, `${path} is a literal secret; give the chart an existing Secret instead`);
        else if (typeof v === 'string' && credentialShape(v)) add(app, `${path} contains ${credentialShape(v)}`);
      });
    }
    return out;
  },
};
