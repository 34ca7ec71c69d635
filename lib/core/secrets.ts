// Which constructs declare the Secret keys their objects read: the registry the secret inventory
// (checks/secrets) and the External Secrets construct read, instead of scanning the tree.
import { IConstruct } from 'constructs';
import { SecretKeyReference } from './handles';
import { Platform } from './platform';
import { FactKey } from './registry';

/** A construct whose objects read Secrets that the secrets tooling creates. */
export interface SecretDeclarer extends IConstruct {
  /** Read when the inventory is made (at synth or by `npm run secrets`), not when declared. */
  readonly secretReferences: SecretKeyReference[];
}

export const SECRET_DECLARERS = new FactKey('secret declarers', () => new Set<SecretDeclarer>());

/** Called from the declarer's constructor. */
export function declareSecrets(declarer: SecretDeclarer): void {
  Platform.of(declarer).registry.fact(SECRET_DECLARERS).add(declarer);
}

/** Every declarer of the platform, in construct-tree order (stable for any declaration order). */
export function secretDeclarers(platform: Platform): SecretDeclarer[] {
  const declared = platform.registry.fact(SECRET_DECLARERS);
  return platform.node.findAll().filter((c): c is SecretDeclarer => declared.has(c as SecretDeclarer));
}
