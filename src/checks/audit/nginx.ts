/**
 * nginx configuration reader: directives with arguments, blocks, quoted
 * strings and # comments, each with its line. Unbalanced braces and other
 * damage are reported as problems with a line; parsing goes on.
 */
export interface NginxDirective {
  name: string;
  args: string[];
  line: number;
  block?: NginxDirective[];
}

export interface NginxConfig {
  directives: NginxDirective[];
  problems: Array<{ line: number; message: string }>;
}

const MAX_DEPTH = 100;

export function parseNginx(text: string): NginxConfig {
  const problems: NginxConfig['problems'] = [];
  const root: NginxDirective[] = [];
  const stack: NginxDirective[][] = [root];
  let words: string[] = [];
  let wordsLine = 0;
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    // Any other whitespace too (\v, \f, NBSP): the word scanner below stops at \s and would not advance.
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < n && text[i] !== '\n') i++; continue; }
    if (c === ';' || c === '{') {
      if (words.length === 0) problems.push({ line, message: `unexpected '${c}'` });
      else {
        const d: NginxDirective = { name: words[0], args: words.slice(1), line: wordsLine };
        stack[stack.length - 1].push(d);
        if (c === '{') {
          d.block = [];
          if (stack.length > MAX_DEPTH) problems.push({ line, message: 'blocks nested too deep' });
          else stack.push(d.block);
        }
      }
      words = [];
      i++;
      continue;
    }
    if (c === '}') {
      if (words.length) { problems.push({ line: wordsLine, message: `directive '${words[0]}' has no ';'` }); words = []; }
      if (stack.length === 1) problems.push({ line, message: "unbalanced '}'" });
      else stack.pop();
      i++;
      continue;
    }
    let w = '';
    const startLine = line;
    if (c === '"' || c === "'") {
      i++;
      while (i < n && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < n) { w += text[i + 1]; i += 2; continue; }
        if (text[i] === '\n') line++;
        w += text[i++];
      }
      if (i >= n) problems.push({ line: startLine, message: 'unterminated string' });
      i++;
    } else {
      while (i < n && !/[\s;{}#]/.test(text[i])) w += text[i++];
    }
    if (words.length === 0) wordsLine = startLine;
    words.push(w);
  }
  if (words.length) problems.push({ line: wordsLine, message: `directive '${words[0]}' has no ';'` });
  if (stack.length > 1) problems.push({ line, message: `${stack.length - 1} unclosed block(s)` });
  return { directives: root, problems };
}

export function looksLikeNginx(text: string): boolean {
  return /^\s*(server|http|location|upstream)\b[^{;]*\{/m.test(text) || /^\s*(listen|server_name|proxy_pass|ssl_protocols)\s/m.test(text);
}

/** Directives named `name` directly inside `block`. */
export function find(block: NginxDirective[] | undefined, name: string): NginxDirective[] {
  return (block ?? []).filter((d) => d.name === name);
}

/** Every server block, with the http block around it (if any). */
export function servers(cfg: NginxConfig): Array<{ server: NginxDirective; http?: NginxDirective }> {
  const out: Array<{ server: NginxDirective; http?: NginxDirective }> = [];
  for (const d of cfg.directives) {
    if (d.name === 'server' && d.block) out.push({ server: d });
    if (d.name === 'http' && d.block) for (const s of find(d.block, 'server')) if (s.block) out.push({ server: s, http: d });
  }
  return out;
}

/** Locations of a server, including nested ones. */
export function locations(block: NginxDirective[] | undefined): NginxDirective[] {
  const out: NginxDirective[] = [];
  for (const d of block ?? []) {
    if (d.name === 'location' && d.block) { out.push(d); out.push(...locations(d.block)); }
  }
  return out;
}
