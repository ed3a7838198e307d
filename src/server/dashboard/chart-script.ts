// The page's GPU-hours chart: one horizontal bar per user and window, drawn as inline SVG by the page
// itself (nothing fetched). Browser code, as text; user names set with textContent.
export const CHART_SCRIPT = `
const SVG = 'http://www.w3.org/2000/svg';
const LABEL_W = 190, BAR_W = 220, ROW_H = 24, NAME_MAX = 22;
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
const hours = (h) => (h < 10 ? h.toFixed(2) : h.toFixed(1)) + ' h';
function drawChart(svg, window) {
  const users = window.users;
  const max = Math.max(0, ...users.map((u) => u.gpu_hours));
  const height = Math.max(1, users.length) * ROW_H + 4;
  svg.setAttribute('viewBox', '0 0 ' + (LABEL_W + BAR_W + 80) + ' ' + height);
  svg.setAttribute('width', String(LABEL_W + BAR_W + 80)); svg.setAttribute('height', String(height));
  svg.setAttribute('aria-label', 'GPU-hours per user, last ' + window.days + ' days: ' +
    (users.length ? users.map((u) => u.user + ' ' + hours(u.gpu_hours)).join(', ') : 'none'));
  svg.replaceChildren();
  if (!users.length) { svg.append(svgEl('text', { x: 0, y: 16 }, 'No GPU use in these ' + window.days + ' days')); return; }
  users.forEach((u, i) => {
    const y = i * ROW_H + 2, w = max > 0 ? Math.max(1, BAR_W * u.gpu_hours / max) : 1;
    const g = svgEl('g', { class: 'user' }); g.dataset.user = u.user; g.dataset.hours = u.gpu_hours;
    const name = u.user.length > NAME_MAX ? u.user.slice(0, NAME_MAX - 1) + '…' : u.user;
    g.append(svgEl('title', {}, u.user + ': ' + hours(u.gpu_hours)),
      svgEl('text', { x: LABEL_W - 8, y: y + 15, 'text-anchor': 'end' }, name),
      svgEl('rect', { x: LABEL_W, y: y + 3, width: w.toFixed(1), height: ROW_H - 8, rx: 3 }),
      svgEl('text', { x: LABEL_W + w + 6, y: y + 15, class: 'hours' }, hours(u.gpu_hours)));
    svg.append(g);
  });
}
function drawUsage(data) {
  for (const window of data.usage) {
    const svg = $('usage-' + window.days);
    if (svg) drawChart(svg, window);
  }
}
`;
