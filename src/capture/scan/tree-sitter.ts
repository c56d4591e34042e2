/**
 * The tree-sitter runtime (`web-tree-sitter`) and the grammars' `.wasm` files, loaded on first
 * use and offline: `tree-sitter-python` for Python, `tree-sitter-go` for Go.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The part of web-tree-sitter's syntax node the scanners use. */
export interface TsNode {
  type: string;
  text: string;
  children: TsNode[];
  namedChildren: TsNode[];
  parent: TsNode | null;
  startIndex: number;
  startPosition: { row: number; column: number };
  childForFieldName(name: string): TsNode | null;
}
export interface TsParser {
  parse(text: string): { rootNode: TsNode; delete?(): void } | null;
}

/** The version of the runtime the grammars are built for. */
export const WEB_TREE_SITTER = 'web-tree-sitter@0.27.2';

const parsers = new Map<string, Promise<TsParser>>();
/** `Parser.init()` once per process: a second call would swap the runtime under existing parsers. */
let runtime: Promise<void> | null = null;

/**
 * A parser for the grammar in package `pkg` (its `<pkg>.wasm`), loaded once. `what` names the
 * language in the error that says what to install.
 */
export function grammarParser(pkg: string, version: string, what: string): Promise<TsParser> {
  let parser = parsers.get(pkg);
  if (parser) return parser;
  parser = (async () => {
    const require = createRequire(import.meta.url);
    let wasm: string;
    let mod: {
      Parser: { init(): Promise<void>; new (): TsParser & { setLanguage(l: unknown): void } };
      Language: { load(path: string): Promise<unknown> };
    };
    try {
      wasm = join(dirname(require.resolve(`${pkg}/package.json`)), `${pkg}.wasm`);
      const specifier = 'web-tree-sitter';
      mod = (await import(specifier)) as typeof mod;
    } catch {
      throw new Error(
        `scanning ${what} needs the packages web-tree-sitter and ${pkg}: npm install ${WEB_TREE_SITTER} ${pkg}@${version}`,
      );
    }
    runtime ??= mod.Parser.init();
    runtime.catch(() => {
      runtime = null;
    });
    await runtime;
    const language = await mod.Language.load(wasm);
    const p = new mod.Parser();
    p.setLanguage(language);
    return p;
  })();
  parsers.set(pkg, parser);
  parser.catch(() => parsers.delete(pkg));
  return parser;
}
