import { noSecretObjects } from '../../lib/checks/policies/no-secret-objects';
import { messages } from './fixtures';

const secret = (extra: object): any => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'demo' }, ...extra });

describe('no-secret-objects', () => {
  it('passes a Secret without values (and no Secret at all)', () => {
    expect(messages(noSecretObjects, [secret({ type: 'kubernetes.io/service-account-token' })])).toEqual([]);
  });

  it('flags data and stringData, naming the keys only', () => {
    expect(messages(noSecretObjects, [secret({ data: { password: 'aHVudGVyMg==' }, stringData: { user: 'app' } })])).toEqual([
      'Secret/db: carries values (password, user); keep secret values out of Git (ExternalSecret or a hand-made Secret, referenced by secretKeyRef)',
    ]);
  });
});
