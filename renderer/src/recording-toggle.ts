// The status bar's recording switch: whether the studio keeps its requests in the workspace corpus, which a save
// then replays to show what an edit would change (see editor/what-if-dialog.ts). Passwords only via --record-passwords.
import type { RecordingStatus, StudioClient } from '../../engine/api/contract';
import { h, replace } from './dom';
import { failure } from './notify';

export class RecordingToggle {
  readonly el = h('button', { class: 'sb-item sb-button', 'data-sb': 'recording', type: 'button' });
  private status: RecordingStatus | undefined;

  constructor(private readonly client: StudioClient) {
    this.el.addEventListener('click', () => void this.toggle());
    // the count is re-read when looked at and after traffic runs, not polled: the status poll is enough load
    this.el.addEventListener('mouseenter', () => this.refresh());
    void client.getRecording().then((s) => this.render(s), () => this.render(undefined));
  }

  private async toggle(): Promise<void> {
    const on = !this.status?.enabled;
    try {
      // switching on from here never records passwords; keep the mode the studio was started with when it had them
      this.render(await this.client.setRecording({ enabled: on, passwords: on && this.status?.passwords === true }));
    } catch (e) {
      failure(e, on ? 'Starting to record' : 'Stopping the recording');
    }
  }

  private render(s: RecordingStatus | undefined): void {
    this.status = s;
    this.el.dataset.recording = s?.enabled ? 'on' : 'off';
    this.el.title = s?.enabled
      ? `Requests go to ${s.dir}${s.passwords ? ' (passwords sealed with this machine\'s key)' : ' (without passwords)'}; a save first shows which recorded decisions it changes. Click to stop.`
      : 'Record the requests this studio serves, so that a save can first show which recorded decisions it would change. Click to start.';
    replace(this.el, h('span', { class: `dot ${s?.enabled ? 'rec' : ''}` }), s?.enabled ? `recording · ${s.recorded}` : 'not recording');
  }

  /** Re-read the count (after requests were served). */
  refresh(): void {
    void this.client.getRecording().then((s) => this.render(s), () => undefined);
  }
}
