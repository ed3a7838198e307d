// The dashboard: one page that polls /api/v1/dashboard and redraws, no reload, no build step, no
// framework. Every value is set as text, never as HTML: user names, notes and model names come from others.
import { USAGE_WINDOWS } from '../http/dashboard-data.js';
import { CHART_SCRIPT } from './chart-script.js';
import { GPUS_SCRIPT } from './gpus-script.js';
import { DASHBOARD_CSS } from './style.js';
import { TABLES_SCRIPT } from './tables-script.js';

const MAIN_SCRIPT = `
const $ = (id) => document.getElementById(id);
const fmt = (s) => { s = Math.max(0, Math.floor(s)); return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm ' + (s % 60) + 's'; };
${GPUS_SCRIPT}${TABLES_SCRIPT}${CHART_SCRIPT}
async function refresh() {
  try {
    const res = await fetch('/api/v1/dashboard', { cache: 'no-store' });
    if (!res.ok) throw new Error(res.status + ' ' + res.statusText);
    const data = await res.json();
    $('strategy').textContent = data.strategy;
    drawGpus(data); drawQueue(data); drawUsage(data); drawReservations(data);
    $('updated').textContent = 'updated ' + new Date(data.generated_at * 1000).toLocaleTimeString();
    $('updated').className = '';
  } catch (err) { $('updated').textContent = 'cannot reach the server: ' + err.message; $('updated').className = 'stale'; }
}
refresh(); setInterval(refresh, 1000);
`;

const chart = (days: number) =>
  `<figure><figcaption id="usage-${days}-title">Last ${days} days</figcaption>` +
  `<svg class="usage" id="usage-${days}" role="img" aria-labelledby="usage-${days}-title"></svg></figure>`;

export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>canhazgpu</title>
<style>${DASHBOARD_CSS}</style></head>
<body>
<header><h1>canhazgpu</h1>
<p class="muted">Selection strategy: <strong id="strategy">…</strong> · <span id="updated" role="status">loading…</span></p></header>
<main>
<section aria-labelledby="gpus-title"><h2 id="gpus-title">GPUs</h2><div id="gpus"></div></section>
<section aria-labelledby="queue-title"><h2 id="queue-title">Waiting for GPUs</h2>
<p id="queue-empty" class="muted">Nobody is waiting.</p>
<table id="queue-table" hidden><thead><tr><th scope="col">#</th><th scope="col">User</th><th scope="col">GPUs</th><th scope="col">Type</th><th scope="col">Note</th><th scope="col">Waiting for</th><th scope="col">Estimated start</th></tr></thead><tbody id="queue"></tbody></table></section>
<section aria-labelledby="usage-title"><h2 id="usage-title">GPU-hours per user</h2>
<div class="charts">${USAGE_WINDOWS.map(chart).join('')}</div></section>
<section aria-labelledby="reservations-title"><h2 id="reservations-title">Reservations made through the server</h2>
<table><thead><tr><th scope="col">User</th><th scope="col">Provider</th><th scope="col">Contract</th><th scope="col">Model</th><th scope="col">State</th><th scope="col">Status</th><th scope="col">Price</th><th scope="col">Cost so far</th><th scope="col">Ends in</th><th scope="col">Connect</th></tr></thead><tbody id="reservations"></tbody></table>
<p>Total: <strong id="total">$0.00/h</strong></p></section>
</main>
<script>${MAIN_SCRIPT}</script>
</body></html>`;
}
