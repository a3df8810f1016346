// The syntax trees of the project's own TypeScript, read with the TypeScript compiler's API (the
// `typescript` dev dependency: its unstable/sync API asks the bundled tsgo for the program of
// tsconfig.json), for lint tests that judge code by its shape: the outermost functions of a file
// with their lines, and the try statements in it. No build, no network.
import { join } from 'node:path';
import { SyntaxKind } from 'typescript/unstable/ast';
import { skipTrivia } from 'typescript/unstable/ast/scanner';
import { API } from 'typescript/unstable/sync';
import { ROOT } from '../helpers/ansible.ts';

/** The parts of a syntax node these lint tests read. */
export interface SyntaxNode {
  readonly kind: SyntaxKind;
  readonly pos: number;
  readonly end: number;
  readonly parent?: SyntaxNode;
  forEachChild<T>(visitor: (node: SyntaxNode) => T): T | undefined;
}

export interface ParsedFile {
  /** Path relative to the repository root. */
  file: string;
  text: string;
  root: SyntaxNode;
  /** 1-based line of a position. */
  lineOf(position: number): number;
}

const FUNCTION_KINDS = new Set<SyntaxKind>([
  SyntaxKind.FunctionDeclaration,
  SyntaxKind.FunctionExpression,
  SyntaxKind.ArrowFunction,
  SyntaxKind.MethodDeclaration,
  SyntaxKind.Constructor,
  SyntaxKind.GetAccessor,
  SyntaxKind.SetAccessor,
]);

/** Parses the given repository files (each must belong to tsconfig.json's program). */
export function parseFiles(files: readonly string[]): ParsedFile[] {
  const api = new API({ cwd: ROOT });
  try {
    const snapshot = api.updateSnapshot({ openProjects: [join(ROOT, 'tsconfig.json')] });
    const project = snapshot.getProjects()[0];
    if (!project) throw new Error('tsconfig.json gave no project');
    return files.map((file) => {
      const source = project.program.getSourceFile(join(ROOT, file));
      if (!source) throw new Error(`${file} is not part of tsconfig.json's program`);
      const starts = source.getLineStarts();
      const lineOf = (position: number) => {
        let low = 0;
        let high = starts.length - 1;
        while (low < high) {
          const middle = (low + high + 1) >> 1;
          if ((starts[middle] as number) <= position) low = middle;
          else high = middle - 1;
        }
        return low + 1;
      };
      return { file, text: source.text, root: source as unknown as SyntaxNode, lineOf };
    });
  } finally {
    api.close();
  }
}

/** A function as written: its name (or where it stands), and its first and last line. */
export interface FunctionSpan {
  name: string;
  startLine: number;
  endLine: number;
  lines: number;
}

function nameOf(node: SyntaxNode, text: string): string {
  const named = (candidate: SyntaxNode | undefined): string | undefined => {
    const name = (candidate as { name?: SyntaxNode } | undefined)?.name;
    return name ? text.slice(skipTrivia(text, name.pos), name.end) : undefined;
  };
  const own = named(node);
  if (own) return own;
  const parent = node.parent;
  // const f = () => …, { run: () => … }, class { f = () => … }
  if (parent && named(parent)) return named(parent) as string;
  return `(anonymous ${SyntaxKind[node.kind]})`;
}

/** The outermost functions of a file (declarations, methods, arrows, …): each is counted whole, nested ones inside it. */
export function outermostFunctions(parsed: ParsedFile): FunctionSpan[] {
  const found: FunctionSpan[] = [];
  const visit = (node: SyntaxNode): undefined => {
    if (FUNCTION_KINDS.has(node.kind)) {
      const startLine = parsed.lineOf(skipTrivia(parsed.text, node.pos));
      const endLine = parsed.lineOf(node.end - 1);
      found.push({ name: nameOf(node, parsed.text), startLine, endLine, lines: endLine - startLine + 1 });
      return undefined;
    }
    node.forEachChild(visit);
    return undefined;
  };
  parsed.root.forEachChild(visit);
  return found;
}

/** The 1-based lines of every `try` statement with a `catch` clause, and of every `.catch(` call. */
export function catchLines(parsed: ParsedFile): number[] {
  const lines: number[] = [];
  const visit = (node: SyntaxNode): undefined => {
    if (node.kind === SyntaxKind.CatchClause) lines.push(parsed.lineOf(skipTrivia(parsed.text, node.pos)));
    if (node.kind === SyntaxKind.CallExpression) {
      const callee = (node as { expression?: SyntaxNode }).expression;
      const member = callee?.kind === SyntaxKind.PropertyAccessExpression ? (callee as { name?: SyntaxNode }).name : undefined;
      if (member && parsed.text.slice(skipTrivia(parsed.text, member.pos), member.end) === 'catch')
        lines.push(parsed.lineOf(skipTrivia(parsed.text, member.pos)));
    }
    node.forEachChild(visit);
    return undefined;
  };
  parsed.root.forEachChild(visit);
  return lines;
}
