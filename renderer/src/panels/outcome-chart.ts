// A live chart of traffic outcomes: ok / wrong password / blocked / refused / tempfail counts over the run's time,
// stacked, on a canvas, with the latest count of each series in the legend.
import type { TrafficOutcome } from '../../../engine/api/contract';
import { h, replace } from '../dom';
import { count } from '../format';

export type OutcomeSample = { t_ms: number } & Record<TrafficOutcome, number>;

/** Stacking order (bottom first), colours and legend labels of the series. */
export const OUTCOME_SERIES: ReadonlyArray<{ id: TrafficOutcome; label: string; color: string }> = [
  { id: 'ok', label: 'ok', color: '#3fb56b' },
  { id: 'wrong_password', label: 'wrong password', color: '#e5534b' },
  { id: 'blocked', label: 'blocked (brute force)', color: '#a371f7' },
  { id: 'refused', label: 'refused (feature)', color: '#4f8fe6' },
  { id: 'tempfail', label: 'tempfail', color: '#d9a13b' },
];

const total = (s: OutcomeSample) => OUTCOME_SERIES.reduce((n, x) => n + s[x.id], 0);
const ZERO: OutcomeSample = { t_ms: 0, ok: 0, wrong_password: 0, blocked: 0, refused: 0, tempfail: 0 };

/** Cumulative counts as stacked areas; redrawn on every sample and on resize. */
export class OutcomeChart {
  readonly el: HTMLElement;
  private readonly canvas = h('canvas', { class: 'chart-canvas', role: 'img', 'aria-label': 'Outcomes over time' });
  private readonly legend = h('div', { class: 'legend' });
  private samples: OutcomeSample[] = [];

  constructor() {
    this.el = h('div', { class: 'chart' }, this.canvas, this.legend);
    new ResizeObserver(() => this.draw()).observe(this.el);
    this.renderLegend(ZERO);
  }

  reset(): void {
    this.samples = [];
    this.renderLegend(ZERO);
    this.draw();
  }

  add(s: OutcomeSample): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.t_ms === s.t_ms && total(last) === total(s)) return;
    this.samples.push(s);
    this.renderLegend(s);
    this.draw();
  }

  private renderLegend(s: OutcomeSample): void {
    replace(this.legend, ...OUTCOME_SERIES.map((x) => h('span', { class: 'legend-item', 'data-series': x.id, 'data-count': s[x.id] },
      h('i', { style: `background:${x.color}` }), `${x.label} ${count(s[x.id])}`)));
  }

  private draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, c.clientWidth);
    const hgt = Math.max(50, c.clientHeight);
    c.width = Math.round(w * dpr);
    c.height = Math.round(hgt * dpr);
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const pad = { l: 36, r: 8, t: 8, b: 18 };
    const pts = [ZERO, ...this.samples];
    const tMax = Math.max(1, pts[pts.length - 1].t_ms);
    const yMax = Math.max(1, ...pts.map(total));
    const x = (t: number) => pad.l + ((w - pad.l - pad.r) * t) / tMax;
    const y = (v: number) => hgt - pad.b - ((hgt - pad.t - pad.b) * v) / yMax;
    g.strokeStyle = '#3a4252';
    g.fillStyle = '#8b95a7';
    g.font = '10px system-ui, sans-serif';
    g.beginPath();
    g.moveTo(pad.l, pad.t);
    g.lineTo(pad.l, hgt - pad.b);
    g.lineTo(w - pad.r, hgt - pad.b);
    g.stroke();
    g.fillText(String(yMax), 2, pad.t + 8);
    g.fillText('0', 2, hgt - pad.b);
    g.fillText(`${(tMax / 1000).toFixed(1)} s`, w - pad.r - 34, hgt - 4);
    let below = pts.map(() => 0);
    for (const s of OUTCOME_SERIES) {
      const top = pts.map((p, i) => below[i] + p[s.id]);
      g.beginPath();
      pts.forEach((p, i) => (i === 0 ? g.moveTo(x(p.t_ms), y(top[i])) : g.lineTo(x(p.t_ms), y(top[i]))));
      for (let i = pts.length - 1; i >= 0; i--) g.lineTo(x(pts[i].t_ms), y(below[i]));
      g.closePath();
      g.fillStyle = s.color;
      g.globalAlpha = 0.8;
      g.fill();
      g.globalAlpha = 1;
      below = top;
    }
  }
}
