// The package's face as TypeScript sees it: every name lib/index.ts exports, with its kind.
import * as path from 'path';
import * as ts from 'typescript';

export const API_RECORD = path.join(__dirname, 'public-api.txt');

/** `class Platform`, `interface PlatformProps`, ...: sorted, one per line. */
export function publicApi(root = path.join(__dirname, '..', '..')): string[] {
  const entry = path.join(root, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, types: [], strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`cannot read the exports of ${entry}`);
  return checker.getExportsOfModule(module).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const f = target.flags;
    const kind = f & ts.SymbolFlags.Class ? 'class'
      : f & ts.SymbolFlags.Interface ? 'interface'
        : f & ts.SymbolFlags.TypeAlias ? 'type'
          : f & ts.SymbolFlags.Enum ? 'enum'
            : f & ts.SymbolFlags.Function ? 'function'
              : 'const';
    return `${kind} ${s.getName()}`;
  }).sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]) || a.localeCompare(b));
}

if (require.main === module) {
  // `node -r ./scripts/swc-register.js __tests__/architecture/public-api.ts --write` records the API.
  const lines = publicApi();
  if (process.argv.includes('--write')) require('fs').writeFileSync(API_RECORD, lines.join('\n') + '\n');
  else process.stdout.write(lines.join('\n') + '\n');
}
