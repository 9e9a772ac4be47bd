// JUnit XML of an `authstudio test` run (one testsuite per test file), as CI systems read it.
import type { CaseResult } from './suite';

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)
    // XML 1.0 forbids most control characters even escaped
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

export function toJunit(cases: CaseResult[]): string {
  const byFile = new Map<string, CaseResult[]>();
  for (const c of cases) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c]);
  const failed = cases.filter((c) => !c.passed).length;
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const total = cases.reduce((s, c) => s + c.durationMs, 0);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="authstudio test" tests="${cases.length}" failures="${failed}" time="${secs(total)}">`];
  for (const [file, list] of byFile) {
    const f = list.filter((c) => !c.passed).length;
    out.push(`  <testsuite name="${esc(file)}" tests="${list.length}" failures="${f}" errors="0" time="${secs(list.reduce((s, c) => s + c.durationMs, 0))}">`);
    for (const c of list) {
      out.push(`    <testcase name="${esc(c.name)}" classname="${esc(`${c.kind}.${file}`)}" file="${esc(file)}" line="${c.line}" time="${secs(c.durationMs)}">`);
      if (!c.passed) {
        out.push(`      <failure message="${esc(c.failures[0] ?? 'failed')}">${esc([...c.failures, c.detail ?? ''].join('\n'))}</failure>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
