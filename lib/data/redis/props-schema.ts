// SharedRedis' props as a schema (core/prop-schema.ts): every prop checked at run time, each problem
// reported with its field, and bad values left out so construction goes on with the defaults.
import { pinnedImage } from '../../core/image';
import { NameRules } from '../../core/names';
import { Rules, Shape } from '../../core/prop-schema';
import { EvictionPolicies, Persistence } from './config';
import type { RedisS3Upload, SharedRedisBackup } from './props';

const SECRET_KEY = Rules.pattern(/^[-._a-zA-Z0-9]{1,253}$/, 'a Secret key (letters, digits, "-", "_", ".")', 'use e.g. "access-key-id"');
const image = Rules.throwing(pinnedImage);

/** The same rules as SharedPostgres' backup.s3 (postgres/props-schema.ts), for the same fields. */
const S3_UPLOAD = {
  endpoint: Rules.required(Rules.pattern(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'an http(s) endpoint URL without credentials or path', 'use e.g. "https://s3.eu-central-1.amazonaws.com"'), 'https://invalid.example',
    'give the S3 API endpoint, e.g. "https://s3.eu-central-1.amazonaws.com" or "https://fra1.digitaloceanspaces.com"'),
  bucket: Rules.required(Rules.pattern(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name', 'use 3-63 lower-case letters, digits, "." and "-"'), 'invalid', 'name the bucket the snapshots go to'),
  prefix: Rules.pattern(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, 'a key prefix without leading or trailing "/"', 'use e.g. "shared/redis"'),
  region: Rules.pattern(/^[a-z0-9-]{1,32}$/, 'a region name', 'use e.g. "us-east-1"'),
  credentialsSecret: Rules.required(Rules.name(NameRules.DNS1123_SUBDOMAIN), 'invalid', 'name the Secret (in the Redis namespace) with the access keys'),
  accessKeyIdKey: SECRET_KEY,
  secretAccessKeyKey: SECRET_KEY,
  image,
  encryptionSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
  encryptImage: image,
} satisfies Shape;

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
