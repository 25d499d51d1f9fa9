/**
 * The committed OpenAPI document passes Redocly's linter (the `recommended` ruleset, configured in
 * redocly.yaml; the few problems kept on purpose are listed, with why, in .redocly.lint-ignore.yaml).
 * Needs the devDependency @redocly/cli; never skipped.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/package-root.js';

const run = promisify(execFile);
const ROOT = packageRoot();
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location?: Array<{ pointer?: string }>;
}

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: LintProblem[];
}

async function lint(): Promise<LintReport> {
  assert.ok(
    existsSync(REDOCLY),
    `Redocly CLI is missing at ${REDOCLY}: install the devDependency @redocly/cli@2.77.0 (npm ci)`,
  );
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run(REDOCLY, ['lint', 'openapi/openapi.json', '--format=json'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 << 20,
    }));
  } catch (err) {
    // redocly exits 1 when it finds errors; the report is still on stdout.
    const e = err as { stdout?: string; stderr?: string; message: string };
    if (!e.stdout) throw new Error(`redocly lint produced no report: ${e.message}\n${e.stderr ?? ''}`);
    stdout = e.stdout;
    stderr = e.stderr ?? '';
  }
  const start = stdout.indexOf('{');
  try {
    return JSON.parse(stdout.slice(start)) as LintReport;
  } catch {
    throw new Error(`redocly lint --format=json did not print a JSON report:\n${stdout}\n${stderr}`);
  }
}

const describeProblem = (p: LintProblem) => `${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer ?? '?'}: ${p.message}`;

describe('redocly lint openapi/openapi.json', () => {
  it('reports zero errors', async (t) => {
    const report = await lint();
    const errors = report.problems.filter((p) => p.severity === 'error');
    const warnings = report.problems.filter((p) => p.severity !== 'error');
    for (const w of warnings) t.diagnostic(describeProblem(w));
    assert.equal(report.totals.errors, errors.length, 'the totals agree with the problems listed');
    assert.deepEqual(errors.map(describeProblem), [], `redocly lint found ${errors.length} error(s); fix the route definitions, then npm run openapi`);
  });
});
