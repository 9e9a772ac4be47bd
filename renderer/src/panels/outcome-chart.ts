// A live chart of traffic outcomes: ok / fail / tempfail counts over the run's time, stacked, on a canvas.
import { h } from '../dom';

export interface OutcomeSample {
  t_ms: number;
  ok: number;
  fail: number;
  tempfail: number;
}

const COLORS = { ok: '#3fb56b', fail: '#e5534b', tempfail: '#d9a13b' } as const;
const SERIES = ['ok', 'fail', 'tempfail'] as const;

/** Cumulative counts as stacked areas; redrawn on every sample and on resize. */
export class OutcomeChart {
  readonly el: HTMLElement;
  private readonly canvas = h('canvas', { class: 'chart-canvas', role: 'img', 'aria-label': 'Outcomes over time' });
  private samples: OutcomeSample[] = [];

  constructor() {
    this.el = h('div', { class: 'chart' }, this.canvas,
      h('div', { class: 'legend' }, ...SERIES.map((s) => h('span', { class: 'legend-item' }, h('i', { style: `background:${COLORS[s]}` }), s))));
    new ResizeObserver(() => this.draw()).observe(this.el);
  }

  reset(): void {
    this.samples = [];
    this.draw();
  }

  add(s: OutcomeSample): void {
    const last = this.samples[this.samples.length - 1];
    if (last && last.t_ms === s.t_ms && last.ok + last.fail + last.tempfail === s.ok + s.fail + s.tempfail) return;
    this.samples.push(s);
    this.draw();
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
    const pts = [{ t_ms: 0, ok: 0, fail: 0, tempfail: 0 }, ...this.samples];
    const tMax = Math.max(1, pts[pts.length - 1].t_ms);
    const yMax = Math.max(1, ...pts.map((p) => p.ok + p.fail + p.tempfail));
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
    for (const s of SERIES) {
      const top = pts.map((p, i) => below[i] + p[s]);
      g.beginPath();
      pts.forEach((p, i) => (i === 0 ? g.moveTo(x(p.t_ms), y(top[i])) : g.lineTo(x(p.t_ms), y(top[i]))));
      for (let i = pts.length - 1; i >= 0; i--) g.lineTo(x(pts[i].t_ms), y(below[i]));
      g.closePath();
      g.fillStyle = COLORS[s];
      g.globalAlpha = 0.8;
      g.fill();
      g.globalAlpha = 1;
      below = top;
    }
  }
}
