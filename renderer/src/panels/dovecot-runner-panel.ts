// The Dovecot runner: for a Dovecot Lua passdb/userdb script, pick a Dovecot request (IMAP login, master user, userdb
// lookup, ...) and the Dovecot version (2.3 / 2.4), press Run, and read what Dovecot would do in the trace view.
import { StudioError, type DovecotLookup, type DovecotPresetInfo, type DovecotProfile, type DovecotRunInput } from '../../../engine/api/contract';
import { emptyState, h, replace } from '../dom';
import { setDovecotProfile } from '../editor/dovecot-api';
import { failure } from '../notify';
import { workspacePath } from '../script-paths';
import type { StudioState } from '../studio-state';
import { TraceView } from './trace-view';

type Field = 'user' | 'password' | 'protocol' | 'remote_ip' | 'mechanism' | 'master_user' | 'local_ip' | 'local_port';
const MAIN: Field[] = ['user', 'password', 'protocol', 'remote_ip'];
const MORE: Field[] = ['mechanism', 'master_user', 'local_ip', 'local_port'];
const LOOKUPS: Array<[DovecotLookup, string]> = [['passdb_verify', 'passdb: login with password'], ['passdb_lookup', 'passdb: credentials lookup'], ['userdb_lookup', 'userdb lookup']];

/** The script the runner runs: its path and the editor's current text (sent when it has unsaved edits). */
export interface RunnerScript {
  path: string;
  text(): { content: string; dirty: boolean };
}

export class DovecotRunnerPanel {
  readonly el = h('section', { class: 'simulator dovecot-runner', 'aria-label': 'Dovecot runner', 'data-testid': 'dovecot-runner' });
  private presets: DovecotPresetInfo[] = [];
  private profile: DovecotProfile = '2.3';
  private script: RunnerScript | undefined;
  private readonly scriptLabel = h('code', { class: 'runner-script' });
  private readonly presetSel = h('select', { name: 'dovecot-preset', 'aria-label': 'Dovecot request' });
  private readonly lookup = h('select', { name: 'lookup', 'aria-label': 'Lookup' }, ...LOOKUPS.map(([v, l]) => h('option', { value: v }, l)));
  private readonly profileBtns = (['2.3', '2.4'] as DovecotProfile[]).map((p) => h('button', {
    type: 'button', class: 'seg', 'data-profile': p, 'aria-pressed': String(p === '2.3'), title: `Run as Dovecot ${p} does`, onclick: () => this.setProfile(p),
  }, `Dovecot ${p}`));
  private readonly inputs = new Map<Field, HTMLInputElement>();
  private readonly luaSettings = h('input', {
    name: 'lua_settings', autocomplete: 'off', spellcheck: 'false', placeholder: 'key=value, key=value', disabled: true,
    title: 'Dovecot 2.4: the passdb\'s lua_settings { } (script_init\'s argument); 2.3 has none',
  });
  private readonly description = h('div', { class: 'preset-desc' });
  private readonly runBtn = h('button', { class: 'primary', type: 'submit' }, 'Run');
  private readonly trace: TraceView;
  private readonly form: HTMLFormElement;

  constructor(private readonly state: StudioState, openAt: (file: string, line?: number) => void) {
    this.trace = new TraceView(openAt, (name) => workspacePath(name, state.status?.workspace ?? '', state.files), 'dovecot-trace');
    for (const f of [...MAIN, ...MORE]) this.inputs.set(f, h('input', { name: f, autocomplete: 'off', spellcheck: 'false', 'aria-label': f.replace('_', ' ') }));
    this.presetSel.addEventListener('change', () => this.applyPreset());
    this.form = h('form', { class: 'runner-form', onsubmit: (e: Event) => { e.preventDefault(); void this.run(); } },
      h('div', { class: 'row' }, h('span', { class: 'grow' }, 'Script ', this.scriptLabel), h('div', { class: 'segmented', role: 'group', 'aria-label': 'Dovecot version' }, ...this.profileBtns)),
      h('div', { class: 'row' }, h('label', { class: 'grow' }, 'Request', this.presetSel), h('label', {}, 'Lookup', this.lookup)),
      this.description,
      h('div', { class: 'grid2' }, ...MAIN.map((f) => h('label', {}, f.replace('_', ' '), this.inputs.get(f)!))),
      h('details', { class: 'more-fields' }, h('summary', {}, 'More fields'),
        h('div', { class: 'grid2' }, ...MORE.map((f) => h('label', {}, f.replace('_', ' '), this.inputs.get(f)!))),
        h('label', {}, 'lua_settings (2.4)', this.luaSettings)),
      h('div', { class: 'row end' }, h('span', { class: 'hint' }, 'Runs the script in the Dovecot harness (unsaved edits included)'), this.runBtn));
    replace(this.el, h('div', { class: 'sim-head' }, h('h2', {}, 'Dovecot runner')), this.form, this.trace.el);
    replace(this.trace.el, emptyState('Not run yet', 'Pick a request and a Dovecot version, set the user and password, and press Run: Dovecot\'s verdict, the HTTP calls and its log lines show up here.'));
    void this.load();
  }

  /** Show the runner for this script (undefined: none is open). */
  setScript(script: RunnerScript | undefined): void {
    this.script = script;
    this.scriptLabel.textContent = script?.path ?? '(no script)';
    this.runBtn.disabled = !script;
  }

  private setProfile(p: DovecotProfile): void {
    this.profile = p;
    setDovecotProfile(p);
    this.luaSettings.disabled = p !== '2.4';
    for (const b of this.profileBtns) b.setAttribute('aria-pressed', String(b.dataset.profile === p));
  }

  private async load(): Promise<void> {
    try {
      this.presets = await this.state.client.listDovecotPresets();
    } catch (e) {
      replace(this.form, emptyState('Dovecot requests could not be loaded', 'Check that the studio is running, then reload the page.'));
      failure(e, 'Dovecot runner');
      return;
    }
    replace(this.presetSel, ...this.presets.map((p) => h('option', { value: p.id }, p.label)));
    this.applyPreset();
    this.inputs.get('user')!.value = 'alice';
    this.inputs.get('password')!.value = 'alice-app-password';
  }

  private get preset(): DovecotPresetInfo | undefined {
    return this.presets.find((p) => p.id === this.presetSel.value);
  }

  /** The preset's request fields; the user and password typed so far stay. */
  private applyPreset(): void {
    const p = this.preset;
    if (!p) return;
    const i = p.input as Partial<Record<Field, string | number>> & { lookup?: DovecotLookup };
    for (const [f, input] of this.inputs) if (f !== 'user' && f !== 'password') input.value = i[f] === undefined ? '' : String(i[f]);
    this.lookup.value = i.lookup ?? 'passdb_verify';
    replace(this.description, p.description);
  }

  /** What Run sends, from the form. */
  input(): DovecotRunInput | undefined {
    if (!this.script) return undefined;
    const v = (f: Field) => this.inputs.get(f)!.value.trim();
    const { content, dirty } = this.script.text();
    const lookup = this.lookup.value as DovecotLookup;
    const input: DovecotRunInput = { path: this.script.path, profile: this.profile, lookup, user: v('user') };
    if (dirty) input.source = content;
    if (lookup !== 'userdb_lookup') input.password = this.inputs.get('password')!.value;
    for (const f of ['protocol', 'remote_ip', 'mechanism', 'master_user', 'local_ip'] as const) if (v(f)) input[f] = v(f);
    if (v('local_port')) input.local_port = Number(v('local_port'));
    if (this.profile === '2.4' && this.luaSettings.value.trim()) input.lua_settings = parseSettings(this.luaSettings.value);
    return input;
  }

  async run(): Promise<void> {
    if (!this.script) return;
    this.runBtn.disabled = true;
    this.trace.showBusy();
    try {
      this.trace.showDovecot(await this.state.client.runDovecot(this.input()!));
    } catch (e) {
      this.trace.showError(e);
    } finally {
      this.runBtn.disabled = false;
    }
  }
}

/** `key=value, key=value` -> an object (a pair without "=" is the user's mistake, named). */
function parseSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new StudioError({ code: 'AS_ERR_BAD_REQUEST', status: 400, path: 'lua_settings', message: `lua_settings: "${pair}" is not key=value` });
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}
