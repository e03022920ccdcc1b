/**
 * A tolerant JSON reader for product configuration files (Orthanc and the
 * like): // and /* *\/ comments and trailing commas are allowed, and every
 * key and value keeps its line:column so that an audit rule can point at it.
 * Bad input never throws: the first syntax error is returned with its
 * location, together with everything parsed before it.
 */

export interface JPos {
  line: number;
  column: number;
}

export type JNode =
  | (JPos & { kind: 'object'; entries: JEntry[] })
  | (JPos & { kind: 'array'; items: JNode[] })
  | (JPos & { kind: 'string'; value: string })
  | (JPos & { kind: 'number'; value: number })
  | (JPos & { kind: 'boolean'; value: boolean })
  | (JPos & { kind: 'null' });

export interface JEntry {
  key: string;
  keyPos: JPos;
  value: JNode;
}

export interface JsoncResult {
  root?: JNode;
  error?: { message: string } & JPos;
}

/** Deep enough for any real configuration; bounds recursion on hostile input. */
const MAX_DEPTH = 200;

class JsoncSyntaxError extends Error {
  readonly pos: JPos;
  constructor(message: string, pos: JPos) {
    super(message);
    this.pos = pos;
  }
}

export function parseJsonc(text: string): JsoncResult {
  const p = new Parser(text);
  let root: JNode | undefined;
  try {
    p.skip();
    if (p.i >= text.length) throw new JsoncSyntaxError('empty document', p.pos());
    root = p.value(0, (n) => { root = n; });
    p.skip();
    if (p.i < text.length) throw new JsoncSyntaxError(`unexpected '${text[p.i]}' after the document`, p.pos());
    return { root };
  } catch (err) {
    if (err instanceof JsoncSyntaxError) return { root, error: { message: err.message, ...err.pos } };
    throw err;
  }
}

class Parser {
  readonly s: string;
  i = 0;
  line = 1;
  lineStart = 0;

  constructor(s: string) {
    this.s = s;
  }

  pos(): JPos {
    return { line: this.line, column: this.i - this.lineStart + 1 };
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  /** Whitespace and comments. */
  skip(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 10) { this.newline(this.i); this.i++; }
      else if (c === 32 || c === 9 || c === 13 || c === 0xfeff) this.i++;
      else if (c === 47 && s.charCodeAt(this.i + 1) === 47) {
        while (this.i < s.length && s.charCodeAt(this.i) !== 10) this.i++;
      } else if (c === 47 && s.charCodeAt(this.i + 1) === 42) {
        const start = this.pos();
        this.i += 2;
        while (this.i < s.length && !(s.charCodeAt(this.i) === 42 && s.charCodeAt(this.i + 1) === 47)) {
          if (s.charCodeAt(this.i) === 10) this.newline(this.i);
          this.i++;
        }
        if (this.i >= s.length) throw new JsoncSyntaxError('unterminated /* comment', start);
        this.i += 2;
      } else break;
    }
  }

  /** `attach` hands the node to its parent before children are read, so partial results survive an error. */
  value(depth: number, attach: (n: JNode) => void): JNode {
    if (depth > MAX_DEPTH) throw new JsoncSyntaxError(`nesting deeper than ${MAX_DEPTH}`, this.pos());
    const pos = this.pos();
    const c = this.s[this.i];
    if (c === '{') {
      const node: JNode = { kind: 'object', entries: [], ...pos };
      attach(node);
      this.i++;
      for (;;) {
        this.skip();
        if (this.s[this.i] === '}') { this.i++; return node; }
        const keyPos = this.pos();
        if (this.s[this.i] !== '"') throw new JsoncSyntaxError(this.i >= this.s.length ? 'unexpected end inside an object' : `expected a "key" or '}', found '${this.s[this.i]}'`, keyPos);
        const key = this.string();
        this.skip();
        if (this.s[this.i] !== ':') throw new JsoncSyntaxError(`expected ':' after "${key}"`, this.pos());
        this.i++;
        this.skip();
        const entry: JEntry = { key, keyPos, value: { kind: 'null', ...keyPos } };
        node.entries.push(entry);
        this.value(depth + 1, (v) => { entry.value = v; });
        this.skip();
        if (this.s[this.i] === ',') { this.i++; continue; }
        if (this.s[this.i] === '}') { this.i++; return node; }
        throw new JsoncSyntaxError(this.i >= this.s.length ? 'unexpected end inside an object' : `expected ',' or '}', found '${this.s[this.i]}'`, this.pos());
      }
    }
    if (c === '[') {
      const node: JNode = { kind: 'array', items: [], ...pos };
      attach(node);
      this.i++;
      for (;;) {
        this.skip();
        if (this.s[this.i] === ']') { this.i++; return node; }
        if (this.i >= this.s.length) throw new JsoncSyntaxError('unexpected end inside an array', this.pos());
        this.value(depth + 1, (v) => { node.items.push(v); });
        this.skip();
        if (this.s[this.i] === ',') { this.i++; continue; }
        if (this.s[this.i] === ']') { this.i++; return node; }
        throw new JsoncSyntaxError(this.i >= this.s.length ? 'unexpected end inside an array' : `expected ',' or ']', found '${this.s[this.i]}'`, this.pos());
      }
    }
    let node: JNode;
    if (c === '"') node = { kind: 'string', value: this.string(), ...pos };
    else if (this.s.startsWith('true', this.i)) { this.i += 4; node = { kind: 'boolean', value: true, ...pos }; }
    else if (this.s.startsWith('false', this.i)) { this.i += 5; node = { kind: 'boolean', value: false, ...pos }; }
    else if (this.s.startsWith('null', this.i)) { this.i += 4; node = { kind: 'null', ...pos }; }
    else {
      const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 64));
      if (!m) throw new JsoncSyntaxError(this.i >= this.s.length ? 'unexpected end, expected a value' : `unexpected '${c}', expected a value`, pos);
      this.i += m[0].length;
      node = { kind: 'number', value: Number(m[0]), ...pos };
    }
    attach(node);
    return node;
  }

  string(): string {
    const start = this.pos();
    const s = this.s;
    this.i++;
    let out = '';
    let run = this.i;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 34) {
        out += s.slice(run, this.i);
        this.i++;
        return out;
      }
      if (c === 10) throw new JsoncSyntaxError('unterminated string', start);
      if (c === 92) {
        out += s.slice(run, this.i);
        const e = s[this.i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) { out += simple[e]; this.i += 2; }
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else throw new JsoncSyntaxError('bad escape in string', this.pos());
        run = this.i;
        continue;
      }
      this.i++;
    }
    throw new JsoncSyntaxError('unterminated string', start);
  }
}

/** Member of an object node by key (the last one wins, as in Orthanc's reader). */
export function member(node: JNode | undefined, key: string): JEntry | undefined {
  if (!node || node.kind !== 'object') return undefined;
  for (let k = node.entries.length - 1; k >= 0; k--) if (node.entries[k].key === key) return node.entries[k];
  return undefined;
}

/** Plain JavaScript value of a node (for snapshots and settings). */
export function toPlain(node: JNode): unknown {
  switch (node.kind) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const e of node.entries) o[e.key] = toPlain(e.value);
      return o;
    }
    case 'array': return node.items.map(toPlain);
    case 'null': return null;
    default: return node.value;
  }
}
