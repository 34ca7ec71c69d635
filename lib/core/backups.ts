// Which constructs hold state, and how each backs it up and restores it: the registry the README's
// data-safety block and disaster-recovery runbook (`npm run backups`) are generated from, so the
// construct that owns the data is the one that says what happens to it.
import { IConstruct } from 'constructs';
import { Platform } from './platform';
import { FactKey } from './registry';

/** One kind of state and what protects it, in the words of the README's table. */
export interface BackupRow {
  /** The state, with its namespace/name (`PostgreSQL \`shared/postgres\``). */
  readonly state: string;
  /** What is copied (or why nothing needs to be). */
  readonly what: string;
  /** Where the copies are. */
  readonly where: string;
  /** How often, with the schedules and retention. */
  readonly schedule: string;
  /** How to restore, as commands where there are any. */
  readonly restore: string;
}

/** A step of the way back from a lost cluster, after the new cluster, Argo CD and the Secrets. */
export interface RecoveryStep {
  /** Steps run in this order (lower first); ties keep construct-tree order. */
  readonly order: number;
  /** Shell lines: comments (`# ...`) and commands, as printed in the runbook. */
  readonly lines: readonly string[];
}

/** What one construct declares about the state it owns. */
export interface BackupPlan {
  readonly rows: readonly BackupRow[];
  /** Sentences on recovery point and time, for the state whose loss matters most. */
  readonly objectives?: readonly string[];
  /** Secrets (and keys) that must be restored with their old values, from an off-cluster copy. */
  readonly oldSecrets?: readonly string[];
  readonly recovery?: readonly RecoveryStep[];
}

/** A construct that owns state. */
export interface BackupDeclarer extends IConstruct {
  /** Read when the block is made (by `npm run backups` or a test), not when declared. */
  readonly backupPlan: BackupPlan;
}

export const BACKUP_DECLARERS = new FactKey('backup declarers', () => new Set<BackupDeclarer>());

/** Called from the declarer's constructor. */
export function declareBackups(declarer: BackupDeclarer): void {
  Platform.of(declarer).registry.fact(BACKUP_DECLARERS).add(declarer);
}

/** Every declarer of the platform, in construct-tree order. */
export function backupDeclarers(platform: Platform): BackupDeclarer[] {
  const declared = platform.registry.fact(BACKUP_DECLARERS);
  return platform.node.findAll().filter((c): c is BackupDeclarer => declared.has(c as BackupDeclarer));
}
