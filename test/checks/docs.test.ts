import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { allRules } from '../../src/checks/audit/audit.ts';
import { PROBE_RULES } from '../../src/checks/probe/findings.ts';
import { REPO } from '../helpers/corpus.ts';

test('docs/checks.md documents every probe and audit check id', () => {
  const doc = readFileSync(join(REPO, 'docs', 'checks.md'), 'utf8');
  for (const id of [...Object.keys(PROBE_RULES), ...allRules().map((r) => r.rule.id)]) assert.ok(doc.includes(`\`${id}\``), id);
});
