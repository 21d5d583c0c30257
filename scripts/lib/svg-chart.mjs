/**
 * A small SVG line chart for the reports of the scale scripts (soak.mjs): axes with round
 * ticks, axis labels, a legend and one polyline per series. No dependency, so a report can be
 * written anywhere the scripts run, and the SVG text diffs well in git.
 *
 *   lineChart({ title, xLabel, yLabel, series: [{ name, points: [[x, y], ...] }] }) -> string
 */

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** About `count` round tick values (1, 2 or 5 × 10^n apart) covering [min, max]. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) max = min + 1;
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks = [];
  // The epsilon keeps the last tick despite floating-point steps (0.1 + 0.2...).
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  if (ticks.at(-1) < max) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}

/** `text` escaped for SVG text and attribute values. */
export const xmlText = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

const label = (value) => (Math.abs(value) >= 1e4 ? value.toExponential(1) : String(value));

/**
 * @param {object} chart
 * @param {string} chart.title
 * @param {string} chart.xLabel
 * @param {string} chart.yLabel
 * @param {{ name: string, points: [number, number][], color?: string }[]} chart.series
 * @param {number} [chart.width]
 * @param {number} [chart.height]
 * @param {number} [chart.yMin] lowest value of the y axis (default: 0, or below when negative)
 * @param {{ y: number, name: string }[]} [chart.lines] horizontal reference lines (bounds)
 * @param {{ x: number, name: string }[]} [chart.marks] vertical reference lines (phases)
 */
/** The opening lines of a chart: the svg element, its title, a white ground, the heading. */
export function chartHead(width, height, title) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    // A title element names the chart for screen readers and as a tooltip.
    `<title>${xmlText(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${xmlText(title)}</text>`,
  ];
}

export function lineChart({
  title,
  xLabel,
  yLabel,
  series,
  width = 800,
  height = 360,
  yMin,
  lines = [],
  marks = [],
}) {
  const margin = { top: 40, right: 20, bottom: 50, left: 70 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = [...all.map((p) => p[1]), ...lines.map((l) => l.y)];
  const xTicks = niceTicks(Math.min(...xs, 0), Math.max(...xs, 1e-9));
  const yTicks = niceTicks(yMin ?? Math.min(0, ...ys), Math.max(...ys, 1e-9));
  const [x0, x1] = [xTicks[0], xTicks.at(-1)];
  const [y0, y1] = [yTicks[0], yTicks.at(-1)];
  const sx = (x) => margin.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y) => margin.top + plotH - ((y - y0) / (y1 - y0)) * plotH;
  const f = (n) => n.toFixed(1);

  const out = chartHead(width, height, title);
  for (const t of yTicks) {
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${label(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${f(sx(t))}" y="${margin.top + plotH + 18}" text-anchor="middle">${label(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${xmlText(xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xmlText(yLabel)}</text>`,
  );
  for (const line of lines) {
    out.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(sy(line.y))}" y2="${f(sy(line.y))}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${margin.left + plotW - 4}" y="${f(sy(line.y) - 4)}" text-anchor="end" fill="#666">${xmlText(line.name)}</text>`,
    );
  }
  for (const mark of marks) {
    out.push(
      `<line x1="${f(sx(mark.x))}" x2="${f(sx(mark.x))}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#999" stroke-dasharray="3 3"/>`,
      `<text x="${f(sx(mark.x) + 4)}" y="${margin.top + plotH - 6}" fill="#666">${xmlText(mark.name)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const points = s.points.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ');
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points}"/>`,
      `<rect x="${margin.left + 10}" y="${margin.top + 8 + i * 16}" width="12" height="3" fill="${color}"/>`,
      `<text x="${margin.left + 28}" y="${margin.top + 13 + i * 16}">${xmlText(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
