// SharedPostgres' props as a schema (core/prop-schema.ts): synthesis does not type-check, so every
// prop is checked at run time, each problem reported with its field, and bad values left out.
import { pinnedImage } from '../../core/image';
import { NameRules } from '../../core/names';
import { Rule, Rules, Shape } from '../../core/prop-schema';
import { isSettingName } from './config';
import type { PostgresBackup, PostgresPointInTimeRecovery, PostgresRestoreDrill, PostgresS3Upload, PostgresSettings, PostgresStorage } from './props';
import { s3UploadShape } from '../s3-upload-schema';

const PG_MEMORY = Rules.pattern(/^[1-9][0-9]*(kB|MB|GB)$/, 'a PostgreSQL memory size (a whole number with kB, MB or GB)', 'write it like "256MB"');
const image: Rule<string> = Rules.throwing(pinnedImage);

/** A volume: size in Mi, Gi or Ti, and a StorageClass name. */
export const POSTGRES_STORAGE = {
  size: Rules.pattern(/^[1-9][0-9]*(Mi|Gi|Ti)$/, 'a storage size (a whole number with Mi, Gi or Ti)', 'write it like "20Gi"'),
  storageClassName: Rules.name(NameRules.DNS1123_SUBDOMAIN),
} satisfies Shape;

const SETTING_VALUE: Rule = (v, field, value) => {
  if (typeof value === 'string' ? !/[\0-\x1f\x7f]/.test(value) : typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  v.report(field, value, 'is not a postgresql.conf value', 'use a one-line string, a finite number or true/false');
  return undefined;
};
const SETTING_NAME = Rules.is((n) => typeof n === 'string' && isSettingName(n), 'a postgresql.conf setting name', 'use a name such as "work_mem" or "timescaledb.max_background_workers"') as Rule<string>;

export const SHARED_POSTGRES_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  image,
  runAsUser: Rules.integer(1, 2147483647, "use the UID of the image's postgres user (70 for Alpine images, 999 for Debian ones)"),
  storage: Rules.object<PostgresStorage>(POSTGRES_STORAGE),
  resources: Rules.resources({ cpuRequest: '250m', memoryRequest: '512Mi', memoryLimit: '1Gi' }),
  settings: Rules.object<PostgresSettings>({
    sharedBuffers: PG_MEMORY,
    effectiveCacheSize: PG_MEMORY,
    workMem: PG_MEMORY,
    maintenanceWorkMem: PG_MEMORY,
    maxConnections: Rules.integer(10, 1000, 'keep it near 100 on a small node; each connection costs memory'),
    extra: Rules.record(SETTING_VALUE, SETTING_NAME),
  }),
  sharedPreloadLibraries: Rules.array(Rules.pattern(/^[a-z_][a-z0-9_]*$/, 'a library name', 'use names such as "timescaledb"')),
  backup: Rules.object<PostgresBackup>({
    enabled: Rules.boolean(),
    schedule: Rules.cron(),
    retentionDays: Rules.integer(1, 3650, 'use e.g. 7 (a week of nightly dumps)'),
    storage: Rules.object<PostgresStorage>(POSTGRES_STORAGE),
    resources: Rules.resources({ cpuRequest: '50m', memoryRequest: '64Mi', memoryLimit: '256Mi' }),
    s3: Rules.object<PostgresS3Upload>(s3UploadShape('dumps', 'PostgreSQL', 'novahost/postgres')),
    pitr: Rules.object<PostgresPointInTimeRecovery>({
      enabled: Rules.boolean(),
      rpoMinutes: Rules.integer(1, 60, 'use e.g. 5 (at most 5 minutes of writes lost)'),
      baseBackupSchedule: Rules.cron(),
      keepBaseBackups: Rules.integer(1, 100, 'keep e.g. 2'),
      retentionDays: Rules.integer(1, 3650, 'use e.g. 7'),
    }),
    drill: Rules.object<PostgresRestoreDrill>({
      enabled: Rules.boolean(),
      schedule: Rules.cron(),
      rowTolerance: Rules.number(0, 1, 'use a share such as 0.1'),
      minSizeRatio: Rules.number(0, 1, 'use a share such as 0.5'),
      maxDumpAgeHours: Rules.integer(1, 8760, 'use a little more than a day, e.g. 26'),
    }),
  }),
  metrics: Rules.boolean(),
} satisfies Shape;
