/* latent-dash: parallel coordinates in the browser.
 *
 * Plotly reports an axis drag with the whole dimensions list (every value of every line) and a
 * brush with the index of the axis as drawn. Both are reduced here to {order, ranges} for the
 * server, and written back into the figure so that later updates keep them.
 */
(function () {
  "use strict";
  const dc = (window.dash_clientside = window.dash_clientside || {});
  const lib = () => dc.latent_dash;

  function patchDims(figure, order, ranges) {
    const byLabel = {};
    figure.data[0].dimensions.forEach((d) => (byLabel[d.label] = d));
    return order.filter((label) => byLabel[label]).map(function (label) {
      const dim = Object.assign({}, byLabel[label]);
      if (ranges[label]) dim.constraintrange = ranges[label];
      else delete dim.constraintrange;
      return dim;
    });
  }

  const api = {
    /* restyleData -> [brush store, figure patch]. */
    parcoordsEvent: function (restyle, brush, figure) {
      if (!restyle || !restyle[0] || !figure || !figure.data) return [dc.no_update, dc.no_update];
      const change = restyle[0];
      const state = { order: (brush.order || []).slice(), ranges: Object.assign({}, brush.ranges) };
      const patch = new dc.Patch();
      if (change.dimensions) {
        let list = change.dimensions;
        if (Array.isArray(list[0])) list = list[0];
        state.order = list.map((d) => d.label);
        state.ranges = {};
        list.forEach(function (d) {
          if (d.constraintrange) state.ranges[d.label] = d.constraintrange;
        });
        patch.assign(["data", 0, "dimensions"], patchDims(figure, state.order, state.ranges));
      } else {
        let touched = false;
        Object.keys(change).forEach(function (key) {
          const m = key.match(/^dimensions\[(\d+)\]\.constraintrange$/);
          if (!m) return;
          const label = state.order[Number(m[1])];
          if (label === undefined) return;
          let range = change[key];
          if (Array.isArray(range) && range.length === 1 && Array.isArray(range[0])) {
            range = range[0]; // restyle wraps each value in a per-trace list
          }
          if (range == null || range.length === 0) delete state.ranges[label];
          else state.ranges[label] = range;
          touched = true;
        });
        if (!touched) return [dc.no_update, dc.no_update];
        // the ranges go to the server at once; writing them back into the figure redraws
        // every line, so that waits for writeBackBrush, triggered by this store
        state.from = "user";
        return [state, dc.no_update];
      }
      state.from = "user";
      return [state, patch.build()];
    },

    /* A user's brush written into the figure, so that later figure updates keep it. */
    writeBackBrush: function (brush, figure) {
      if (!brush || brush.from !== "user" || !figure || !figure.data) return dc.no_update;
      const patch = new dc.Patch();
      figure.data[0].dimensions.forEach(function (dim, k) {
        const range = brush.ranges[dim.label] || null;
        if (JSON.stringify(dim.constraintrange || null) !== JSON.stringify(range)) {
          patch.assign(["data", 0, "dimensions", k, "constraintrange"], range);
        }
      });
      return patch.build();
    },

    /* The selected lines the server adds to the drawn sample (parcoords.py selected_lines):
     * the figure keeps its first `sample` lines and gets these appended (drawn on top), with
     * colours from the current selection. Only the added lines travel, never the sample. */
    mergeLines: function (lines, figure, maskValue, n) {
      const trace = figure && figure.data && figure.data[0];
      if (!lines || !trace || !trace.meta || trace.meta.sample !== lines.sample) {
        return dc.no_update;
      }
      const keep = lines.sample;
      const values = function (spec) {
        const steps = lib().arrayOf(spec); // 16-bit steps from lo (parcoords.py _quantized)
        const out = new Float32Array(steps.length);
        for (let j = 0; j < steps.length; j++) out[j] = spec.lo + steps[j] * spec.step;
        return out;
      };
      const join = function (old, added, Type) {
        const out = new Type(keep + added.length);
        out.set(old.subarray ? old.subarray(0, keep) : old.slice(0, keep));
        out.set(added, keep);
        return out;
      };
      const dims = [];
      for (const dim of trace.dimensions) {
        const added = lines.dims[dim.label];
        if (!added) return dc.no_update; // the axes changed meanwhile: a redraw is coming
        dims.push(join(lib().arrayOf(dim.values), values(added), Float32Array));
      }
      const rows = join(lib().arrayOf(trace.customdata), lib().arrayOf(lines.rows), Int32Array);
      const base = join(lib().arrayOf(trace.meta.base), values(lines.base), Float32Array);
      const mask = lib().decode(maskValue, n);
      const colors = new Float32Array(rows.length);
      for (let j = 0; j < rows.length; j++) colors[j] = !mask || mask[rows[j]] ? base[j] : 0;
      const patch = new dc.Patch();
      dims.forEach((values, k) => patch.assign(["data", 0, "dimensions", k, "values"], values));
      patch.assign(["data", 0, "customdata"], rows);
      patch.assign(["data", 0, "meta"], { base: base, sample: keep });
      patch.assign(["data", 0, "line", "color"], colors);
      return patch.build();
    },

    /* Selection -> line colours (unselected lines grey); another view's selection clears this
     * panel's brushes, since they no longer describe what is selected. */
    highlightParcoords: function (maskValue, n, figures, brushes) {
      const ctx = dc.callback_context;
      const mask = lib().decode(maskValue, n);
      const source = maskValue ? maskValue.source : null;
      const brushOut = [];
      const figOut = figures.map(function (figure, i) {
        const view = ctx.states_list[1][i].id.view;
        const trace = figure && figure.data && figure.data[0];
        if (!trace) {
          brushOut.push(dc.no_update);
          return dc.no_update;
        }
        const rows = lib().arrayOf(trace.customdata);
        const base = lib().arrayOf(trace.meta && trace.meta.base);
        const colors = new Float32Array(rows.length);
        for (let j = 0; j < rows.length; j++) colors[j] = !mask || mask[rows[j]] ? base[j] : 0;
        const patch = new dc.Patch();
        patch.assign(["data", 0, "line", "color"], colors);
        const brush = brushes[i] || {};
        const hasRanges = brush.ranges && Object.keys(brush.ranges).length > 0;
        if (hasRanges && source !== view) {
          trace.dimensions.forEach(function (_, k) {
            patch.assign(["data", 0, "dimensions", k, "constraintrange"], null);
          });
          brushOut.push({ order: brush.order, ranges: {}, from: "selection" });
        } else {
          brushOut.push(dc.no_update);
        }
        return patch.build();
      });
      return [figOut, brushOut];
    },
  };
  dc.latent_dash = Object.assign(dc.latent_dash || {}, api);
})();
