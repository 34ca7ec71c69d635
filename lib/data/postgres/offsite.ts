// Off-site copies of SharedPostgres' backups, as shell text: encrypt what is new on the backups
// volume, upload it to S3-compatible storage, and (for a restore) download and decrypt it.
import { shellQuote } from './provisioning';

/**
 * Why client-side encryption with GnuPG: the copies leave the cluster, and a bucket's own
 * encryption (SSE) protects the disks of the provider, not the data from whoever holds the
 * bucket's keys or a public-bucket mistake. `gpg --symmetric` (OpenPGP: salted, iterated S2K,
 * AES-256, with an integrity check, unlike `openssl enc -aes-256-cbc`, which has none) runs in
 * the pinned alpine/git image, which ships gpg; the server image has neither gpg nor the openssl
 * tool. The passphrase comes from a Secret and must be kept outside the cluster too.
 */
export interface OffsiteLayout {
  /** The backups volume. */
  readonly directory: string;
  /** Encrypted files waiting for upload (on the volume, so an upload that failed resumes). */
  readonly pendingDir: string;
  /** Names (relative to `directory`) already uploaded. */
  readonly uploadedList: string;
}

/** The layout on a backups volume mounted at `directory`. */
export function offsiteLayout(directory: string): OffsiteLayout {
  return { directory, pendingDir: `${directory}/offsite-pending`, uploadedList: `${directory}/offsite-uploaded.list` };
}

const GPG = 'gpg --batch --yes --quiet --no-symkey-cache --pinentry-mode loopback --passphrase-file "$PASSPHRASE_FILE"';

/**
 * Encrypts every finished file of the volume that is neither uploaded nor pending: dumps, base
 * backups and archived WAL (`*.partial` files and folders are never finished). Names whose file
 * local retention removed are dropped from the uploaded list, which so stays as long as the volume's
 * contents. Reads the passphrase from the file named by PASSPHRASE_FILE.
 */
export function encryptScript(o: OffsiteLayout): string {
  const dir = shellQuote(o.directory);
  const pending = shellQuote(o.pendingDir);
  const list = shellQuote(o.uploadedList);
  const rel = (p: string) => `./${p.slice(o.directory.length + 1)}`;
  return [
    'set -eu',
    ': "${PASSPHRASE_FILE:?names the file with the encryption passphrase}"',
    '[ -s "$PASSPHRASE_FILE" ] || { echo "offsite: the encryption passphrase is empty" >&2; exit 1; }',
    'export GNUPGHOME="${TMPDIR:-/tmp}/gnupg"',
    'mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"',
    `mkdir -p ${pending}`,
    `touch ${list}`,
    `cd ${dir}`,
    'sources="${TMPDIR:-/tmp}/offsite-sources"',
    `find . -type f ! -path ${shellQuote(`${rel(o.pendingDir)}/*`)} ! -path ${shellQuote(rel(o.uploadedList))} ! -path './lost+found/*' ! -name '*.partial' ! -path '*.partial/*' | sed 's|^\\./||' | sort > "$sources"`,
    `grep -Fx -f "$sources" ${list} > "$sources.kept" || true`,
    `cat "$sources.kept" > ${list}`,
    'n=0',
    'while IFS= read -r f; do',
    `  grep -Fxq "$f" ${list} && continue`,
    `  [ -f ${pending}/"$f.gpg" ] && continue`,
    `  mkdir -p ${pending}/"$(dirname "$f")"`,
    `  ${GPG} --symmetric --cipher-algo AES256 --compress-algo none --output ${pending}/"$f.gpg.partial" "$f"`,
    `  mv ${pending}/"$f.gpg.partial" ${pending}/"$f.gpg"`,
    '  n=$((n + 1))',
    'done < "$sources"',
    'echo "offsite: $n files encrypted"',
    '',
  ].join('\n');
}

export interface UploadOptions extends OffsiteLayout {
  /** `https://fra1.digitaloceanspaces.com`. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix without leading or trailing `/`. */
  readonly prefix: string;
}

/** `s3://bucket/prefix`. */
export function remoteOf(o: Pick<UploadOptions, 'bucket' | 'prefix'>): string {
  return `s3://${o.bucket}/${o.prefix}`;
}

/**
 * Uploads the pending encrypted files with `aws s3 sync` (never `--delete`, so a wiped volume
 * cannot wipe the off-site copies; remote retention decides from the bucket's own listing, see
 * remote-retention.ts), then records
 * them as uploaded and removes them from the volume. A failed upload records nothing; the next
 * run sends the rest. Credentials come from AWS_* environment variables.
 */
export function uploadScript(o: UploadOptions): string {
  const pending = shellQuote(o.pendingDir);
  return [
    'set -eu',
    `cd ${pending}`,
    `aws --endpoint-url ${shellQuote(o.endpoint)} s3 sync . ${shellQuote(remoteOf(o))} --exclude '*.partial' --no-progress --only-show-errors`,
    'uploaded="$(find . -type f -name \'*.gpg\' | wc -l)"',
    `find . -type f -name '*.gpg' | sed 's|^\\./||; s|\\.gpg$||' >> ${shellQuote(o.uploadedList)}`,
    "find . -type f -name '*.gpg' -exec rm -f {} +",
    `echo "offsite: $uploaded files uploaded to ${remoteOf(o)}"`,
    '',
  ].join('\n');
}

/**
 * For a restore: everything under the remote prefix into `target` (same layout as the backups
 * volume), decrypted. Needs the AWS_* variables and PASSPHRASE_FILE.
 */
export function downloadScript(o: Omit<UploadOptions, keyof OffsiteLayout> & { readonly target: string }): string {
  const target = shellQuote(o.target);
  return [
    'set -eu',
    ': "${PASSPHRASE_FILE:?names the file with the encryption passphrase}"',
    'export GNUPGHOME="${TMPDIR:-/tmp}/gnupg"',
    'mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"',
    `aws --endpoint-url ${shellQuote(o.endpoint)} s3 sync ${shellQuote(remoteOf(o))} ${target} --no-progress --only-show-errors`,
    `find ${target} -type f -name '*.gpg' | while IFS= read -r f; do`,
    `  ${GPG} --decrypt --output "\${f%.gpg}" "$f"`,
    '  rm -f "$f"',
    'done',
    `echo "offsite: ${remoteOf(o)} -> ${o.target}"`,
    '',
  ].join('\n');
}
