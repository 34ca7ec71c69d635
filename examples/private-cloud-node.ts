/**
 * The node of the private-cloud installation (examples/private-cloud.ts): its cloud-init user-data
 * and its k3s registries.yaml, rendered into docs/ by
 *
 *   node -r ./scripts/swc-register.js examples/private-cloud-node.ts
 *
 * A test checks that the files in docs/ are what this renders, and that they parse.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NodeStorage, renderCloudInit, renderRegistriesYaml } from '../lib';

/** Hetzner Cloud names an attached volume by its id; replace with yours (`hcloud volume describe`). */
export const VOLUME_DEVICE = '/dev/disk/by-id/scsi-0HC_Volume_REPLACE_WITH_VOLUME_ID';
/** The registry host and the user the node pulls as (examples/private-cloud.ts). */
export const REGISTRY_HOST = 'registry.novahost.example';
export const NODE_PULL_USER = 'k3s-node';

export function registriesYaml(): string {
  return renderRegistriesYaml({ host: REGISTRY_HOST, username: NODE_PULL_USER });
}

export function cloudInit(): string {
  return renderCloudInit({
    hostname: 'novahost-1',
    sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIREPLACEWITHYOURPUBLICKEY0000000000000000000 ops@novahost.example'],
    // Longhorn on the 50 GB volume; k3s's local-path is turned off so one default class remains.
    storage: NodeStorage.LONGHORN,
    volumeDevice: VOLUME_DEVICE,
    // The platform configures k3s's own Traefik (TraefikInstalls.K3S_BUNDLED): keep it.
    bundledTraefik: true,
    registriesYaml: registriesYaml(),
  });
}

/** docs/ file -> content. */
export function nodeFiles(): Record<string, string> {
  return { 'cloud-init.yaml': cloudInit(), 'registries.yaml': registriesYaml() };
}

if (require.main === module) {
  const docs = path.join(__dirname, '..', 'docs');
  for (const [file, text] of Object.entries(nodeFiles())) fs.writeFileSync(path.join(docs, file), text);
}
