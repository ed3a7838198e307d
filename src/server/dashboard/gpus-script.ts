// The page's GPU cards: one per GPU, grouped by host in a fleet; a memory bar, the model it serves, who
// holds it and why, for how long. Browser code, as text; every value set with textContent.
export const GPUS_SCRIPT = `
const STATE_TEXT = { available: 'available', reserved: 'reserved', unreserved: 'in use without reservation',
  unreadable: 'unknown', stale: 'host not heard from' };
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function detail(dl, term, value, cls) {
  if (value === undefined || value === null || value === '') return;
  dl.append(el('dt', '', term), el('dd', cls, String(value)));
}
function memoryBar(hw) {
  const box = el('div');
  const used = hw ? hw.memory_used_mb : null, total = hw ? hw.memory_total_mb : null;
  if (used !== null && total) {
    const bar = el('div', used / total > 0.9 ? 'bar full' : 'bar');
    bar.setAttribute('role', 'meter'); bar.setAttribute('aria-label', 'memory used');
    bar.setAttribute('aria-valuemin', '0'); bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(used));
    const fill = el('span'); fill.style.width = Math.min(100, 100 * used / total).toFixed(1) + '%';
    bar.append(fill); box.append(bar);
  }
  box.append(el('div', 'memory', hw ? used + ' / ' + (total ?? '?') + ' MB used' : 'memory unknown'));
  return box;
}
function timeText(g, now) {
  if (g.status === 'reserved') {
    const held = 'for ' + fmt(now - g.start_time);
    return g.expiry_time !== null ? held + ', expires in ' + fmt(g.expiry_time - now) : held + ' (ends with its run)';
  }
  if (g.status === 'available') return g.last_released ? 'free for ' + fmt(now - g.last_released) : 'free';
  return '';
}
function gpuCard(g, now) {
  const state = STATE_TEXT[g.status] ?? g.status;
  const name = (g.host !== undefined ? g.host + ' ' : '') + 'GPU ' + g.gpu_id;
  const card = el('article', 'gpu ' + g.status);
  card.dataset.gpu = g.gpu_id; if (g.host !== undefined) card.dataset.host = g.host;
  card.setAttribute('aria-label', name + ': ' + state);
  const head = el('header'); head.append(el('h4', '', 'GPU ' + g.gpu_id), el('span', 'state', state));
  card.append(head, memoryBar(g.hardware));
  const dl = el('dl');
  detail(dl, 'Model', g.model, 'model');
  if (g.hardware && g.hardware.name) detail(dl, 'Card', g.hardware.name);
  if (g.status === 'reserved') { detail(dl, 'Holder', g.user, 'holder'); detail(dl, 'Type', g.reservation_type, 'type'); }
  if (g.status === 'unreserved') { detail(dl, 'Used by', g.users.join(', ') || 'user unknown', 'holder'); detail(dl, 'Type', 'WITHOUT RESERVATION', 'type'); }
  detail(dl, 'Note', g.note, 'note');
  detail(dl, 'Time', timeText(g, now), 'time');
  if (g.status === 'unreadable') detail(dl, 'Problem', g.problem);
  card.append(dl);
  return card;
}
function drawGpus(data) {
  const root = $('gpus'), groups = new Map();
  for (const g of data.gpus) {
    const host = g.host ?? '';
    if (!groups.has(host)) groups.set(host, []);
    groups.get(host).push(g);
  }
  root.replaceChildren();
  for (const [host, gpus] of groups) {
    const cards = el('div', 'cards');
    for (const g of gpus) cards.append(gpuCard(g, data.generated_at));
    if (!host) { root.append(cards); continue; }
    const section = el('section', 'host'); section.dataset.host = host;
    section.append(el('h3', '', host), cards); root.append(section);
  }
}
`;
