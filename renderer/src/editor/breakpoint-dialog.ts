// The breakpoint dialog (Shift+click or right-click in the gutter): one line's condition, hit count and log message.
// The hit count is checked as it is typed; on Save the studio checks all three (a condition or `{expr}` that is no
// Lua expression) and the dialog stays open saying what is wrong. (Electron has no window.prompt: this replaces it.)
import type { DebugBreakpointSpec } from '../../../engine/api/contract';
import { h, replace } from '../dom';
import { openModal } from '../dialogs/modal';

/** The hit counts the engine reads (engine/debug/breakpoints.ts): N, >= N, > N, == N, % N. */
const HIT_COUNT = /^\s*(>=|>|==|=|%)?\s*(\d+)\s*$/;

/** What is wrong with a hit count as typed, or '' (empty: no hit count). */
export function hitCountProblem(text: string): string {
  if (text.trim() === '') return '';
  const m = HIT_COUNT.exec(text);
  if (!m) return `Hit count "${text.trim()}" is not understood: use N or >= N (the Nth hit and after), > N, == N (only the Nth) or % N (every Nth).`;
  if (m[1] === '%' && Number(m[2]) === 0) return 'Hit count % needs a number above 0.';
  return '';
}

/** What a breakpoint is, in words: the hover of its glyph. */
export function describeBreakpoint(bp: DebugBreakpointSpec): string {
  const when = [bp.condition ? `if \`${bp.condition}\`` : '', bp.hit_condition ? `on hit count \`${bp.hit_condition.trim()}\`` : ''].filter(Boolean).join(', ');
  if (bp.log_message !== undefined) return `Log point: prints \`${bp.log_message}\`${when ? ` ${when}` : ''} without pausing`;
  return when ? `Breakpoint: pauses ${when}` : 'Breakpoint';
}

/**
 * Edit the breakpoint of `path:line`. `apply` sends a spec (undefined: remove the breakpoint) and resolves with what
 * the studio refused ('' when it took it); the dialog closes once it is taken.
 */
export async function editBreakpoint(path: string, line: number, current: DebugBreakpointSpec | undefined, apply: (spec: DebugBreakpointSpec | undefined) => Promise<string>): Promise<void> {
  const condition = h('input', { name: 'condition', value: current?.condition ?? '', placeholder: 'e.g. request.username == "carol"', spellcheck: 'false', autocomplete: 'off' });
  const hitCount = h('input', { name: 'hit_condition', value: current?.hit_condition ?? '', placeholder: 'e.g. 3, >= 3, == 3, % 2', spellcheck: 'false', autocomplete: 'off' });
  const logMessage = h('input', { name: 'log_message', value: current?.log_message ?? '', placeholder: 'e.g. user {request.username} from {request.client_ip}', spellcheck: 'false', autocomplete: 'off' });
  const error = h('div', { class: 'field-error', role: 'alert', 'data-testid': 'breakpoint-error' });
  const say = (text: string, field?: HTMLInputElement) => {
    replace(error, text);
    for (const f of [condition, hitCount, logMessage]) f.setAttribute('aria-invalid', f === field && text ? 'true' : 'false');
  };
  hitCount.addEventListener('input', () => say(hitCountProblem(hitCount.value), hitCount));
  const spec = (): DebugBreakpointSpec => ({
    line,
    ...(condition.value.trim() ? { condition: condition.value.trim() } : {}),
    ...(hitCount.value.trim() ? { hit_condition: hitCount.value.trim() } : {}),
    ...(logMessage.value !== '' ? { log_message: logMessage.value } : {}),
  });
  const accept = async (id: string): Promise<boolean> => {
    if (id === 'remove') return (await apply(undefined)) === '';
    const local = hitCountProblem(hitCount.value);
    if (local) {
      say(local, hitCount);
      hitCount.focus();
      return false;
    }
    const refused = await apply(spec());
    if (refused) say(refused, /^condition/.test(refused) ? condition : /^log/.test(refused) ? logMessage : /^hit/.test(refused) ? hitCount : undefined);
    return refused === '';
  };
  // Enter in any field saves
  const onEnter = (e: Event) => {
    if ((e as KeyboardEvent).key !== 'Enter') return;
    e.preventDefault();
    void modal.submit('save');
  };
  const body = h('form', { class: 'form breakpoint-form', onkeydown: onEnter, onsubmit: (e: Event) => e.preventDefault() },
    h('label', {}, 'Condition (a Lua expression in the paused frame: pause only when it holds)', condition),
    h('label', {}, 'Hit count (N or >= N: from the Nth hit on; > N; == N: only the Nth; % N: every Nth)', hitCount),
    h('label', {}, 'Log message (printed in the Debug output instead of pausing; {expr} parts are evaluated)', logMessage),
    error,
    h('div', { class: 'hint' }, 'All empty: a plain breakpoint. A plain click in the gutter sets or clears one.'));
  const buttons = [...(current ? [{ id: 'remove', label: 'Remove' }] : []), { id: 'save', label: 'Save', primary: true }];
  const modal = openModal(`Breakpoint at ${path}:${line}`, body, buttons, { testId: 'breakpoint-dialog', accept });
  condition.focus();
  await modal.result;
}
