// The prop rules of an off-site upload to S3-compatible storage (`backup.s3` of SharedPostgres and
// SharedRedis): the same fields, checked the same way, with each server's words in the fixes.
import { pinnedImage } from '../core/image';
import { NameRules } from '../core/names';
import { Rules, Shape } from '../core/prop-schema';

const SECRET_KEY = Rules.pattern(/^[-._a-zA-Z0-9]{1,253}$/, 'a Secret key (letters, digits, "-", "_", ".")', 'use e.g. "access-key-id"');
const image = Rules.throwing(pinnedImage);

/**
 * @param uploads what goes to the bucket (`dumps`, `snapshots`)
 * @param server the server's name in the Secret's fix (`PostgreSQL`, `Redis`)
 * @param prefix an example key prefix
 */
export function s3UploadShape(uploads: string, server: string, prefix: string) {
  return {
    endpoint: Rules.required(Rules.pattern(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'an http(s) endpoint URL without credentials or path', 'use e.g. "https://s3.eu-central-1.amazonaws.com"'), 'https://invalid.example',
      'give the S3 API endpoint, e.g. "https://s3.eu-central-1.amazonaws.com" or "https://fra1.digitaloceanspaces.com"'),
    bucket: Rules.required(Rules.pattern(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name', 'use 3-63 lower-case letters, digits, "." and "-"'), 'invalid', `name the bucket the ${uploads} go to`),
    prefix: Rules.pattern(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/, 'a key prefix without leading or trailing "/"', `use e.g. "${prefix}"`),
    region: Rules.pattern(/^[a-z0-9-]{1,32}$/, 'a region name', 'use e.g. "us-east-1"'),
    credentialsSecret: Rules.required(Rules.name(NameRules.DNS1123_SUBDOMAIN), 'invalid', `name the Secret (in the ${server} namespace) with the access keys`),
    accessKeyIdKey: SECRET_KEY,
    secretAccessKeyKey: SECRET_KEY,
    image,
    encryptionSecret: Rules.name(NameRules.DNS1123_SUBDOMAIN),
    encryptImage: image,
  } satisfies Shape;
}
