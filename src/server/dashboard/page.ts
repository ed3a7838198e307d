// The dashboard: one page that polls /api/v1/dashboard and redraws, no reload, no build step.
// Every value is set as text, never as HTML: user names and model names come from other people.
const SCRIPT = `
const $ = (id) => document.getElementById(id);
const fmt = (s) => { s = Math.max(0, Math.floor(s)); return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm ' + (s % 60) + 's'; };
function cell(row, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; row.appendChild(td); return td; }
function drawGpus(data) {
  const body = $('gpus'); body.replaceChildren();
  for (const g of data.gpus) {
    const tr = document.createElement('tr'); tr.dataset.gpu = g.gpu_id; tr.className = g.status;
    const hw = g.hardware;
    let holder = '', type = '', time = '';
    if (g.status === 'reserved') { holder = g.user; type = g.reservation_type; time = fmt(data.generated_at - g.start_time); }
    if (g.status === 'unreserved') { holder = g.users.join(', '); type = 'WITHOUT RESERVATION'; }
    if (g.host !== undefined) tr.dataset.host = g.host;
    cell(tr, (g.host !== undefined ? g.host + ' · ' : '') + 'GPU ' + g.gpu_id); cell(tr, g.status === 'unreserved' ? 'in use without reservation' : g.status, 'state');
    cell(tr, holder, 'holder'); cell(tr, type); cell(tr, time);
    cell(tr, hw ? hw.memory_used_mb + ' / ' + (hw.memory_total_mb ?? '?') + ' MB' : 'unknown', 'memory');
    body.appendChild(tr);
  }
}
function drawReservations(data) {
  const body = $('reservations'); body.replaceChildren();
  for (const r of data.reservations) {
    const tr = document.createElement('tr'); tr.dataset.contract = r.contract_id;
    cell(tr, r.user); cell(tr, r.provider); cell(tr, r.gpu_model); cell(tr, '$' + r.price_per_hour.toFixed(2) + '/h');
    cell(tr, '$' + r.cost_so_far.toFixed(4)); cell(tr, fmt(r.expires_at - data.generated_at));
    body.appendChild(tr);
  }
  $('total').textContent = '$' + data.total_price_per_hour.toFixed(2) + '/h';
}
async function refresh() {
  try {
    const res = await fetch('/api/v1/dashboard', { cache: 'no-store' });
    if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
    const data = await res.json();
    $('strategy').textContent = data.strategy;
    drawGpus(data); drawReservations(data);
    $('updated').textContent = 'updated ' + new Date(data.generated_at * 1000).toLocaleTimeString();
    $('updated').className = '';
  } catch (err) { $('updated').textContent = 'cannot reach the server: ' + err.message; $('updated').className = 'stale'; }
}
refresh(); setInterval(refresh, 1000);
`;

export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>canhazgpu</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; min-width: 40rem; } th, td { text-align: left; padding: .35rem .8rem; border-bottom: 1px solid #ddd; }
  tr.available .state { color: #137333; } tr.reserved .state { color: #1a56db; }
  tr.unreserved { background: #fde8e8; } tr.unreserved .state { color: #b91c1c; font-weight: 600; }
  tr.unreadable, tr.stale { background: #fff4e5; }
  #updated { color: #666; } #updated.stale { color: #b91c1c; }
</style></head>
<body>
<h1>canhazgpu</h1>
<p>Selection strategy: <strong id="strategy">…</strong> · <span id="updated">loading…</span></p>
<h2>GPUs</h2>
<table><thead><tr><th>GPU</th><th>State</th><th>Holder</th><th>Type</th><th>For</th><th>Memory</th></tr></thead><tbody id="gpus"></tbody></table>
<h2>Reservations made through the server</h2>
<table><thead><tr><th>User</th><th>Provider</th><th>Model</th><th>Price</th><th>Cost so far</th><th>Ends in</th></tr></thead><tbody id="reservations"></tbody></table>
<p>Total: <strong id="total">$0.00/h</strong></p>
<script>${SCRIPT}</script>
</body></html>`;
}
