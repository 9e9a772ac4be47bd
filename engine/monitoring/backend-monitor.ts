// Backend server monitoring (Nauthilus 1.10 server.go runBackendServerMonitoring): every configured server is
// listed at start; then every 10 s all are checked in parallel and only those that answered stay listed.
//
//   start(servers) -> alive = all -> check all --every 10 s--> check all -> alive = the ones that passed
//                                                                         -> onChange(alive) when the set changed
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { BackendServerConfig } from '../config/types';
import { checkBackendConnection } from './backend-check';

/** Nauthilus' BackendServerMonitoringDelay: seconds between two rounds of checks. */
export const MONITORING_INTERVAL_MS = 10_000;

export type BackendCheck = (server: BackendServerConfig, signal?: AbortSignal) => Promise<void>;

export class BackendServerMonitor {
  private servers: BackendServerConfig[] = [];
  private aliveNow: BackendServerConfig[] = [];
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Ends the checks in progress when monitoring stops. */
  private readonly abort = new AbortController();
  private readonly gauge: Gauge<string> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly onChange: (alive: BackendServerConfig[]) => void,
    metrics?: Registry,
    private readonly check: BackendCheck = checkBackendConnection,
  ) {
    if (metrics) {
      const existing = metrics.getSingleMetric('backend_servers_status') as Gauge<string> | undefined;
      this.gauge = existing ?? new Gauge({ name: 'backend_servers_status', help: 'Status of monitored backend servers', labelNames: ['server_status'], registers: [metrics] });
    }
  }

  /** The servers that passed the last round (all configured ones before the first round ends). */
  get alive(): BackendServerConfig[] {
    return this.aliveNow;
  }

  /** (Re)start with a config's servers (none: monitoring off, nothing listed). Runs the first round at once. */
  start(servers: BackendServerConfig[] | undefined): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.servers = servers ?? [];
    this.setAlive([...this.servers]);
    // as Nauthilus: a present but empty list is an error (nginx then gets "Internal failure")
    if (servers && !servers.length) this.logger.error('Monitoring backend servers are not configured: backend_server_monitoring.backend_servers is empty');
    if (!this.servers.length) return;
    void this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), MONITORING_INTERVAL_MS);
    this.timer.unref();
  }

  /** Run one round of checks now (after the one in progress); resolves when the list is updated. */
  checkNow(): Promise<void> {
    const next = this.round.then(() => this.runRound());
    this.round = next.catch(() => undefined);
    return next;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async runRound(): Promise<void> {
    const servers = this.servers;
    if (this.stopped || !servers.length) return;
    this.gauge?.labels('wanted').set(servers.length);
    const results = await Promise.all(servers.map((s) => this.check(s, this.abort.signal).then(() => undefined, (e: Error) => e)));
    if (this.stopped || servers !== this.servers) return; // restarted meanwhile: this round is stale
    const alive: BackendServerConfig[] = [];
    results.forEach((err, i) => {
      const s = servers[i];
      if (err) this.logger.error({ backend_server: `${s.host}:${s.port}`, protocol: s.protocol, err: err.message }, `Backend server failed: ${s.host}:${s.port} (${s.protocol})`);
      else {
        alive.push(s);
        this.logger.debug({ backend_server: `${s.host}:${s.port}`, protocol: s.protocol }, `Backend server alive: ${s.host}:${s.port} (${s.protocol})`);
      }
    });
    this.gauge?.labels('alive').set(alive.length);
    const same = alive.length === this.aliveNow.length && alive.every((s) => this.aliveNow.includes(s));
    if (!same) this.setAlive(alive);
  }

  private setAlive(alive: BackendServerConfig[]): void {
    this.aliveNow = alive;
    this.onChange(alive);
  }
}
