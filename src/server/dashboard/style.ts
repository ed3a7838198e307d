// The dashboard's look: colours as variables, a dark set when the system asks for one, cards that
// reflow to the window. Colours keep at least 4.5:1 contrast against their background in both themes.
export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d1d1f; --muted: #4b5563; --card: #f6f7f9;
  --border: #d0d5dd; --ok: #137333; --busy: #1a56db; --warn: #b91c1c; --warn-bg: #fde8e8;
  --stale-bg: #fff4e5; --bar: #2563eb; --bar-bg: #e5e7eb; --bar-full: #c2410c; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #111318; --fg: #e8eaed; --muted: #aab1bc; --card: #1b1e25; --border: #3a404c; --ok: #6ee7a0;
    --busy: #8ab4f8; --warn: #fca5a5; --warn-bg: #3b1414; --stale-bg: #3a2a10; --bar: #60a5fa;
    --bar-bg: #2b303b; --bar-full: #fb923c; }
}
body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem 2rem; background: var(--bg); color: var(--fg); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .75rem; }
h3 { font-size: 1rem; margin: 1rem 0 .5rem; color: var(--muted); }
.muted, #updated { color: var(--muted); } #updated.stale { color: var(--warn); font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: .75rem; }
.gpu { background: var(--card); border: 1px solid var(--border); border-left: .4rem solid var(--ok);
  border-radius: .5rem; padding: .6rem .8rem; }
.gpu header { display: flex; justify-content: space-between; align-items: baseline; gap: .5rem; }
.gpu h4 { margin: 0; font-size: 1rem; white-space: nowrap; }
.gpu .state { font-weight: 600; font-size: .85rem; color: var(--ok); }
.gpu.reserved { border-left-color: var(--busy); } .gpu.reserved .state { color: var(--busy); }
.gpu.unreserved { border-left-color: var(--warn); background: var(--warn-bg); }
.gpu.unreserved .state { color: var(--warn); }
.gpu.unreadable, .gpu.stale { border-left-color: var(--muted); background: var(--stale-bg); }
.gpu.unreadable .state, .gpu.stale .state { color: var(--fg); }
.bar { height: .6rem; background: var(--bar-bg); border-radius: .3rem; overflow: hidden; margin: .5rem 0 .2rem; }
.bar > span { display: block; height: 100%; background: var(--bar); }
.bar.full > span { background: var(--bar-full); }
.memory { font-size: .85rem; color: var(--muted); }
.gpu dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .6rem; margin: .4rem 0 0; font-size: .9rem; }
.gpu dt { color: var(--muted); } .gpu dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; min-width: 40rem; }
th, td { text-align: left; padding: .35rem .8rem; border-bottom: 1px solid var(--border); }
th { color: var(--muted); font-weight: 600; }
code { font-size: .9em; overflow-wrap: anywhere; }
.charts { display: flex; flex-wrap: wrap; gap: 2rem; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: .4rem; }
svg.usage text { fill: var(--fg); font: 13px system-ui, sans-serif; }
svg.usage rect { fill: var(--bar); }
`;
