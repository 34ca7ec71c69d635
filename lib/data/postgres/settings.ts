// SharedPostgres' settings resolved once, in the constructor: postgresql.conf, backups, volumes.
import { IConstruct } from 'constructs';
import { configError } from '../../core/errors';
import { pinnedImage } from '../../core/image';
import { checkName, NameRules } from '../../core/names';
import { checkVolumeSize, dataStorageClass } from '../../core/volumes';
import { isSettingName, PG_HBA_FILE, PostgresSettingValue } from './config';
import { archiveCommand, restoreCommand } from './pitr';
import {
  CONFIG_DIR, DEFAULT_ENCRYPT_IMAGE, DEFAULT_S3_UPLOAD_IMAGE, PORT, PostgresBackup, PostgresSettings, PostgresStorage, SOCKET_DIR, WAL_ARCHIVE_DIR,
} from './props';

/** Continuous archiving with its defaults applied. */
export interface ResolvedPitr {
  readonly rpoMinutes: number;
  readonly baseBackupSchedule: string;
  readonly keepBaseBackups: number;
  readonly retentionDays: number;
}

/** The restore drill with its defaults applied. */
export interface ResolvedDrill {
  readonly schedule: string;
  readonly rowTolerance: number;
  readonly minSizeRatio: number;
  readonly maxDumpAgeHours: number;
}

/** Backups with their defaults applied; `pitr` and `drill` are undefined when off. */
export type ResolvedBackup = Omit<PostgresBackup, 'pitr' | 'drill'> & {
  enabled: boolean; schedule: string; retentionDays: number; pitr?: ResolvedPitr; drill?: ResolvedDrill;
};

/** postgresql.conf settings of continuous archiving (before `extra`, which may override them). */
export function archiveSettings(pitr: ResolvedPitr | undefined): Array<[string, PostgresSettingValue]> {
  if (!pitr) return [];
  return [
    ['wal_level', 'replica'],
    ['archive_mode', 'on'],
    ['archive_command', archiveCommand(WAL_ARCHIVE_DIR)],
    // The recovery point objective: a segment is switched and archived at least this often
    // while there are writes.
    ['archive_timeout', `${pitr.rpoMinutes}min`],
    // Read only in recovery (a restored data folder with recovery.signal).
    ['restore_command', restoreCommand(WAL_ARCHIVE_DIR)],
    ['max_wal_senders', 4],
  ];
}
/** A volume with its size resolved. */
export type ResolvedStorage = Required<Pick<PostgresStorage, 'size'>> & PostgresStorage;

/** postgresql.conf settings, in file order: the platform's, then `extra` (sorted) over them. */
export function resolveSettings(
  scope: IConstruct, s: PostgresSettings, sharedPreloadLibraries: readonly string[], more: Array<[string, PostgresSettingValue]> = [],
): Array<[string, PostgresSettingValue]> {
  const memory = (field: keyof PostgresSettings, value: string | undefined, fallback: string): string => {
    const v = value ?? fallback;
    if (typeof v !== 'string' || !/^[1-9][0-9]*(kB|MB|GB)$/.test(v)) {
      throw configError(scope, { field: `settings.${field}`, value, problem: 'is not a PostgreSQL memory size', fix: `write it as a whole number with kB, MB or GB, e.g. "${fallback}"` });
    }
    return v;
  };
  const maxConnections = s.maxConnections ?? 100;
  if (!Number.isInteger(maxConnections) || maxConnections < 10 || maxConnections > 1000) {
    throw configError(scope, { field: 'settings.maxConnections', value: s.maxConnections, problem: 'is not a whole number from 10 to 1000', fix: 'keep it near 100 on a small node; each connection costs memory' });
  }
  const timescale = sharedPreloadLibraries.includes('timescaledb');
  const settings = new Map<string, PostgresSettingValue>([
    ['listen_addresses', '*'],
    ['port', PORT],
    ['unix_socket_directories', SOCKET_DIR],
    ['max_connections', maxConnections],
    ['password_encryption', 'scram-sha-256'],
    // Client authentication from the rendered file beside postgresql.conf, not initdb's (which trusts loopback).
    ['hba_file', `${CONFIG_DIR}/${PG_HBA_FILE}`],
    ['shared_preload_libraries', sharedPreloadLibraries.join(',')],
    ['shared_buffers', memory('sharedBuffers', s.sharedBuffers, '256MB')],
    ['effective_cache_size', memory('effectiveCacheSize', s.effectiveCacheSize, '768MB')],
    ['work_mem', memory('workMem', s.workMem, '8MB')],
    ['maintenance_work_mem', memory('maintenanceWorkMem', s.maintenanceWorkMem, '128MB')],
    // Huge pages in a pod's cgroup can end in SIGBUS when the node has some; shared memory
    // of this size gains little from them.
    ['huge_pages', 'off'],
    ['dynamic_shared_memory_type', 'posix'],
    ['max_worker_processes', 16],
    ['max_parallel_workers', 2],
    ['max_parallel_workers_per_gather', 1],
    ['max_parallel_maintenance_workers', 1],
    ['wal_compression', true],
    ['min_wal_size', '256MB'],
    ['max_wal_size', '1GB'],
    ['checkpoint_completion_target', 0.9],
    ['random_page_cost', 1.1],
    ['effective_io_concurrency', 200],
    ['log_min_duration_statement', '2s'],
    ['log_line_prefix', '%m [%p] %q%u@%d '],
    ['log_timezone', 'UTC'],
    ['timezone', 'UTC'],
    ['datestyle', 'iso, mdy'],
    ['default_text_search_config', 'pg_catalog.english'],
    ...(timescale ? [
      ['timescaledb.telemetry_level', 'off'],
      // One scheduler per TimescaleDB database plus job workers; within max_worker_processes.
      ['timescaledb.max_background_workers', 8],
    ] as Array<[string, PostgresSettingValue]> : []),
    ...more,
  ]);
  for (const [name, value] of Object.entries(s.extra ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (name === 'hba_file' || name === 'config_file') {
      throw configError(scope, { field: `settings.extra.${name}`, value, problem: 'would replace the file the platform renders', fix: 'remove it: client authentication and settings come from the SharedPostgres props' });
    }
    if (!isSettingName(name) || !['string', 'number', 'boolean'].includes(typeof value)) {
      throw configError(scope, { field: `settings.extra.${name}`, value, problem: 'is not a postgresql.conf setting', fix: 'use a setting name such as "work_mem" with a string, number or boolean value' });
    }
    settings.set(name, value);
  }
  return [...settings.entries()];
}

/** Backups with defaults, validated. */
export function resolveBackup(scope: IConstruct, b: PostgresBackup): ResolvedBackup {
  const schedule = b.schedule ?? '17 3 * * *';
  if (typeof schedule !== 'string' || !/^(\S+\s+){4}\S+$/.test(schedule.trim())) {
    throw configError(scope, { field: 'backup.schedule', value: b.schedule, problem: 'is not a five-field cron schedule', fix: 'write it like "17 3 * * *" (03:17 UTC daily)' });
  }
  const retentionDays = b.retentionDays ?? 7;
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 3650) {
    throw configError(scope, { field: 'backup.retentionDays', value: b.retentionDays, problem: 'is not a whole number of days from 1 to 3650', fix: 'use e.g. 7 (a week of nightly dumps)' });
  }
  if (b.s3) {
    const s3 = b.s3;
    if (!/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(s3.endpoint ?? '')) {
      throw configError(scope, { field: 'backup.s3.endpoint', value: s3.endpoint, problem: 'is not an http(s) endpoint URL without a path', fix: 'use e.g. "https://s3.eu-central-1.amazonaws.com" or "https://minio.example.com"' });
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket ?? '')) {
      throw configError(scope, { field: 'backup.s3.bucket', value: s3.bucket, problem: 'is not an S3 bucket name', fix: 'use 3-63 lower-case letters, digits, "." and "-"' });
    }
    if (s3.prefix !== undefined && !/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(s3.prefix)) {
      throw configError(scope, { field: 'backup.s3.prefix', value: s3.prefix, problem: 'is not a key prefix without leading or trailing "/"', fix: 'use e.g. "novahost/postgres"' });
    }
    checkName(scope, 'backup.s3.credentialsSecret', s3.credentialsSecret, NameRules.DNS1123_SUBDOMAIN);
    pinnedImage(scope, 'backup.s3.image', s3.image ?? DEFAULT_S3_UPLOAD_IMAGE);
    pinnedImage(scope, 'backup.s3.encryptImage', s3.encryptImage ?? DEFAULT_ENCRYPT_IMAGE);
    if (s3.encryptionSecret !== undefined) checkName(scope, 'backup.s3.encryptionSecret', s3.encryptionSecret, NameRules.DNS1123_SUBDOMAIN);
  }
  const { pitr: pitrProps, drill: drillProps, ...rest } = b;
  const whole = (field: string, value: unknown, fallback: number, min: number, max: number, fix: string): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw configError(scope, { field, value, problem: `is not a whole number from ${min} to ${max}`, fix });
    }
    return v;
  };
  const share = (field: string, value: unknown, fallback: number, fix: string): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v > 0 && v < 1)) throw configError(scope, { field, value, problem: 'is not a share between 0 and 1', fix });
    return v;
  };
  let pitr: ResolvedPitr | undefined;
  if (pitrProps?.enabled ?? true) {
    const p = pitrProps ?? {};
    pitr = {
      rpoMinutes: whole('backup.pitr.rpoMinutes', p.rpoMinutes, 5, 1, 60, 'use e.g. 5: at most 5 minutes of writes lost'),
      baseBackupSchedule: cron(scope, 'backup.pitr.baseBackupSchedule', p.baseBackupSchedule, '47 2 * * *'),
      keepBaseBackups: whole('backup.pitr.keepBaseBackups', p.keepBaseBackups, 2, 1, 100, 'keep at least 1; 2 survives one bad base backup'),
      retentionDays: whole('backup.pitr.retentionDays', p.retentionDays, retentionDays, 1, 3650, 'use e.g. 7: restores to any moment of the last week'),
    };
  }
  let drill: ResolvedDrill | undefined;
  if (drillProps?.enabled ?? true) {
    const d = drillProps ?? {};
    drill = {
      schedule: cron(scope, 'backup.drill.schedule', d.schedule, '37 4 * * *'),
      rowTolerance: share('backup.drill.rowTolerance', d.rowTolerance, 0.1, 'use e.g. 0.1 (10 %)'),
      minSizeRatio: share('backup.drill.minSizeRatio', d.minSizeRatio, 0.5, 'use e.g. 0.5: a dump half the size of the one before fails the drill'),
      maxDumpAgeHours: whole('backup.drill.maxDumpAgeHours', d.maxDumpAgeHours, 26, 1, 24 * 31, 'use e.g. 26 for nightly dumps'),
    };
  }
  return { ...rest, enabled: b.enabled ?? true, schedule: schedule.trim(), retentionDays, pitr, drill };
}

function cron(scope: IConstruct, field: string, value: unknown, fallback: string): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || !/^(\S+\s+){4}\S+$/.test(v.trim())) {
    throw configError(scope, { field, value, problem: 'is not a five-field cron schedule', fix: `write it like "${fallback}"` });
  }
  return v.trim();
}

/** A volume's size and class, validated. */
export function storageOf(scope: IConstruct, field: string, s: PostgresStorage | undefined): ResolvedStorage {
  const size = s?.size ?? '20Gi';
  if (typeof size !== 'string' || !/^[1-9][0-9]*(Mi|Gi|Ti)$/.test(size)) {
    throw configError(scope, { field: `${field}.size`, value: s?.size, problem: 'is not a storage size', fix: 'write a whole number with Mi, Gi or Ti, e.g. "20Gi"' });
  }
  checkVolumeSize(scope, `${field}.size`, size);
  return { size, storageClassName: dataStorageClass(scope, `${field}.storageClassName`, s?.storageClassName) };
}
