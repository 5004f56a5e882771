import type { ReplayResult } from '@llm-router/simulation';

const W = 900;
const PANEL_H = 200;
const GAP = 50;
const M = { left: 70, right: 190, top: 30, bottom: 30 };
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.01) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

interface Line {
  name: string;
  values: number[];
  color: string;
}

function panel(
  top: number,
  title: string,
  xs: number[],
  lines: Line[],
  yMin?: number,
  yMax?: number,
  marker?: number,
): string {
  const plotW = W - M.left - M.right;
  const all = lines.flatMap((l) => l.values).filter(Number.isFinite);
  let lo = yMin ?? Math.min(0, ...all);
  let hi = yMax ?? Math.max(...all, lo + 1e-12);
  if (hi - lo < 1e-12) {
    hi = lo + 1;
    lo -= 0;
  }
  const xMax = Math.max(1, xs[xs.length - 1] ?? 1);
  const X = (t: number) => M.left + (t / xMax) * plotW;
  const Y = (v: number) => top + PANEL_H - ((v - lo) / (hi - lo)) * PANEL_H;
  const out: string[] = [];
  out.push(`<text x="${M.left}" y="${top - 8}" font-size="13" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${M.left}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    const y = Y(v);
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const t = Math.round((xMax * i) / 5);
    out.push(`<text x="${X(t)}" y="${top + PANEL_H + 15}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  if (marker !== undefined) {
    out.push(
      `<line x1="${X(marker)}" x2="${X(marker)}" y1="${top}" y2="${top + PANEL_H}" stroke="#555" stroke-dasharray="4 3"/>`,
    );
  }
  lines.forEach((l, i) => {
    const pts = l.values.map((v, k) => `${X(xs[k]).toFixed(1)},${Y(v).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${l.color}" stroke-width="1.6" points="${pts}"/>`);
    const ly = top + 14 + i * 16;
    out.push(
      `<line x1="${M.left + plotW + 12}" x2="${M.left + plotW + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${l.color}" stroke-width="3"/>`,
    );
    out.push(`<text x="${M.left + plotW + 34}" y="${ly}" font-size="11">${esc(l.name)}</text>`);
  });
  return out.join('\n');
}

/** A self-contained SVG: cumulative net reward, moving-window arm shares and lambda over time. */
export function replaySvg(r: ReplayResult, scenarioAt?: number): string {
  const xs = r.series.t;
  const height = M.top + 3 * PANEL_H + 2 * GAP + M.bottom + 20;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  const head = `${r.policy} | ${r.scenario} | seed ${r.seed} | n ${r.n} | meanQuality ${r.meanQuality.toFixed(4)} | meanCost ${r.meanCost.toExponential(3)}`;
  parts.push(`<text x="${M.left}" y="16" font-size="12" fill="#333">${esc(head)}</text>`);
  let top = M.top + 20;
  parts.push(
    panel(
      top,
      'Cumulative net reward  sum(quality - lambda * cost)',
      xs,
      [{ name: 'net reward', values: r.series.cumReward, color: COLORS[0] }],
      undefined,
      undefined,
      scenarioAt,
    ),
  );
  top += PANEL_H + GAP;
  const shareLines = r.arms.map((a, i) => ({
    name: a.length > 28 ? '…' + a.slice(-27) : a,
    values: r.series.shares[a],
    color: COLORS[i % COLORS.length],
  }));
  parts.push(panel(top, 'Arm shares (moving window of 100 decisions)', xs, shareLines, 0, 1, scenarioAt));
  top += PANEL_H + GAP;
  parts.push(
    panel(
      top,
      'Lambda (cost weight)',
      xs,
      [{ name: 'lambda', values: r.series.lambda, color: COLORS[3] }],
      0,
      undefined,
      scenarioAt,
    ),
  );
  parts.push(
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${height - 6}" font-size="11" text-anchor="middle">step</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
