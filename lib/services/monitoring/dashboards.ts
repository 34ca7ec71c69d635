// Grafana dashboards, loaded from the dashboards/ folder as ConfigMaps.
import * as fs from 'fs';
import * as path from 'path';

/** The folder of dashboard JSON files, at the repository root. */
export const DASHBOARDS_DIR = path.join(__dirname, '..', '..', '..', 'dashboards');

/** Label (and value) that Grafana's dashboard sidecar watches for. */
export const DASHBOARD_LABEL = { key: 'grafana_dashboard', value: '1' } as const;

/** Datasource uids the dashboards may name; provisioned by the Monitoring construct. */
export const Datasources = {
  PROMETHEUS: { type: 'prometheus', uid: 'prometheus' },
  LOKI: { type: 'loki', uid: 'loki' },
} as const;

export interface DashboardFile {
  /** File name without `.json`, e.g. `platform-overview`. */
  readonly name: string;
  /** The file's text, unchanged, so a diff of dist/ shows the diff of the file. */
  readonly json: string;
  readonly uid: string;
  readonly title: string;
}

/** Every dashboard under `dir`, sorted by name. Throws on a file that is not a dashboard. */
export function loadDashboards(dir: string = DASHBOARDS_DIR): DashboardFile[] {
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const json = fs.readFileSync(path.join(dir, f), 'utf8');
      let parsed: any;
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        throw new Error(`dashboards/${f}: is not JSON (${(e as Error).message})`);
      }
      if (typeof parsed?.uid !== 'string' || typeof parsed?.title !== 'string') {
        throw new Error(`dashboards/${f}: a dashboard needs a string "uid" and "title"`);
      }
      return { name: f.replace(/\.json$/, ''), json, uid: parsed.uid, title: parsed.title };
    });
}
