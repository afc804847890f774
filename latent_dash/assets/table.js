/* latent-dash: the table's rows, straight from the server's row route (views/table.py).
 *
 * Each grid gets its own AG Grid datasource: a block request is one POST to ROWS_PATH with the
 * page's selection-mask, filter, sort and focus, answered with the rows and the caption. A new
 * selection purges the grids at once (`refreshTables`, also called by a brush's
 * announceSelection before Dash dispatches the selection), so the first rows of a selection are
 * one round trip away, never queued behind Dash's callbacks or a highlight redraw.
 */
(function () {
  "use strict";
  const dc = (window.dash_clientside = window.dash_clientside || {});
  const ROWS_PATH = "/_latent-dash/table-rows";
  const BLOCK = 50; // rows per block (views/table.py BLOCK_SIZE)
  const page = { config: null, mask: null, filter: null, focus: null }; // what requests carry
  const grids = new Map(); // stringified grid id -> {id, view, captionId, asked}
  let refreshedFor; // the selection the grids were last purged for

  const stringifyId = (id) => dc.latent_dash.stringifyId(id); // selection.js
  function same(a, b) {
    return dc.latent_dash.sameSelection(a, b);
  }

  function setCaption(grid, text, asked) {
    if (asked < grid.captioned) return; // an answer to an older request
    grid.captioned = asked;
    const el = document.getElementById(stringifyId(grid.captionId));
    if (el && el.textContent !== text) el.textContent = text;
  }

  function request(grid, start, end, sortModel) {
    const asked = ++grid.asked;
    const body = {
      config: page.config, model: grid.model, mask: page.mask, filter: page.filter,
      sort: sortModel || [], start: start, end: end, focus: page.focus,
    };
    return fetch(ROWS_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) throw new Error("rows: HTTP " + response.status);
      return response.json();
    }).then(function (answer) {
      setCaption(grid, answer.caption, asked);
      return answer;
    });
  }

  function datasource(grid) {
    return {
      getRows: function (params) {
        const sort = JSON.stringify(params.sortModel || []);
        grid.sort = params.sortModel || [];
        const early = grid.early;
        grid.early = null;
        const answer = early && params.startRow === 0 && params.endRow === BLOCK && early.sort === sort
          ? early.answer
          : request(grid, params.startRow, params.endRow, params.sortModel);
        answer.then(
          (rows) => params.successCallback(rows.rowData, rows.rowCount),
          () => params.failCallback());
      },
    };
  }

  /* The grid's datasource is ours (dash-ag-grid sets its own when the grid is ready, which
   * may come after tableConnect): true when it was, false when it is set now (which reloads). */
  function ownDatasource(api, grid) {
    if (api.getGridOption("datasource") === grid.source) return true;
    api.setGridOption("datasource", grid.source);
    return false;
  }

  /* Every grid starts again from its first rows (and asks with the page's current state). */
  function refreshTables(force) {
    if (!force && refreshedFor !== undefined && same(page.mask, refreshedFor)) return;
    refreshedFor = page.mask;
    grids.forEach(function (grid) {
      try {
        const api = window.dash_ag_grid.getApi(grid.id);
        // the first block is asked for now: AG Grid asks only once it has redrawn its rows
        const sort = grid.sort || [];
        grid.early = { sort: JSON.stringify(sort), answer: request(grid, 0, BLOCK, sort) };
        grid.early.answer.catch(() => null);
        if (api.getFirstDisplayedRowIndex() > 0) api.ensureIndexVisible(0, "top");
        if (ownDatasource(api, grid)) api.refreshInfiniteCache(); // rows stay until the new ones come
      } catch (e) { /* not ready yet: it asks with the current state when it is */ }
    });
  }

  dc.latent_dash = Object.assign(dc.latent_dash || {}, {
    /* A grid appeared: its rows come from ROWS_PATH from now on. */
    tableConnect: function (id, captionId, config, mask, filtered, focus) {
      if (page.config === null) Object.assign(page, { config: config, mask: mask, filter: filtered, focus: focus });
      const key = stringifyId(id);
      const grid = { id: id, model: id.model, captionId: captionId, asked: 0, captioned: 0 };
      grid.source = datasource(grid);
      grids.set(key, grid);
      window.dash_ag_grid.getApiAsync(id).then(function (api) {
        // after dash-ag-grid's own grid-ready handler, which sets its datasource
        setTimeout(() => grids.get(key) === grid && ownDatasource(api, grid), 0);
      });
      return dc.no_update;
    },

    /* The page state the requests carry; a new selection or filter refreshes the grids, a new
     * focus only their captions. */
    tablePage: function (config, mask, filtered, focus) {
      const triggered = (dc.callback_context.triggered || []).map((t) => t.prop_id);
      page.config = config;
      page.mask = mask;
      page.filter = filtered;
      page.focus = focus === undefined ? null : focus;
      if (triggered.includes("filter.data") || triggered.includes("config-key.data")) refreshTables(true);
      else if (triggered.includes("selection-mask.data")) refreshTables(false);
      else if (triggered.includes("focus.data")) grids.forEach((grid) => request(grid, 0, 0, []).catch(() => null));
    },

    /* A selection made in the browser, before Dash dispatches it (selection.js). */
    tableSelection: function (mask) {
      page.mask = mask;
      refreshTables(true);
    },
  });
})();
