// Redis ACL users for SharedRedis: the template without passwords and the script that fills it at
// pod start.
import { ACL_FILE, ACL_TEMPLATE_FILE, ASSEMBLE_SCRIPT_FILE, RedisPaths } from './config';

/**
 * Redis ACL users for SharedRedis. The ACL file in the ConfigMap is a template without passwords;
 * the init container runs ASSEMBLE_ACL_SCRIPT to append each user's SHA-256 password hash, read
 * from the Secrets mounted in the pod. No password or hash is ever written to dist/.
 */

/** Users the server itself needs; an app may not take these names. */
export const SystemUsers = {
  /** Redis' built-in user: disabled, so a connection without AUTH can run nothing. */
  DEFAULT: 'default',
  /** Operators (`redis-cli --user admin`): everything, for maintenance and incident work. */
  ADMIN: 'admin',
  /** The probes: PING only. */
  HEALTHCHECK: 'healthcheck',
  /** The metrics exporter: INFO and a few read-only diagnostics. */
  METRICS: 'metrics',
  /** The backup CronJob: replication only, for `redis-cli --rdb`. */
  BACKUP: 'backup',
} as const;
export const RESERVED_USERS: ReadonlySet<string> = new Set(Object.values(SystemUsers));

/**
 * What an app user may run: data commands of every type, transactions, Lua scripts (queues such as
 * BullMQ are built on them), pub/sub, and INFO (client libraries read the server version and the
 * eviction policy from it).
 */
const APP_CATEGORIES = [
  '+@connection', '+@read', '+@write', '+@keyspace', '+@string', '+@hash', '+@list', '+@set', '+@sortedset',
  '+@stream', '+@bitmap', '+@hyperloglog', '+@geo', '+@pubsub', '+@transaction', '+@scripting',
];

/**
 * Taken away again after the categories, so the order of the rules matters. `@dangerous` and
 * `@admin` cover most of the list below; the explicit names make the intent reviewable and keep
 * it if a future Redis moves a command between categories.
 */
export const DENIED_COMMANDS = [
  // Whole-server damage.
  'flushall', 'flushdb', 'shutdown', 'swapdb', 'debug',
  // Server configuration, users and replication.
  'config', 'acl', 'replicaof', 'slaveof', 'module', 'save', 'bgsave', 'bgrewriteaof',
  // Sees other tenants' keys or commands (see also NAME_LEAKING_COMMANDS).
  'keys', 'monitor',
  // Writes into another logical database.
  'move', 'migrate',
  // Functions are one namespace for all users: loading or deleting one affects every app.
  'function',
  // Flushing or killing scripts affects every app's scripts.
  'script|flush', 'script|kill',
];

/** One line of the ACL template (without password). */
export interface AclUser {
  readonly name: string;
  /** Whether the user can log in; enabled users must have a password Secret. */
  readonly enabled: boolean;
  /** Rules after `resetpass resetkeys resetchannels`. */
  readonly rules: readonly string[];
}

/**
 * Server-wide listings that ignore key and channel patterns (Redis 7.0 to 7.4 check neither): the
 * PUBSUB subcommands show other apps' channel names and subscriber counts, and CLIENT TRACKING in
 * BCAST mode pushes invalidations with other apps' key names (its PREFIX is not checked against
 * the key patterns either). Denied to every app user.
 */
export const NAME_LEAKING_COMMANDS = [
  'pubsub|channels', 'pubsub|shardchannels', 'pubsub|numsub', 'pubsub|shardnumsub', 'pubsub|numpat',
  'client|tracking',
];

/**
 * The ACL rules of an app user: its own key prefix and channels (or every key when no prefix),
 * and, given its database index, only its own logical database.
 *
 * - `-select +select|<index>`: a Redis 7 first-arg rule (deprecated upstream, accepted by 7.0 and
 *   7.4) that also binds SELECT inside Lua. Clients send exactly `SELECT <index>` (REDIS_URL ends
 *   in `/<index>`). COPY is denied: its DB option writes into another database.
 * - SCAN and RANDOMKEY list every key of the database whatever the key patterns, so a prefixed
 *   user (which shares its database) may not run them; an unprefixed user has its database to itself.
 * - {@link NAME_LEAKING_COMMANDS} are denied to all.
 *
 * Without an index SELECT stays open (every database), as before the index was passed in.
 */
export function appAclUser(name: string, keyPrefix: string | undefined, index?: number): AclUser {
  if (index !== undefined && (!Number.isInteger(index) || index < 0)) {
    throw new Error(`redis acl: ${JSON.stringify(index)} is not a database index`);
  }
  const scope = keyPrefix === undefined ? ['~*', '&*'] : [`~${keyPrefix}*`, `&${keyPrefix}*`];
  return {
    name,
    enabled: true,
    rules: [
      ...scope, '-@all', ...APP_CATEGORIES, '-@dangerous', '-@admin', '+info', ...DENIED_COMMANDS.map((c) => `-${c}`),
      ...(keyPrefix === undefined ? [] : ['-scan', '-randomkey']),
      ...NAME_LEAKING_COMMANDS.map((c) => `-${c}`),
      '-copy',
      ...(index === undefined ? [] : ['-select', `+select|${index}`]),
    ],
  };
}

/**
 * What redis_exporter runs with its CONFIG command off (read from its source): on every
 * scrape CLIENT SETNAME, INFO ALL, LATENCY LATEST and HISTOGRAM, SLOWLOG LEN; PING with
 * --ping-on-connect. No key, no write. Subcommands are named one by one: `+@connection` would
 * also allow CLIENT KILL. Left out on purpose:
 * - SLOWLOG GET: its entries hold other users' command arguments, values included. The exporter
 *   then skips only redis_slowlog_last_id and redis_last_slow_execution_duration_seconds
 *   (an error there is logged at debug level; the scrape goes on).
 * - CLIENT LIST: every client's user, address and last command (only for --export-client-list).
 * - SELECT: only for key checks, which are off; it would open every database to the user.
 * - COMMANDLOG LEN (Valkey 8.1+): the exporter skips those metrics on an error; an ACL file naming
 *   it would not load on Redis 7.0, which the tests run.
 */
export const METRICS_COMMANDS = ['ping', 'info', 'client|setname', 'slowlog|len', 'latency|latest', 'latency|histogram'];

/**
 * What `redis-cli --rdb` (valkey-cli 8) sends after AUTH: `REPLCONF capa eof`, `REPLCONF rdb-only 1`
 * and `SYNC` (getRDB() and sendSync() in src/valkey-cli.c; redis-cli 7.0 the same, seen in ACL LOG on
 * a real redis-server 7.0.15 with `-@all`). No key or channel pattern: SYNC reads the whole dataset
 * by design, while GET, SET, SELECT, INFO, CONFIG and everything else stay denied (backup.test.ts).
 * PSYNC is left out: the CLI never sends it.
 */
export const BACKUP_COMMANDS = ['replconf', 'sync'];

/** The server's own users; app users are appended after them. */
export function systemAclUsers(options: { metrics?: boolean; backup?: boolean } = {}): AclUser[] {
  return [
    { name: SystemUsers.DEFAULT, enabled: false, rules: ['-@all'] },
    { name: SystemUsers.ADMIN, enabled: true, rules: ['~*', '&*', '+@all'] },
    { name: SystemUsers.HEALTHCHECK, enabled: true, rules: ['-@all', '+ping'] },
    ...(options.metrics ? [{ name: SystemUsers.METRICS, enabled: true, rules: ['-@all', ...METRICS_COMMANDS.map((c) => `+${c}`)] }] : []),
    ...(options.backup ? [{ name: SystemUsers.BACKUP, enabled: true, rules: ['-@all', ...BACKUP_COMMANDS.map((c) => `+${c}`)] }] : []),
  ];
}

/**
 * The ACL template: one `user` line per user, without any password. Enabled users get their
 * `#<sha256>` appended by ASSEMBLE_ACL_SCRIPT; a disabled user stays unusable.
 */
export function renderAclTemplate(users: readonly AclUser[]): string {
  return users
    .map((u) => ['user', u.name, u.enabled ? 'on' : 'off', 'resetpass', 'resetkeys', 'resetchannels', ...u.rules].join(' '))
    .join('\n') + '\n';
}

/**
 * POSIX sh (busybox in the Alpine image, dash in the tests): `sh assemble-acl.sh TEMPLATE
 * PASSWORD_DIR OUT`. For every enabled user (`user <name> on ...`) it reads PASSWORD_DIR/<name>,
 * insists the password is URL-safe (it is embedded in REDIS_URL as is) and at least 16 characters,
 * and appends `#<sha256 hex>`, so not even the in-memory ACL file holds a clear-text password.
 */
export const ASSEMBLE_ACL_SCRIPT = `#!/bin/sh
# Assembles the Redis ACL file: the password-free template from the ConfigMap plus the SHA-256
# hash of each enabled user's password, read from files projected from Secrets.
set -eu
set -f
template=$1
password_dir=$2
out=$3
fail() { echo "assemble-acl: $*" >&2; exit 1; }
umask 077
tmp="$out.tmp"
: > "$tmp"
while IFS= read -r line || [ -n "$line" ]; do
  set -- $line
  if [ "$#" -ge 3 ] && [ "$1" = user ] && [ "$3" = on ]; then
    file="$password_dir/$2"
    [ -f "$file" ] || fail "no password for ACL user $2 at $file: create its Secret (see SharedRedis.secretReferences)"
    [ "$(wc -l < "$file")" -eq 0 ] || fail "the password of ACL user $2 ends with a newline: create the Secret with --from-literal"
    value=$(cat "$file")
    [ "\${#value}" -ge 16 ] || fail "the password of ACL user $2 is shorter than 16 characters"
    case "$value" in
      *[!A-Za-z0-9._~-]*) fail "the password of ACL user $2 has characters that are not URL-safe: use A-Z a-z 0-9 . _ ~ -" ;;
    esac
    hash=$(printf '%s' "$value" | sha256sum | cut -d ' ' -f 1)
    printf '%s #%s\\n' "$line" "$hash" >> "$tmp"
  else
    printf '%s\\n' "$line" >> "$tmp"
  fi
done < "$template"
mv "$tmp" "$out"
echo "assemble-acl: wrote $out"
`;

/** The init container's command, with the pod's paths. */
export function assembleAclCommand(): string[] {
  return [
    'sh',
    `${RedisPaths.CONFIG}/${ASSEMBLE_SCRIPT_FILE}`,
    `${RedisPaths.CONFIG}/${ACL_TEMPLATE_FILE}`,
    RedisPaths.PASSWORDS,
    `${RedisPaths.ACL_DIR}/${ACL_FILE}`,
  ];
}
