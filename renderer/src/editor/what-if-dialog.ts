// Before a save goes live: the recorded requests through the live version and the edited file; when decisions
// change, a dialog says so ("this change refuses 3 logins that succeed today") with both traces, and asks.
import type { ReplayChange, ReplaySide, StudioClient, WhatIfReport } from '../../../engine/api/contract';
import { openModal } from '../dialogs/modal';
import { h } from '../dom';

function traceText(s: ReplaySide): string {
  if (!s.trace) return s.stage_path.join('\n');
  return s.trace.map((r) => `${r.stage.padEnd(12)} ${r.name.padEnd(20)} ${r.result}${r.status_message ? `  "${r.status_message}"` : ''}${r.error ? `  error: ${r.error}` : ''}`).join('\n');
}

function sideView(label: string, s: ReplaySide): HTMLElement {
  return h('div', { class: 'what-if-side' },
    h('div', { class: 'what-if-decision' }, `${label}: ${s.decision}${s.status_message ? ` — ${s.status_message}` : ''}`),
    h('pre', { class: 'what-if-trace' }, traceText(s)));
}

function changeView(c: ReplayChange): HTMLElement {
  const who = [c.username || '(no user)', c.protocol, c.client_ip].filter(Boolean).join(' · ');
  return h('details', { class: 'what-if-change', 'data-testid': 'what-if-change' },
    h('summary', {}, `${who}: ${c.before.decision} → ${c.after.decision}${c.lookup_because ? ' (as a lookup: no password)' : ''}`),
    sideView('Live', c.before), sideView('Edited', c.after));
}

/**
 * Ask the studio what the edit would change for the recorded requests; true when the save should go ahead
 * (no corpus, nothing changes, the what-if itself failed, or the user confirmed).
 */
export async function confirmAgainstCorpus(client: StudioClient, path: string, content: string): Promise<boolean> {
  let report: WhatIfReport;
  try {
    report = await client.whatIf({ path, content });
  } catch {
    return true; // a file that does not load: the save reports its problems as usual
  }
  if (!report.corpus || report.changed.length === 0) return true;
  const body = h('div', { class: 'what-if' },
    h('p', { class: 'what-if-summary', 'data-testid': 'what-if-summary' }, `Of ${report.entries} recorded requests, ${report.summary}.`),
    report.password_note ? h('p', { class: 'what-if-note' }, report.password_note) : null,
    h('div', { class: 'what-if-list' }, ...report.changed.slice(0, 50).map(changeView)),
    report.changed.length > 50 ? h('p', {}, `…and ${report.changed.length - 50} more (authstudio replay lists them all).`) : null);
  const choice = await openModal(`Saving ${path} changes recorded decisions`, body, [{ id: 'save', label: 'Save and go live', primary: true }], { wide: true, testId: 'what-if' }).result;
  return choice === 'save';
}
