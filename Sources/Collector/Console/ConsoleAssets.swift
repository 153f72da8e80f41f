/// The console's stylesheet and script, served from the collector itself (`/console.css`, `/console.js`): the
/// pages' CSP (`default-src 'self'`) allows no inline style or script. Every page works without the script.
enum ConsoleAssets {
    static let css = """
        :root { color-scheme: light; --fg: #1b1f24; --muted: #4a525c; --line: #c9d1d9; --accent: #0b5cad;
          --ok: #116329; --bad: #a40e26; --bg: #ffffff; --panel: #f3f5f8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .5rem 1rem;
          background: #15202b; color: #fff; }
        header a { color: #fff; }
        .brand { font-weight: 700; text-decoration: none; margin-right: 1rem; }
        nav { display: flex; flex: 1; align-items: center; justify-content: space-between; flex-wrap: wrap; gap: 1rem; }
        nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
        nav a[aria-current] { font-weight: 700; text-decoration: underline; }
        .signout span { margin-right: .5rem; }
        main { padding: 1rem; max-width: 80rem; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
        h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f0b400; outline-offset: 1px; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
        th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
        th { background: var(--panel); }
        code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
        pre { background: var(--panel); padding: .75rem; overflow-x: auto; }
        form.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; background: var(--panel);
          padding: .75rem; }
        form.filters label, form.stack label { display: flex; flex-direction: column; font-weight: 600; }
        form.stack { display: grid; gap: .75rem; max-width: 40rem; }
        input, select, textarea, button { font: inherit; padding: .3rem .45rem; }
        button { cursor: pointer; background: var(--accent); color: #fff; border: 0; border-radius: 3px; }
        button.secondary { background: #4a525c; }
        .notice { padding: .5rem .75rem; border-left: 4px solid var(--accent); background: var(--panel); }
        .notice.ok, .ok { color: var(--ok); border-color: var(--ok); }
        .notice.problem, .problem { color: var(--bad); border-color: var(--bad); }
        .checks li { margin: .2rem 0; }
        .frames { display: flex; flex-wrap: wrap; gap: 1rem; }
        figure { margin: 0; max-width: 100%; }
        .frame { position: relative; display: inline-block; max-width: 100%; }
        .frame img { display: block; max-width: 100%; height: auto; }
        .frame svg { position: absolute; inset: 0; width: 100%; height: 100%; }
        .charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
        .chart svg { border: 1px solid var(--line); background: #fff; }
        dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        dl.fields dt { font-weight: 600; }
        dl.fields dd { margin: 0; }
        .pager { display: flex; gap: 1rem; margin: .5rem 0; }
        .signin { max-width: 28rem; }
        .live { color: var(--muted); font-size: .9em; }
        tr.new { background: #fff8d6; }
        """

    static let js = """
        "use strict";
        // Times: the markup says UTC; show the browser's local time, keep UTC on hover.
        function localize(root) {
          for (const t of root.querySelectorAll("time[datetime]")) {
            const d = new Date(t.getAttribute("datetime"));
            if (isNaN(d)) continue;
            t.title = t.getAttribute("datetime").replace("T", " ").replace(/\\.\\d+/, "").replace("Z", " UTC");
            t.textContent = d.toLocaleString(undefined, { year: "numeric", month: "2-digit", day: "2-digit",
              hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
          }
        }
        function cell(row, text, href) {
          const td = row.insertCell();
          if (href) { const a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a); }
          else td.textContent = text;
          return td;
        }
        // Live updates of the event list (server-sent events); the page works without them.
        function live() {
          const table = document.getElementById("events");
          if (!table || !table.dataset.live || !window.EventSource) return;
          const status = document.getElementById("live-status");
          const source = new EventSource(table.dataset.live);
          source.addEventListener("open", () => { if (status) status.textContent = "Live: new events appear at the top."; });
          source.addEventListener("error", () => { if (status) status.textContent = "Live updates paused; reconnecting."; });
          source.addEventListener("event", (m) => {
            let e;
            try { e = JSON.parse(m.data); } catch (_) { return; }
            const body = table.tBodies[0];
            const row = body.insertRow(0);
            row.className = "new";
            const td = row.insertCell();
            const t = document.createElement("time");
            t.setAttribute("datetime", e.time);
            t.textContent = e.time;
            td.appendChild(t);
            cell(row, e.camera);
            cell(row, e.type);
            cell(row, e.device_name);
            cell(row, String(e.seq), e.href);
            localize(row);
            const empty = document.getElementById("no-events");
            if (empty) empty.remove();
          });
        }
        document.addEventListener("DOMContentLoaded", () => { localize(document); live(); });
        """
}
