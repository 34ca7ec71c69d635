// SharedRedis' props as a schema (core/prop-schema.ts): every prop checked at run time, each problem
// reported with its field, and bad values left out so construction goes on with the defaults.
import { pinnedImage } from '../../core/image';
import { NameRules } from '../../core/names';
import { Rules, Shape } from '../../core/prop-schema';
import { EvictionPolicies, Persistence } from './config';
import { s3UploadShape } from '../s3-upload-schema';
import type { RedisS3Upload, SharedRedisBackup } from './props';

const S3_UPLOAD = s3UploadShape('snapshots', 'Redis', 'shared/redis');

export const SHARED_REDIS_PROPS = {
  // Checked by the platform when it makes the namespace chart.
  namespace: Rules.any(),
  image: Rules.throwing(pinnedImage),
  persistence: Rules.enumLike(Persistence, 'Persistence'),
  maxmemory: Rules.pattern(/^[1-9][0-9]*(kb|mb|gb)$/, 'a Redis memory size (a whole number with kb, mb or gb, lower case)', 'use a size such as "256mb" or "1gb"'),
  evictionPolicy: Rules.enumLike(EvictionPolicies, 'EvictionPolicies'),
  databases: Rules.integer(1, 10000, 'use 16 (the Redis default) or more'),
  storageSize: Rules.quantity('memory'),
  storageClass: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  resources: Rules.resources({ cpuRequest: '50m', memoryRequest: '128Mi', memoryLimit: '512Mi' }),
  metrics: Rules.boolean(),
  keyPrefix: Rules.boolean(),
  backup: Rules.object<SharedRedisBackup>({
    enabled: Rules.boolean(),
    schedule: Rules.cron(),
    keep: Rules.integer(1, 1000, 'keep e.g. 24 (a day of hourly snapshots)'),
    storageSize: Rules.quantity('memory'),
    storageClass: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    resources: Rules.resources({ cpuRequest: '10m', memoryRequest: '32Mi', memoryLimit: '256Mi' }),
    s3: Rules.object<RedisS3Upload>(S3_UPLOAD),
  }),
} satisfies Shape;
