// Retention of SharedPostgres' off-site copy, as shell text: which remote base backups, WAL
// segments and dumps the upload Job deletes, decided from the bucket's own listing.
import { BASE_BACKUP_FATE, baseBackupCutoffSeconds, cutoffLine, START_WAL_MARKER } from './pitr';
import { shellQuote } from './provisioning';

/**
 * Why the upload Job deletes, and not a bucket lifecycle rule (which Spaces supports: "Object
 * expiration and removing incomplete multipart uploads", docs.digitalocean.com/reference/api/spaces-api):
 * a lifecycle rule expires objects by their age alone. It cannot keep "the newest N whatever
 * their age", so when uploads stop (the cluster is gone, the Job is broken: exactly when the copy
 * is needed) it deletes the last base backups and their WAL N days later; and it cannot know
 * which WAL the oldest kept base backup needs. The Job decides from the bucket's listing, never
 * from the volume, so a wiped or new volume cannot make it delete anything; it uses the same rule
 * as the volume's retention ({@link BASE_BACKUP_FATE}).
 *
 * What it reads are key names only (contents are gpg-encrypted, and the upload image has no
 * passphrase): the base backup folders' start stamps, which files each has (complete: finished_at,
 * base.tar.gz and pg_wal.tar.gz), the `start-wal-<segment>` marker the base backup Job writes,
 * and the dumps' stamps. Safe by construction:
 * - a failed listing, or one without the prefix, deletes nothing;
 * - the newest `keep` complete base backups stay whatever their age, and every moment of the
 *   last `retentionDays` stays restorable; an incomplete one (an upload cut short) never counts;
 * - WAL goes only below the oldest kept complete base backup's first segment (compared as
 *   pg_archivecleanup does, across timelines; history and `.backup` files stay), and only when
 *   that backup has the marker (older backups have none: their WAL stays until they age out);
 * - the newest dump of every database stays whatever its age (a removed app's last dump too).
 * Deletes go one object at a time (`aws s3 rm`, DeleteObject): the batch DeleteObjects call needs
 * a Content-MD5 that AWS CLI 2.23+ no longer sends, which S3-compatible stores refuse
 * (aws/aws-sdk-java-v2#5805 shows it for DeleteObjects with WHEN_REQUIRED checksums).
 */
export interface RemoteRetentionOptions {
  /** `https://fra1.digitaloceanspaces.com`. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix without leading or trailing `/`. */
  readonly prefix: string;
  /** Base backups' retention; undefined (no archiving) leaves remote base backups and WAL alone. */
  readonly baseBackups?: { readonly keep: number; readonly retentionDays: number };
  /** Dumps older than this many days go, except each database's newest. */
  readonly dumpRetentionDays: number;
}

/** `aws s3 rm` of the names listed in a file, relative to a remote folder, up to 200 per call. */
const RM_LISTED = [
  'rm_listed() {',
  '  [ -s "$2" ] || return 0',
  '  sed \'s/^/--include=/\' "$2" | xargs -n 200 aws --endpoint-url "$endpoint" s3 rm "$remote/$1" --recursive --only-show-errors --exclude=\'*\'',
  '}',
].join('\n');

/** Runs after a successful upload, in the upload container (AWS CLI image; sh, sed, grep, sort, xargs). */
export function remoteRetentionScript(o: RemoteRetentionOptions): string {
  const whole = (n: number | undefined, what: string) => {
    if (!Number.isInteger(n) || (n as number) < 1) throw new Error(`remote retention: ${what} ${n} is not a whole number >= 1`);
  };
  whole(o.dumpRetentionDays, 'dumpRetentionDays');
  if (o.baseBackups) {
    whole(o.baseBackups.keep, 'keep');
    whole(o.baseBackups.retentionDays, 'retentionDays');
  }
  const remote = `s3://${o.bucket}/${o.prefix}`;
  const lines = [
    'set -eu',
    // AWS CLI v2 pipes output through a pager unless this is empty.
    'export AWS_PAGER="" LC_ALL=C',
    `endpoint=${shellQuote(o.endpoint)}`,
    `remote=${shellQuote(remote)}`,
    `prefix=${shellQuote(`${o.prefix}/`)}`,
    'work="${TMPDIR:-/tmp}/remote-retention"',
    'rm -rf "$work" && mkdir -p "$work"',
    `if ! aws --endpoint-url "$endpoint" s3api list-objects-v2 --bucket ${shellQuote(o.bucket)} --prefix "$prefix" --query 'Contents[].[Key]' --output text > "$work/listing"; then`,
    '  echo "remote-retention: listing $remote/ failed; nothing deleted" >&2',
    '  exit 1',
    'fi',
    // Keys relative to the prefix; an empty listing prints "None", which no rule below matches.
    'while IFS= read -r key; do',
    '  if [ "${key#"$prefix"}" != "$key" ]; then echo "${key#"$prefix"}"; fi',
    'done < "$work/listing" > "$work/keys"',
    RM_LISTED,
    'removed_base=0; removed_wal=0',
  ];
  if (o.baseBackups) {
    lines.push(
      BASE_BACKUP_FATE,
      cutoffLine('cutoff', baseBackupCutoffSeconds(o.baseBackups.retentionDays)),
      "sed -n 's|^base-backups/\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)/.*$|\\1|p' \"$work/keys\" | sort -u -r | while read -r s; do",
      '  c=1; for f in finished_at base.tar.gz pg_wal.tar.gz; do grep -Fqx "base-backups/$s/$f.gpg" "$work/keys" || c=0; done',
      '  echo "$s $c $s"',
      `done | fate ${o.baseBackups.keep} "$cutoff" > "$work/plan"`,
      'while read -r act s; do',
      '  case "$act" in',
      '    remove) echo "remote-retention: removing $remote/base-backups/$s/"; aws --endpoint-url "$endpoint" s3 rm "$remote/base-backups/$s/" --recursive --only-show-errors; removed_base=$((removed_base + 1)) ;;',
      '    skip) echo "remote-retention: $remote/base-backups/$s/ is incomplete: not counted" ;;',
      '  esac',
      'done < "$work/plan"',
      'oldest="$(sed -n \'s/^keep //p\' "$work/plan" | tail -n 1)"',
      `first="$(sed -n "s|^base-backups/$oldest/${START_WAL_MARKER}\\([0-9A-F]\\{24\\}\\)\\.gpg$|\\1|p" "$work/keys")"`,
      'if [ -z "$oldest" ] || [ -z "$first" ]; then',
      '  echo "remote-retention: the oldest kept base backup (${oldest:-none}) names no first WAL segment; remote WAL kept"',
      'else',
      // "<segment number> <key>" lines and a sentinel "<first's number> !", sorted: what sorts
      // before the sentinel is older ("!" sorts before "w", so the first segment itself stays).
      '  { sed -n \'s|^wal-archive/[0-9A-F]\\{8\\}\\([0-9A-F]\\{16\\}\\)\\(\\.partial\\)\\{0,1\\}\\.gz\\.gpg$|\\1 &|p\' "$work/keys"; echo "${first#????????} !"; } \\',
      '    | sort | sed \'/ !$/,$d\' | sed \'s|^[^ ]* wal-archive/||\' > "$work/wal"',
      '  rm_listed wal-archive/ "$work/wal"',
      '  removed_wal="$(wc -l < "$work/wal")"',
      'fi',
    );
  }
  lines.push(
    cutoffLine('dumps_cutoff', o.dumpRetentionDays * 86400),
    // "<db> <stamp>" newest first per database; the first line of each database is its newest.
    "sed -n 's|^\\([a-z_][a-z0-9_]*\\)/\\1-\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)\\.dump\\.gpg$|\\1 \\2|p' \"$work/keys\" | sort -r > \"$work/dumps\"",
    'newest_of=',
    'while read -r db s; do',
    '  if [ "$db" != "$newest_of" ]; then newest_of="$db"; continue; fi',
    '  t="${s%Z}"; t="${t%%T*}${t#*T}"',
    '  if [ "$t" -le "$dumps_cutoff" ]; then echo "$db/$db-$s.dump.gpg"; fi',
    'done < "$work/dumps" > "$work/old-dumps"',
    'rm_listed "" "$work/old-dumps"',
    `echo "remote-retention: $remote: $removed_base base backups, $removed_wal WAL files, $(wc -l < "$work/old-dumps") dumps removed"`,
    '',
  );
  return lines.join('\n');
}
