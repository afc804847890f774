/* latent-dash: the selection in the browser.
 *
 * The twin of latent_dash/selection.py (encode / decode / combine must agree bit for bit), plus
 * the clientside callbacks that turn plot events into selections and show a selection in every
 * plot with Patch updates, so a selection change never resends a figure.
 */
(function () {
  "use strict";

  const DTYPES = {
    f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
    u2: Uint16Array, i4: Int32Array, u4: Uint32Array, u1c: Uint8ClampedArray,
  };
  const decoded = new WeakMap(); // {dtype, bdata} object -> typed array, decoded once

  /* A figure array as plotly 7 sends it ({dtype, bdata} base64) or a plain list -> array.
   * Sample indices may come delta-coded ({dtype: "u1" or "u2", bdata, start}: see
   * views/scatter.py pack_rows): they are summed back into an Int32Array of indices. */
  function arrayOf(value) {
    if (value == null) return [];
    if (Array.isArray(value) || ArrayBuffer.isView(value)) return value;
    if (typeof value === "object" && value.bdata !== undefined) {
      if (decoded.has(value)) return decoded.get(value);
      const bytes = base64Bytes(value.bdata);
      const Type = DTYPES[value.dtype] || Float64Array;
      let out = new Type(bytes.buffer, 0, bytes.byteLength / Type.BYTES_PER_ELEMENT);
      if (typeof value.start === "number") {
        const gaps = out;
        out = new Int32Array(gaps.length);
        let at = value.start;
        for (let j = 0; j < gaps.length; j++) {
          at += gaps[j];
          out[j] = at;
        }
      }
      decoded.set(value, out);
      return out;
    }
    return [];
  }

  /* Base64 text -> bytes: the browser's own decoder where it has one, else a plain loop
   * (Uint8Array.from with a mapping function is several times slower at 100k samples). */
  function base64Bytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function b64urlToBytes(text) {
    return base64Bytes(text.replace(/-/g, "+").replace(/_/g, "/"));
  }

  function bytesToB64url(bytes) {
    let binary = "";
    const chunk = 0x8000;
    for (let i = 0; i < bytes.length; i += chunk) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
  }

  /* Encoded selection -> Uint8Array(n) of 0/1, or null for "no selection". The same value is
   * decoded once (the count, every highlight and the tables all ask for it); callers must not
   * modify the mask. */
  const masks = new WeakMap();
  function decode(value, n) {
    if (!value || value.n !== n) return null;
    if (masks.has(value)) return masks.get(value);
    const mask = decodeMask(value, n);
    masks.set(value, mask);
    return mask;
  }

  function decodeMask(value, n) {
    const mask = new Uint8Array(n);
    if (value.idx) {
      for (const i of value.idx) mask[i] = 1;
      return mask;
    }
    const packed = b64urlToBytes(value.bits);
    for (let i = 0; i < n; i++) mask[i] = (packed[i >> 3] >> (7 - (i & 7))) & 1;
    return mask;
  }

  /* Uint8Array(n) of 0/1 -> the smaller of an index list and a packbits mask (the value
   * remembers its mask: decoding it again costs nothing). */
  function encode(mask) {
    const value = encodeMask(mask);
    masks.set(value, mask);
    return value;
  }

  function encodeMask(mask) {
    const n = mask.length;
    const index = [];
    for (let i = 0; i < n; i++) if (mask[i]) index.push(i);
    const indexChars = index.length * (String(n).length + 1);
    if (indexChars < Math.floor((Math.floor((n + 7) / 8) * 4) / 3)) return { n: n, idx: index };
    const packed = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (mask[i]) packed[i >> 3] |= 0x80 >> (i & 7);
    return { n: n, bits: bytesToB64url(packed) };
  }

  function combine(current, fresh, mode) {
    if (!current || mode === "replace") return fresh;
    const out = new Uint8Array(fresh.length);
    for (let i = 0; i < fresh.length; i++) {
      if (mode === "add") out[i] = current[i] | fresh[i];
      else if (mode === "intersect") out[i] = current[i] & fresh[i];
      else out[i] = current[i] & (1 - fresh[i]);
    }
    return out;
  }

  function count(mask) {
    let k = 0;
    for (let i = 0; i < mask.length; i++) k += mask[i];
    return k;
  }

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function triggeredId() {
    const ctx = window.dash_clientside.callback_context;
    if (!ctx || !ctx.triggered_id) return null;
    return ctx.triggered_id;
  }

  /* The sample index of every point of every trace, from the traces' customdata. */
  function pointIndex(figure) {
    return (figure.data || []).map((trace) => arrayOf(trace.customdata));
  }

  /* Position of the triggering input among an ALL-wildcard input list, or -1. */
  function triggeredIndex() {
    const trigger = triggeredId();
    const ctx = window.dash_clientside.callback_context;
    if (!trigger) return -1;
    return ctx.inputs_list[0].findIndex(
      (item) => JSON.stringify(item.id) === JSON.stringify(trigger));
  }

  /* The sample index of an event's first point, from the figure's customdata. */
  function sampleOf(event, figure) {
    const point = event && event.points && event.points[0];
    if (!point || !figure || !figure.data) return null;
    const trace = figure.data[point.curveNumber];
    const index = trace ? arrayOf(trace.customdata) : [];
    const j = point.pointIndex !== undefined ? point.pointIndex : point.pointNumber;
    const sample = index[j];
    return sample === undefined ? null : Number(sample);
  }


  /* Dash's DOM id of a pattern-matching id: keys sorted, values as JSON. */
  function stringifyId(id) {
    if (typeof id !== "object") return String(id);
    return "{" + Object.keys(id).sort().map((k) => JSON.stringify(k) + ":" + JSON.stringify(id[k])).join(",") + "}";
  }

  /* The `source` a selection made in a panel names: unique on the page, also beside other
   * models' panels of the same view (page.Panel.source is its twin). */
  function panelSource(id) {
    return id.view + "@" + (id.model || 0);
  }

  /* The selection and focus the scatter-like graphs show (set by highlightScatter). */
  const shown = { mask: null, focus: null };
  const VEIL_PIXEL = 0xc7ffffff; // white at 78 % opacity, as RGBA bytes read little-endian
  const FOCUS = "#d62728";

  /* A canvas over the plot area, above plotly's points and below its hover labels. The veil
   * dims every point; holes cut at the selected points let plotly's own colours through, so a
   * highlight costs one rectangle per selected point and never re-uploads the WebGL points. */
  function overlayCanvas(gd) {
    let canvas = gd.querySelector("canvas.ld-highlight");
    if (canvas) return canvas;
    const host = gd.querySelector(".gl-container") || gd.querySelector(".svg-container");
    if (!host) return null;
    canvas = document.createElement("canvas");
    canvas.className = "ld-highlight";
    canvas.style.position = "absolute";
    canvas.style.pointerEvents = "none";
    host.appendChild(canvas);
    // redraw when plotly redraws, zooms or pans
    if (gd.on) {
      ["plotly_afterplot", "plotly_relayout", "plotly_relayouting"].forEach((e) => gd.on(e, () => scheduleOverlay(gd)));
    }
    return canvas;
  }

  /* The highlight of one graph, once plotly has drawn it (a graph that just appeared may not
   * be plotted yet: asked again a frame later, for at most about ten seconds). */
  function highlightWhenPlotted(domId, tries) {
    const root = document.getElementById(domId);
    const gd = root && (root.classList.contains("js-plotly-plot") ? root : root.querySelector(".js-plotly-plot"));
    if (!gd || !gd._fullLayout || !gd.on) {
      if (tries < 600) window.requestAnimationFrame(() => highlightWhenPlotted(domId, tries + 1));
      return;
    }
    // plotly's own outline of a box or lasso: stale once the selection changed, and a drag
    // starting inside it would move it instead of selecting (clearing it costs < 1 ms)
    if (gd.layout && gd.layout.selections && gd.layout.selections.length && window.Plotly) {
      window.Plotly.relayout(gd, { selections: [] });
    }
    scheduleOverlay(gd);
  }

  /* Data -> pixel (from the plot area's corner) along an axis: plotly's linear map when the
   * axis is linear (one multiply-add a point), else its own conversion. */
  function pixelOf(axis) {
    if (axis.type === "linear" && typeof axis._m === "number" && typeof axis._b === "number") {
      const m = axis._m;
      const b = axis._b;
      return (v) => m * v + b;
    }
    return (v) => axis.c2p(v);
  }

  function drawOverlay(gd) {
    const layout = gd._fullLayout;
    const canvas = overlayCanvas(gd);
    if (!canvas || !layout || !layout._size || !layout.xaxis || !layout.yaxis) return;
    const size = layout._size;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const width = Math.max(1, Math.round(size.w * ratio));
    const height = Math.max(1, Math.round(size.h * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    canvas.style.left = size.l + "px";
    canvas.style.top = size.t + "px";
    canvas.style.width = size.w + "px";
    canvas.style.height = size.h + "px";
    const g = canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, width, height);
    const mask = shown.mask;
    const focus = shown.focus;
    // what the canvas shows, for tests: the highlighted samples (null: no selection), the ring
    const drawn = { selected: mask ? [] : null, focus: null };
    gd.__ldShown = drawn;
    if (!mask && (focus === null || focus === undefined)) return;
    const px = pixelOf(layout.xaxis);
    const py = pixelOf(layout.yaxis);
    // the veil as pixels, holes written straight into them: one loop over the selected points
    // and one putImageData, where canvas rectangles cost seconds at a million points
    const image = mask ? g.createImageData(width, height) : null;
    const pixels = image ? new Uint32Array(image.data.buffer) : null;
    if (pixels) pixels.fill(VEIL_PIXEL);
    let ring = null;
    (gd.data || []).forEach(function (trace, t) {
      if (trace.meta === "focus" || trace.meta === "grid" || trace.visible === false || trace.visible === "legendonly") return;
      const full = (gd._fullData || [])[t] || trace;
      if (full.xaxis && full.xaxis !== "x") return; // only the main axes are scatter plots
      const idx = arrayOf(trace.customdata);
      // plotly's own decoded copies of x and y when it has them (no second decode)
      const xs = ArrayBuffer.isView(full.x) ? full.x : arrayOf(trace.x);
      const ys = ArrayBuffer.isView(full.y) ? full.y : arrayOf(trace.y);
      const marker = full.marker || trace.marker || {};
      const r = (typeof marker.size === "number" ? marker.size : 6) / 2 + 1;
      // a round hole the size of the marker: each row's half-width, from the circle
      const radius = Math.max(1, (r - 0.5) * ratio);
      const half = Math.ceil(radius);
      const span = new Int32Array(2 * half + 1);
      for (let dy = -half; dy <= half; dy++) {
        span[dy + half] = Math.floor(Math.sqrt(Math.max(0, radius * radius - dy * dy)));
      }
      for (let j = 0; j < idx.length; j++) {
        const sample = idx[j];
        if (sample === focus) ring = [px(xs[j]), py(ys[j]), r];
        if (!mask || !mask[sample]) continue;
        drawn.selected.push(sample);
        const cx = Math.round(px(xs[j]) * ratio);
        const cy = Math.round(py(ys[j]) * ratio);
        if (cx < -half || cy < -half || cx >= width + half || cy >= height + half) continue;
        for (let y = Math.max(0, cy - half), y1 = Math.min(height - 1, cy + half); y <= y1; y++) {
          const w = span[y - cy + half];
          const x0 = Math.max(0, cx - w);
          const x1 = Math.min(width - 1, cx + w);
          if (x1 >= x0) pixels.fill(0, y * width + x0, y * width + x1 + 1);
        }
      }
    });
    if (image) g.putImageData(image, 0, 0);
    if (ring) {
      drawn.focus = focus;
      drawn.ring = [ring[0] + size.l, ring[1] + size.t];
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.strokeStyle = FOCUS;
      g.lineWidth = 3;
      g.beginPath();
      g.arc(ring[0], ring[1], Math.max(7, ring[2] + 4), 0, 2 * Math.PI);
      g.stroke();
    }
  }

  /* Highlight redraws wait until the page is idle (at most REDRAW_WAIT_MS): the count, the
   * server views' requests and their answers go first. */
  const REDRAW_WAIT_MS = 40;
  function whenIdle(fn) {
    if (window.requestIdleCallback) window.requestIdleCallback(fn, { timeout: REDRAW_WAIT_MS });
    else setTimeout(fn, 0);
  }

  /* One overlay redraw per graph at a time, with the latest selection. */
  function scheduleOverlay(gd) {
    if (gd.__ldOverlayPending) return;
    gd.__ldOverlayPending = true;
    whenIdle(function () {
      gd.__ldOverlayPending = false;
      drawOverlay(gd);
    });
  }

  /* The count element is written here only (never a Dash output): the browser's selections
   * show their count at once, without waiting for Dash's dispatch. */
  function showCount(maskValue, n) {
    const el = document.getElementById("selection-count");
    if (!el || !n) return;
    const mask = decode(maskValue, n);
    const k = mask ? count(mask) : 0;
    el.textContent = k.toLocaleString("en-US") + " of " + n.toLocaleString("en-US") + " selected";
  }

  function sameSelection(a, b) {
    if (a === b) return true;
    if (!a || !b || a.n !== b.n) return false;
    if (a.bits !== undefined || b.bits !== undefined) return a.bits === b.bits;
    return JSON.stringify(a.idx) === JSON.stringify(b.idx);
  }

  const api = {
    arrayOf: arrayOf,
    sameSelection: sameSelection,
    stringifyId: stringifyId,
    panelSource: panelSource,
    whenIdle: whenIdle,
    decode: decode,
    encode: encode,
    combine: combine,

    /* "K of N selected" under the toolbar, for a selection from anywhere. */
    showCount: function (maskValue, n) {
      showCount(maskValue, n);
    },

    /* A selection made in the browser (a brush), announced at once: the count and the tables'
     * requests go out now, before Dash dispatches the stores to the other views. */
    announceSelection: function (value, source, n) {
      showCount(value, n);
      window.dash_clientside.latent_dash.tableSelection(value); // the tables ask now (table.js)
      // Dash's dispatch to the other views in a task of its own: the count shows first
      setTimeout(function () {
        const set = window.dash_clientside.set_props;
        set("selection-mask", { data: value });
        set("selection-upload", { data: { mask: value, source: source } });
      }, 0);
    },

    /* A box or lasso selection in any scatter-like graph -> the shared selection.
     * Returns [selection-mask, selection-upload]. Points are mapped to samples through the
     * traces' customdata, so every trace layout (categories, overlays) works. */
    fromPlotSelection: function (allSelected, allFigures, mode, currentValue, n) {
      const trigger = triggeredId();
      const where = triggeredIndex();
      if (where < 0 || !n) return [noUpdate(), noUpdate()];
      const selected = allSelected[where];
      // plotly also reports an empty selection when a box is removed programmatically: only a
      // drawn box (range) or lasso (lassoPoints) is a user's selection
      if (!selected || !selected.points || !(selected.range || selected.lassoPoints)) {
        return [noUpdate(), noUpdate()];
      }
      const index = pointIndex(allFigures[where]);
      const fresh = new Uint8Array(n);
      for (const p of selected.points) {
        const i = index[p.curveNumber] ? index[p.curveNumber][p.pointIndex] : undefined;
        if (i !== undefined && i >= 0 && i < n) fresh[i] = 1;
      }
      const mask = combine(decode(currentValue, n), fresh, mode);
      const value = Object.assign(encode(mask), { source: panelSource(trigger) });
      return [value, { mask: value, source: value.source }];
    },

    /* The selection and focus shown in scatter-like graphs: a highlight canvas over each plot
     * (scheduleOverlay), one redraw per frame, never a plotly redraw. */
    highlightScatter: function (maskValue, focus, n, graphIds) {
      shown.mask = n ? decode(maskValue, n) : null;
      shown.focus = focus === undefined ? null : focus;
      (graphIds || []).forEach(function (id) {
        highlightWhenPlotted(stringifyId(id), 0);
      });
      return window.dash_clientside.no_update;
    },

    /* Redraw a graph's highlight after its points moved (the dynamic projection's frames). */
    refreshOverlay: function (gd) {
      scheduleOverlay(gd);
    },

    /* The selection and focus shown in a scatterplot matrix, as Patch updates of its
     * selectedpoints (its cells share one WebGL trace; scatter-like views use overlays). */
    highlightSplom: function (maskValue, focus, n, figures) {
      const triggered = (window.dash_clientside.callback_context || {}).triggered || [];
      const initial = !triggered.length || triggered[0].prop_id === ".";
      if (initial && !maskValue && (focus === null || focus === undefined)) {
        return window.dash_clientside.no_update; // a graph appeared with nothing to show
      }
      const mask = decode(maskValue, n);
      return figures.map(function (figure) {
        const patch = new window.dash_clientside.Patch();
        (figure.data || []).forEach(function (trace, t) {
          if (trace.meta === "focus" && trace.type === "splom") {
            // a scatterplot matrix rings the focus in every cell: one point per dimension
            const points = (figure.data || []).find((o) => o.type === "splom" && o.meta !== "focus");
            const at = points && focus !== null && focus !== undefined
              ? Array.from(arrayOf(points.customdata)).indexOf(focus) : -1;
            (trace.dimensions || []).forEach(function (_d, k) {
              const values = at >= 0 ? [arrayOf(points.dimensions[k].values)[at]] : [];
              patch.assign(["data", t, "dimensions", k, "values"], values);
            });
            return;
          }
          if (trace.meta === "focus") {
            let fx = [];
            let fy = [];
            if (focus !== null && focus !== undefined) {
              (figure.data || []).forEach(function (other) {
                if (other.meta === "focus") return;
                const idx = arrayOf(other.customdata);
                const at = idx.indexOf(focus);
                if (at >= 0) {
                  fx = [arrayOf(other.x)[at]];
                  fy = [arrayOf(other.y)[at]];
                }
              });
            }
            patch.assign(["data", t, "x"], fx);
            patch.assign(["data", t, "y"], fy);
            return;
          }
          if (trace.meta === "grid") return; // invisible click targets, no samples
          if (!mask) {
            patch.assign(["data", t, "selectedpoints"], null);
            return;
          }
          const idx = arrayOf(trace.customdata);
          const points = [];
          for (let j = 0; j < idx.length; j++) if (mask[idx[j]]) points.push(j);
          patch.assign(["data", t, "selectedpoints"], points);
        });
        // drop plotly's own selection box: plotly would otherwise recompute selectedpoints from
        // it and override the combined selection (add / intersect / subtract)
        patch.assign(["layout", "selections"], []);
        return patch.build();
      });
    },

    /* A click on a point makes its sample the focus. Plotly's event data lacks typed-array
     * customdata, so the sample is looked up in the figure (curve, point index). */
    focusFromClick: function (allClicks, allFigures) {
      const at = triggeredIndex();
      const sample = at < 0 ? null : sampleOf(allClicks[at], allFigures[at]);
      return sample === null ? noUpdate() : sample;
    },

    /* A hovered point -> {index, bbox} for the server's hover card (null when unhovered). */
    hoveredSample: function (hover, figure) {
      const sample = sampleOf(hover, figure);
      if (sample === null) return null;
      return { index: sample, bbox: hover.points[0].bbox };
    },

    clear: function () {
      return [null, null];
    },
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.latent_dash = Object.assign(window.dash_clientside.latent_dash || {}, api);
})();
