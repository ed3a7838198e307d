// The page's tables: the wait queue (positions, waits, estimated starts) and the reservations made through
// the server (state, price, expiry, how to connect). Browser code, as text; every value set with textContent.
export const TABLES_SCRIPT = `
function row(cells) {
  const tr = document.createElement('tr');
  for (const [text, cls] of cells) { const td = el('td', cls, text); tr.append(td); }
  return tr;
}
function drawQueue(data) {
  const body = $('queue');
  body.replaceChildren(...data.queue.map((w) => {
    const tr = row([
      [String(w.position), 'position'], [w.user, 'user'],
      [w.gpu_ids ? 'GPUs ' + w.gpu_ids.join(', ') : String(w.gpus), 'gpus'], [w.type, 'type'],
      [w.note ?? '', 'note'], [fmt(w.waited_seconds), 'waited'],
      [w.estimated_start ? new Date(w.estimated_start).toLocaleTimeString() : 'unknown', 'start'],
    ]);
    tr.dataset.position = w.position;
    return tr;
  }));
  $('queue-table').hidden = data.queue.length === 0;
  $('queue-empty').hidden = data.queue.length !== 0;
}
function drawReservations(data) {
  const body = $('reservations');
  body.replaceChildren(...data.reservations.map((r) => {
    const tr = row([
      [r.user, 'user'], [r.provider, 'provider'], [r.contract_id ?? 'not yet', 'contract'], [r.gpu_model, 'model'],
      [r.state, 'cloud-state'], [r.status, 'status'], ['$' + r.price_per_hour.toFixed(2) + '/h', 'price'],
      ['$' + r.cost_so_far.toFixed(4), 'cost'], [fmt(r.expires_at - data.generated_at), 'expires'],
    ]);
    const connect = el('td', 'connect'); connect.append(el('code', '', r.connect)); tr.append(connect);
    if (r.contract_id !== null) tr.dataset.contract = r.contract_id;
    return tr;
  }));
  $('total').textContent = '$' + data.total_price_per_hour.toFixed(2) + '/h';
}
`;
