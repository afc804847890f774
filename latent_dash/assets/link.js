/* The address bar follows the page's state, so a link reproduces the view
 * (latent_dash/ui/link_state.py is its twin: it reads what this writes).
 *
 * ?config=KEY&sel=SELECTION&saved=NAME&focus=ROW&panels={"view@model":{option:value}}
 *
 * Only what differs from the values the page was drawn with (the `link-base` store) goes into
 * `panels`. Each new state is a new history entry (pushState), so back and forward walk through
 * them; Dash's Location reports those moves and the page is drawn from the address. */
(function () {
  const dc = (window.dash_clientside = window.dash_clientside || {});

  /* A position (after rows with missing values were dropped) -> the row in the user's files. */
  function fileRow(position, dropped) {
    let row = position;
    for (const d of dropped || []) {
      if (d <= row) row += 1;
      else break;
    }
    return row;
  }

  function same(a, b) {
    return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
  }

  function stateSearch(args) {
    const selection = args[0];
    const focus = args[1];
    const k = (args.length - 4) / 2; // linked controls: their values, then their ids
    const configKey = args[2 + 2 * k];
    const base = args[3 + 2 * k];
    if (!configKey || !base) return null;
    const panels = {};
    for (let j = 0; j < k; j++) {
      const values = args[2 + j] || [];
      const ids = args[2 + k + j] || [];
      const option = base.names[j];
      for (let i = 0; i < ids.length; i++) {
        const source = ids[i].view + "@" + (ids[i].model || 0);
        const drawn = (base.panels[source] || {})[option];
        if (!same(values[i], drawn)) (panels[source] = panels[source] || {})[option] = values[i];
      }
    }
    const query = new URLSearchParams();
    query.set("config", configKey);
    if (selection && selection.key) query.set("sel", selection.key);
    const source = String((selection && selection.source) || "");
    if (source.startsWith("saved:")) query.set("saved", source.slice(6));
    if (typeof focus === "number") query.set("focus", String(fileRow(focus, base.dropped)));
    if (Object.keys(panels).length) query.set("panels", JSON.stringify(panels));
    return "?" + query.toString();
  }

  dc.latent_dash = Object.assign(dc.latent_dash || {}, {
    followState: function () {
      const search = stateSearch(Array.from(arguments));
      if (search !== null && search !== window.location.search) {
        window.history.pushState({}, "", window.location.pathname + search);
      }
    },

    /* Copy the address; where the browser refuses the clipboard (plain http), show it selected
     * for Ctrl+C instead. */
    copyLink: function () {
      const href = window.location.href;
      const shown = "link-text ms-1";
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(href).catch(function () {});
        return [href, shown + " link-copied"];
      }
      setTimeout(function () {
        const box = document.getElementById("link-text");
        if (box) box.select();
      }, 0);
      return [href, shown];
    },
  });
})();
