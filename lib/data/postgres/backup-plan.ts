// What SharedPostgres tells the README's data-safety block: its recovery objectives, the row of the
// state table, the Secrets a restore needs with their old values, and its steps of the runbook.
import { BackupPlan } from '../../core/backups';
import { volumeSnapshotsNote } from '../volume-snapshots';
import { PostgresServerParts } from './parts';
import { ResolvedBackup } from './settings';

/** The plan of a server with these backup settings. */
export function postgresBackupPlan(pg: PostgresServerParts & { readonly backup: ResolvedBackup }, doks: boolean): BackupPlan {
  const b = pg.backup;
  const state = `PostgreSQL \`${pg.namespace}/${pg.name}\``;
  if (!b.enabled) {
    return {
      rows: [{
        state,
        what: `no dumps, WAL or base backups (\`backup.enabled: false\`)${volumeSnapshotsNote(pg) ? '; volume snapshots only' : ''}`,
        where: `the data volume \`data-${pg.name}-0\`${volumeSnapshotsNote(pg) || ' only'}`,
        schedule: '-',
        restore: volumeSnapshotsNote(pg) ? `\`npm run -s volume-restore -- ${pg.namespace}/data-${pg.name}-0\` (a snapshot: up to a day of writes lost)` : 'none',
      }],
      objectives: ['**Recovery point objective**: none; backups are off (`backup.enabled: false`).'],
    };
  }
  const pitr = b.pitr;
  const s3 = b.s3;
  const remote = s3
    ? `\`s3://${s3.bucket}/${s3.prefix ?? `${pg.namespace}/${pg.name}`}\` (${s3.endpoint}), gpg-encrypted, kept as long as on the volume (the upload Job deletes from the bucket's own listing; no lifecycle rule)`
    : 'nowhere off the volume (set `backup.s3`)';
  const rpo = pitr ? pitr.rpoMinutes : undefined;
  const schedule = [
    `WAL within ${rpo ?? '-'} min of a write${s3 && rpo ? ` (off-site every ${rpo} min)` : ''}`,
    `base backup \`${pitr?.baseBackupSchedule ?? '-'}\`, kept ${pitr ? `the newest ${pitr.keepBaseBackups} and enough to restore to any moment of the last ${pitr.retentionDays} days` : '-'}`,
    `dumps \`${b.schedule}\`, ${b.retentionDays} days (each database's newest whatever its age)`,
    `restore drill \`${b.drill?.schedule ?? 'off'}\``,
  ].join('; ');
  const objectives = [
    `**Recovery point objective** of PostgreSQL \`${pg.namespace}/${pg.name}\` (writes that can be lost): none when the server's pod or node fails (committed writes are on its data volume, which stays); ${rpo ? `${rpo} minutes when its data volume is lost (\`archive_timeout\`: the archived WAL on the backups volume ends there); ${s3 ? `${2 * rpo} minutes when the whole cluster and its volumes are lost (archived, then uploaded every ${rpo} minutes)` : 'everything since the volume was created when the backups volume is lost (no off-site copy)'}` : `up to a day when its data volume is lost (nightly dumps at \`${b.schedule}\`)`}.`,
    `**Recovery time objective** of PostgreSQL (until the apps work again): a lost pod or node, minutes (the StatefulSet starts on the same volumes${doks ? ', which DigitalOcean re-attaches to another node' : ''}; crash recovery); one database to a point in time, about 15 minutes plus the replay of up to a day of WAL; the whole cluster, about an hour: a new cluster, Argo CD, Secrets, then downloading and replaying the last base backup and a day of WAL (the base backups are daily), which for a few GiB takes minutes.`,
    `**Proof**: the restore drill (\`${pg.name}-restore-drill\`) restores every night's dumps into a scratch database and checks them; its failure, a missing run (26 h), stale WAL archiving, a shrinking backups volume and failing uploads alert.`,
  ];
  return {
    rows: [{
      state,
      what: 'every WAL segment; a base backup; one `pg_dump -Fc` per database',
      where: `volume \`${pg.name}-backups\`; ${remote}${volumeSnapshotsNote(pg)}`,
      schedule,
      restore: "`npm run -s postgres-restore -- <db> --to '<time>'`, `-- --server`, or `-- <db>` (a dump)",
    }],
    objectives,
    oldSecrets: s3 ? [`${s3.credentialsSecret} (access-key-id, secret-access-key)`, `${s3.encryptionSecret ?? `${pg.name}-backup-encryption`} (passphrase)`] : [],
    recovery: [{
      order: 10,
      lines: [
        '# Let the GitOps engine sync; then the PostgreSQL server from the off-site copy:',
        "npm run -s postgres-restore -- --server | bash -x   # or read it first; --to '<time>' stops earlier",
        ...(b.drill ? [`# Check the drill once: kubectl -n ${pg.namespace} create job --from=cronjob/${pg.name}-restore-drill drill-now`] : []),
      ],
    }],
  };
}
