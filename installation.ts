// This installation's own settings, as data: the domain it serves, the ACME e-mail, the Git
// repository Argo CD syncs, and the DigitalOcean cluster (region, nodes, container registry).
// `npm run init -- --domain ... --email ... --repo ...` rewrites this file; main.ts reads it.

/** What makes this repository one installation rather than another (a fork's first change). */
export interface Installation {
  /** Base domain: apps are served on sub-domains of it (`novahost.<domain>`, `grafana.<domain>`). */
  readonly domain: string;
  /** The address Let's Encrypt sends certificate expiry notices to. */
  readonly acmeEmail: string;
  /** The repository (this one: your fork) and the branch or tag Argo CD syncs `dist/` from. */
  readonly git: { readonly repoURL: string; readonly revision: string };
  /**
   * The DigitalOcean Kubernetes cluster: region slug, its one node pool, the name of the
   * DigitalOcean Container Registry builds push to (`registry.digitalocean.com/<name>`), and the
   * Spaces bucket (in the same region) PostgreSQL's backups go to.
   */
  readonly cluster: {
    readonly region: string;
    readonly pool: { readonly size: string; readonly count: number };
    readonly containerRegistry: string;
    readonly backupBucket: string;
  };
}

export const INSTALLATION: Installation = {
  domain: 'shakalabs.com',
  acmeEmail: 'ops@shakalabs.com',
  git: { repoURL: 'https://github.com/shakalabs/novahost-infra.git', revision: 'main' },
  cluster: { region: 'fra1', pool: { size: 's-2vcpu-4gb', count: 3 }, containerRegistry: 'novahost', backupBucket: 'shakalabs-novahost-backups' },
};
