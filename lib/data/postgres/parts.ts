// What the server and Jobs files need of a SharedPostgres, so they do not import the construct
// (which imports them).
import { k8s } from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { SecretKeyReference, ServerEndpoint } from '../../core/handles';
import { ComponentIdentity } from '../../core/names';
import { PostgresSettingValue } from './config';
import { PostgresDatabase } from './database';
import { ResolvedBackup } from './settings';

export interface PostgresServerParts extends IConstruct {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly endpoint: ServerEndpoint;
  readonly settings: ReadonlyArray<readonly [string, PostgresSettingValue]>;
  readonly superuserPassword: SecretKeyReference;
  readonly exporterPassword?: SecretKeyReference;
  readonly replicationPassword?: SecretKeyReference;
  readonly identity: ComponentIdentity;
  readonly backup: ResolvedBackup;
  readonly databaseHandles: PostgresDatabase[];
  labels(component?: string): Record<string, string>;
  superuserEnv(): k8s.EnvVar[];
  podSecurity(): k8s.PodSecurityContext;
}
