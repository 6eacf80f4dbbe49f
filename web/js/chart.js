/*
 * The score-over-time chart of the instructor console: an inline SVG drawn
 * here, one step line per team (a total holds until it changes), exercise
 * minutes across, points up, with a legend. Redrawn whole on every change;
 * a few dozen teams of a few hundred points each stay cheap.
 */

const NS = 'http://www.w3.org/2000/svg';
const PALETTE = [
  '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22'
];

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

/* A tick label without floating-point noise (0.6, not 0.6000000000000001). */
function tickLabel(v) {
  return String(Number(v.toPrecision(6)));
}

/* A round step for an axis running to max: about `count` ticks. */
function niceStep(max, count) {
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

export function teamColor(team) {
  return PALETTE[(team - 1) % PALETTE.length];
}

/*
 * Draws into the <svg> element:
 *   teams: [{team, history: [[at_ms, total], ...], total}]
 *   nowMs: the exercise time now (lines run to it)
 *   maxPoints: the top of the scale (at least the highest total)
 *   labels: {title, desc, minutes, team(n)}
 */
export function drawScoreChart(root, { teams, nowMs, maxPoints, labels }) {
  const W = 640;
  const H = 300;
  const pad = { left: 48, right: 110, top: 16, bottom: 36 };
  const w = W - pad.left - pad.right;
  const h = H - pad.top - pad.bottom;
  let top = Math.max(1, maxPoints || 0);
  let lowest = 0;
  let end = Math.max(nowMs || 0, 60000);
  for (const tm of teams) {
    for (const [at, total] of tm.history || []) {
      top = Math.max(top, total);
      lowest = Math.min(lowest, total);
      end = Math.max(end, at);
    }
  }
  const x = (ms) => pad.left + (ms / end) * w;
  const y = (v) => pad.top + h - ((v - lowest) / (top - lowest)) * h;

  root.replaceChildren();
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  root.setAttribute('role', 'img');
  root.setAttribute('aria-labelledby', 'score-chart-title score-chart-desc');
  root.append(svg('title', { id: 'score-chart-title' }, labels.title));
  root.append(svg('desc', { id: 'score-chart-desc' }, labels.desc));

  const axes = svg('g', { class: 'axes' });
  const yStep = niceStep(top - lowest, 5);
  for (let v = Math.ceil(lowest / yStep) * yStep; v <= top + 1e-9; v += yStep) {
    axes.append(svg('line', { x1: pad.left, x2: pad.left + w, y1: y(v), y2: y(v), class: 'grid' }));
    axes.append(svg('text', { x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, tickLabel(v)));
  }
  const minutes = end / 60000;
  const xStep = niceStep(minutes, 6);
  for (let m = 0; m <= minutes + 1e-9; m += xStep) {
    axes.append(svg('line', { x1: x(m * 60000), x2: x(m * 60000), y1: pad.top + h, y2: pad.top + h + 4 }));
    axes.append(svg('text', { x: x(m * 60000), y: pad.top + h + 18, 'text-anchor': 'middle' }, tickLabel(m)));
  }
  axes.append(svg('text', { x: pad.left + w, y: H - 4, 'text-anchor': 'end' }, labels.minutes));
  axes.append(svg('line', { x1: pad.left, x2: pad.left + w, y1: y(0), y2: y(0), class: 'zero' }));
  root.append(axes);

  teams.forEach((tm, i) => {
    const color = teamColor(tm.team);
    const pts = [[0, 0], ...(tm.history || [])].sort((a, b) => a[0] - b[0]);
    let d = `M${x(pts[0][0]).toFixed(1)},${y(pts[0][1]).toFixed(1)}`;
    for (let k = 1; k < pts.length; k++) {
      d += ` H${x(pts[k][0]).toFixed(1)} V${y(pts[k][1]).toFixed(1)}`;
    }
    const last = pts[pts.length - 1][1];
    d += ` H${x(end).toFixed(1)}`;
    root.append(
      svg('path', {
        d,
        fill: 'none',
        stroke: color,
        'stroke-width': 2,
        class: 'team-line',
        'data-team': tm.team
      })
    );
    const ly = pad.top + 14 + i * 18;
    root.append(svg('rect', { x: pad.left + w + 12, y: ly - 9, width: 10, height: 10, fill: color }));
    root.append(svg('text', { x: pad.left + w + 28, y: ly, class: 'legend' }, `${labels.team(tm.team)}: ${tm.total ?? last}`));
  });
}
