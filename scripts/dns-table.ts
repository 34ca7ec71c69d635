/** The hosts of a set of rendered objects (their Ingresses), as a table: `npm run dns`. */
export function hostTable(objects: readonly any[], markdown: boolean): string {
  const rows = new Map<string, { namespace: string; backends: Set<string> }>();
  for (const o of objects) {
    if (o.kind !== 'Ingress') continue;
    for (const rule of o.spec?.rules ?? []) {
      if (!rule.host) continue;
      const row = rows.get(rule.host) ?? { namespace: o.metadata.namespace, backends: new Set<string>() };
      for (const p of rule.http?.paths ?? []) {
        const svc = p.backend?.service;
        if (svc) row.backends.add(`${p.path ?? '/'} -> ${svc.name}:${svc.port?.number ?? svc.port?.name}`);
      }
      rows.set(rule.host, row);
    }
  }
  const body = [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([host, r]) => [host, r.namespace, [...r.backends].sort().join(', ')]);
  const head = ['host', 'namespace', 'paths'];
  if (markdown) return [`| ${head.join(' | ')} |`, '| --- | --- | --- |', ...body.map((r) => `| \`${r[0]}\` | \`${r[1]}\` | ${r[2].split(', ').map((x) => `\`${x}\``).join(', ')} |`)].join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}
