// The bench's SVG charts: the repository's line chart (scripts/lib/svg-chart.mjs) for figures
// over a range (memory by connection count, fan-out by subscribers), and a bar chart on the
// same tick rules for one figure per server.
import { chartHead, lineChart, niceTicks, xmlText } from '../../scripts/lib/svg-chart.mjs';

export { lineChart };

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#7f7f7f'];

const valueText = (value) =>
  value >= 1000 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);

/**
 * One bar per server.
 * @param {object} chart
 * @param {string} chart.title
 * @param {string} chart.subtitle machine and date
 * @param {string} chart.yLabel
 * @param {{ name: string, value: number }[]} chart.bars
 */
export function barChart({ title, subtitle, yLabel, bars, width = 800, height = 360 }) {
  const shown = bars.filter((bar) => Number.isFinite(bar.value));
  const margin = { top: 56, right: 20, bottom: 50, left: 80 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const ticks = niceTicks(0, Math.max(...shown.map((bar) => bar.value), 1e-9));
  const top = ticks.at(-1);
  const sy = (y) => margin.top + plotH - (y / top) * plotH;
  const slot = plotW / Math.max(shown.length, 1);
  const f = (n) => n.toFixed(1);
  const out = [
    ...chartHead(width, height, title),
    `<text x="${width / 2}" y="38" text-anchor="middle" fill="#666">${xmlText(subtitle)}</text>`,
  ];
  for (const t of ticks) {
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${t}</text>`,
    );
  }
  shown.forEach((bar, i) => {
    const x = margin.left + i * slot + slot * 0.15;
    const y = sy(bar.value);
    out.push(
      `<rect x="${f(x)}" y="${f(y)}" width="${f(slot * 0.7)}" height="${f(margin.top + plotH - y)}" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${f(x + slot * 0.35)}" y="${f(y - 5)}" text-anchor="middle">${valueText(bar.value)}</text>`,
      `<text x="${f(x + slot * 0.35)}" y="${margin.top + plotH + 18}" text-anchor="middle">${xmlText(bar.name)}</text>`,
    );
  });
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xmlText(yLabel)}</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
