// Data volumes on the cluster the platform runs on: their StorageClass (the profile's retained one
// unless a construct names another) and the provider's size and reclaim rules.
import { IConstruct } from 'constructs';
import { configError } from './errors';
import { checkName, NameRules } from './names';
import { Platform } from './platform';
import { memoryBytes } from './quantity';

/**
 * The StorageClass of a data volume: `given`, else the cluster profile's data class (undefined:
 * the cluster's default class). Refuses a class the profile knows deletes volumes with their claims.
 */
export function dataStorageClass(scope: IConstruct, field: string, given: string | undefined): string | undefined {
  const cluster = Platform.of(scope).cluster;
  if (given !== undefined) {
    checkName(scope, field, given, NameRules.DNS1123_SUBDOMAIN);
    if (cluster.deletingStorageClasses?.includes(given)) {
      throw configError(scope, {
        field,
        value: given,
        problem: `deletes the volume when its claim is deleted (${cluster.kind}), so one removal would lose the data`,
        fix: `leave it unset for ${cluster.dataStorageClass ?? 'the retained class'}, or name a class with reclaimPolicy Retain`,
      });
    }
    return given;
  }
  return cluster.dataStorageClass;
}

/** The size when the provider can create it (at least its minimum volume size). */
export function checkVolumeSize(scope: IConstruct, field: string, size: string): string {
  const bytes = memoryBytes(scope, field, size);
  const min = Platform.of(scope).cluster.minVolumeSize;
  if (min && bytes < memoryBytes(scope, 'minVolumeSize', min)) {
    throw configError(scope, { field, value: size, problem: `is below the smallest volume the provider creates (${min})`, fix: `use at least "${min}"` });
  }
  return size;
}
