// The Jobs the build-server would create from the template ConfigMaps, for the policy suite.
import { fillTemplate, TemplatePlaceholders } from './inputs';

/**
 * The Jobs the build-server creates at run time from the template ConfigMaps among `objects`,
 * filled with each placeholder's documented example, so checks that look at what runs (policies,
 * the Secret inventory) see them too.
 */
export function templateJobs(objects: readonly any[]): any[] {
  const examples = Object.fromEntries(Object.entries(TemplatePlaceholders).map(([k, v]) => [k, v.example])) as any;
  return objects
    .filter((o) => o.kind === 'ConfigMap' && typeof o.data?.['job.json'] === 'string')
    .map((o) => JSON.parse(fillTemplate(o.data['job.json'], examples)));
}
