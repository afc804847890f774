/* latent-dash: parallel coordinates drawn in 2-D canvases (views/parcoords.py sends the data).
 *
 * Two canvases and an SVG: the background holds every drawn line in grey (drawn once per data,
 * size and axis order), the foreground the selected lines in colour, the SVG the axes, their
 * titles (drag one to reorder) and the brushes (drag along an axis; drag a brush to move it; a
 * click clears it). Lines are drawn a slice per frame (a few ms each) and a newer request
 * cancels an older one, so neither a brush nor a highlight ever holds the page's main thread.
 *
 * Axes are 16-bit codes (0..65534 from min to max, 65535 missing) and brushes are code ranges.
 * With the codes of all N samples ("full"), a released brush is evaluated here over all of them
 * and goes straight to the shared selection (selection-mask for every view, selection-upload for
 * the server); otherwise the brush goes to the server, which evaluates the same codes.
 */
(function () {
  "use strict";
  const dc = (window.dash_clientside = window.dash_clientside || {});
  const lib = () => dc.latent_dash;
  const TOP = 0xfffe;
  const MISSING = 0xffff;
  const GREY = "#c8c8c8";
  const PLAIN = "#1f77b4";
  const MARGIN = { top: 44, bottom: 22, left: 34, right: 34 };
  const SLICE_MS = 6; // drawing work per slice, rasterisation included
  // slices run when the page is idle: network answers, the count and other views go first
  const later = (fn) => lib().whenIdle(fn);
  const SVGNS = "http://www.w3.org/2000/svg";
  const plots = new Map(); // stringified plot id -> ParallelPlot
  let mode = "replace"; // the toolbar's selection mode (rememberMode)
  let lastMask = { value: null, n: null }; // the shared selection, for panels drawn later

  function svg(tag, attrs, parent) {
    const el = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach((k) => el.setAttribute(k, attrs[k]));
    if (parent) parent.appendChild(el);
    return el;
  }

  /* Round ticks between lo and hi (about `count` of them). */
  function ticks(lo, hi, count) {
    if (!(hi > lo)) return [lo];
    const raw = (hi - lo) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  function fmt(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
    return String(Number(v.toPrecision(4)));
  }

  class ParallelPlot {
    constructor(root, id) {
      this.root = root;
      this.id = id; // the panel's pattern-matching id: {kind, part, view, model}
      this.view = lib().panelSource(id); // what a selection made here names as its source
      this.mask = null; // Uint8Array(n) of the shared selection, or null
      this.source = null; // the view that made it
      this.extras = null; // selected lines added to the sample: {rows, codes: [Uint16Array], color}
      this.jobs = { bg: 0, fg: 0 };
      this.pending = { bg: false, fg: false }; // a drawing is under way (tests read it)
      root.innerHTML = "";
      root.classList.add("pc-root");
      this.bg = document.createElement("canvas");
      this.fg = document.createElement("canvas");
      this.bg.className = "pc-background";
      this.fg.className = "pc-foreground";
      this.axesLayer = svg("svg", { class: "pc-axes" });
      root.append(this.bg, this.fg, this.axesLayer);
      this.resizeObserver = new ResizeObserver(() => this.relayout());
      this.resizeObserver.observe(root);
    }

    /* New data from the server (a new sample, axes, colour or filter). */
    setData(data) {
      this.shownValue = undefined; // the selection is shown again on the new lines
      this.data = data;
      this.n = data.n;
      this.full = !!data.full;
      this.rows = lib().arrayOf(data.rows);
      this.axes = {};
      data.axes.forEach((a) => (this.axes[a.label] = Object.assign({}, a, { codes: lib().arrayOf(a.codes) })));
      this.color = data.color ? lib().arrayOf(data.color) : null;
      this.colors = data.colors || null;
      this.visible = data.visible ? lib().decode(data.visible, this.n) : null;
      this.order = (data.order || []).filter((l) => this.axes[l]);
      this.ranges = {};
      Object.keys(data.ranges || {}).forEach((l) => {
        if (this.axes[l] && data.ranges[l] && data.ranges[l].length) this.ranges[l] = data.ranges[l][0].slice();
      });
      // the drawn lines' codes, axis by axis (gathered from all samples' codes when full)
      this.lineCodes = {};
      this.order.forEach((label) => {
        const codes = this.axes[label].codes;
        if (!this.full) {
          this.lineCodes[label] = codes;
          return;
        }
        const out = new Uint16Array(this.rows.length);
        for (let j = 0; j < this.rows.length; j++) out[j] = codes[this.rows[j]];
        this.lineCodes[label] = out;
      });
      this.lineColor = null;
      if (this.color) {
        if (this.full) {
          this.lineColor = new Uint8Array(this.rows.length);
          for (let j = 0; j < this.rows.length; j++) this.lineColor[j] = this.color[this.rows[j]];
        } else this.lineColor = this.color;
      }
      if (this.extras && this.extras.sample !== this.rows.length) this.extras = null;
      this.relayout();
    }

    /* The extra selected lines the server sends (views/parcoords.py selected_lines). */
    setExtras(lines) {
      if (!lines || !this.data || lines.sample !== this.rows.length) {
        this.extras = null;
      } else {
        const codes = {};
        for (const label of this.order) {
          if (!lines.codes[label]) return; // other axes: a redraw is on its way
          codes[label] = lib().arrayOf(lines.codes[label]);
        }
        this.extras = { rows: lib().arrayOf(lines.rows), codes: codes, color: lines.color ? lib().arrayOf(lines.color) : null };
      }
      this.drawForeground();
    }

    setSelection(maskValue, n) {
      if (this.shownValue !== undefined && lib().sameSelection(maskValue, this.shownValue)) return;
      this.shownValue = maskValue;
      this.mask = lib().decode(maskValue, n);
      this.source = maskValue ? maskValue.source : null;
      this.preview = null;
      // another view's selection (or a clear) no longer matches this panel's brushes
      if (this.source !== this.view && Object.keys(this.ranges || {}).length) {
        this.ranges = {};
        this.drawBrushes();
        this.publish("selection");
      }
      this.drawForeground();
    }

    /* ---- geometry */
    relayout() {
      if (!this.data) return;
      const w = this.root.clientWidth;
      const h = this.root.clientHeight;
      if (!w || !h) return;
      const ratio = Math.min(window.devicePixelRatio || 1, 2);
      [this.bg, this.fg].forEach((c) => {
        c.width = Math.round(w * ratio);
        c.height = Math.round(h * ratio);
        c.style.width = w + "px";
        c.style.height = h + "px";
        c.getContext("2d", { willReadFrequently: true }).setTransform(ratio, 0, 0, ratio, 0, 0);
      });
      this.axesLayer.setAttribute("width", w);
      this.axesLayer.setAttribute("height", h);
      this.width = w;
      this.height = h;
      this.y0 = MARGIN.top;
      this.y1 = h - MARGIN.bottom;
      this.placeAxes();
      this.drawAxes();
      this.drawBackground();
      this.drawForeground();
    }

    placeAxes() {
      const k = this.order.length;
      const span = this.width - MARGIN.left - MARGIN.right;
      this.x = {};
      this.order.forEach((label, i) => (this.x[label] = MARGIN.left + (k > 1 ? (i * span) / (k - 1) : span / 2)));
    }

    yOf(code) {
      return this.y1 - (code / TOP) * (this.y1 - this.y0);
    }

    codeOf(y) {
      const c = Math.round(((this.y1 - y) / (this.y1 - this.y0)) * TOP);
      return Math.max(0, Math.min(TOP, c));
    }

    /* ---- drawing: slices of lines per frame, cancelled by a newer request */
    drawLines(layer, items, styleOf, alpha) {
      const job = ++this.jobs[layer];
      const canvas = layer === "bg" ? this.bg : this.fg;
      const g = canvas.getContext("2d", { willReadFrequently: true });
      const order = this.order;
      const xs = order.map((l) => this.x[l]);
      const total = items.count;
      let at = 0;
      let chunk = 100; // lines per slice, adapted to SLICE_MS
      const step = () => {
        if (job !== this.jobs[layer]) return; // superseded
        const start = performance.now();
        if (at === 0) g.clearRect(0, 0, this.width, this.height);
        g.globalAlpha = alpha;
        g.lineWidth = 1;
        let style = null;
        {
          const stop = Math.min(total, at + chunk);
          for (; at < stop; at++) {
            const codes = items.codes(at);
            const s = styleOf(at);
            if (s !== style) g.strokeStyle = style = s;
            g.beginPath();
            let pen = false;
            for (let k = 0; k < order.length; k++) {
              const c = codes[k];
              if (c === MISSING) {
                pen = false;
                continue;
              }
              const y = this.yOf(c);
              if (pen) g.lineTo(xs[k], y);
              else g.moveTo(xs[k], y);
              pen = true;
            }
            g.stroke();
          }
          // rasterise now, inside this slice: left to the next frame, a canvas of thousands
          // of lines would hold that frame (and everything waiting for it) for tens of ms
          g.getImageData(0, 0, 1, 1);
        }
        const took = Math.max(0.1, performance.now() - start);
        chunk = Math.max(20, Math.min(5000, Math.round((chunk * SLICE_MS) / took)));
        if (at < total) later(step);
        else this.pending[layer] = false;
      };
      this.pending[layer] = true;
      later(step);
    }

    alphaFor(count) {
      return Math.max(0.06, Math.min(0.85, 24 / Math.sqrt(Math.max(count, 1))));
    }

    /* Lines j of the drawn sample (and of the extras), as a source for drawLines. */
    lineSource(list, extras) {
      const order = this.order;
      const cols = order.map((l) => this.lineCodes[l]);
      const xcols = extras ? order.map((l) => extras.codes[l]) : null;
      const buf = new Uint16Array(order.length);
      const count = list.length + (extras ? extras.rows.length : 0);
      const rows = new Int32Array(count);
      for (let i = 0; i < list.length; i++) rows[i] = this.rows[list[i]];
      if (extras) rows.set(extras.rows, list.length);
      return {
        count: count,
        rows: rows,
        codes: (i) => {
          if (i < list.length) {
            const j = list[i];
            for (let k = 0; k < cols.length; k++) buf[k] = cols[k][j];
          } else {
            const j = i - list.length;
            for (let k = 0; k < xcols.length; k++) buf[k] = xcols[k][j];
          }
          return buf;
        },
        colorIndex: (i) => {
          if (i < list.length) return this.lineColor ? this.lineColor[list[i]] : -1;
          return extras.color ? extras.color[i - list.length] : -1;
        },
      };
    }

    /* The grey lines behind a selection: drawn when a selection first needs them (hidden
     * without one), so a page without a selection draws its lines once, not twice. */
    drawBackground() {
      this.bgDrawn = false;
      if (this.preview || this.mask) this.ensureBackground();
    }

    ensureBackground() {
      if (this.bgDrawn) return;
      this.bgDrawn = true;
      const all = new Int32Array(this.rows.length);
      for (let j = 0; j < all.length; j++) all[j] = j;
      this.drawLines("bg", this.lineSource(all, null), () => GREY, this.alphaFor(all.length) * 0.6);
    }

    /* The lines in colour: the selected ones (or the brush being drawn), else all of them. */
    drawForeground() {
      if (!this.data || !this.width) return;
      const shown = this.preview || this.mask;
      const list = [];
      for (let j = 0; j < this.rows.length; j++) {
        if (!shown || shown[this.rows[j]]) list.push(j);
      }
      let extras = null;
      if (shown && this.extras && !this.preview) {
        const keep = [];
        for (let i = 0; i < this.extras.rows.length; i++) if (shown[this.extras.rows[i]]) keep.push(i);
        const pick = (arr) => (arr ? Uint16Array.from(keep, (i) => arr[i]) : null);
        const codes = {};
        for (const l of this.order) codes[l] = pick(this.extras.codes[l]);
        extras = {
          rows: Int32Array.from(keep, (i) => this.extras.rows[i]),
          codes: codes,
          color: this.extras.color ? Uint8Array.from(keep, (i) => this.extras.color[i]) : null,
        };
      }
      this.bg.style.visibility = shown ? "visible" : "hidden";
      if (shown) this.ensureBackground();
      this.drawnMask = shown; // what the foreground is being drawn for (tests read it)
      const source = this.lineSource(list, extras);
      // lines of one colour together: fewer style changes, one pass per colour
      const idx = new Int32Array(source.count);
      for (let i = 0; i < idx.length; i++) idx[i] = i;
      const colors = this.colors;
      if (colors) idx.sort((a, b) => source.colorIndex(a) - source.colorIndex(b));
      const sorted = {
        count: source.count,
        rows: source.rows,
        codes: (i) => source.codes(idx[i]),
      };
      const styleOf = colors ? (i) => colors[Math.max(0, source.colorIndex(idx[i]))] || PLAIN : () => PLAIN;
      this.drawLines("fg", sorted, styleOf, this.alphaFor(source.count));
    }

    /* ---- axes and brushes */
    drawAxes() {
      const layer = this.axesLayer;
      while (layer.firstChild) layer.removeChild(layer.firstChild);
      this.axisGroups = {};
      this.order.forEach((label) => {
        const axis = this.axes[label];
        const g = svg("g", { class: "pc-axis", transform: `translate(${this.x[label]},0)` }, layer);
        g.dataset.label = label;
        svg("line", { class: "pc-axis-line", x1: 0, x2: 0, y1: this.y0, y2: this.y1 }, g);
        const hi = axis.lo + TOP * axis.step;
        const values = axis.categories
          ? axis.categories.map((_, i) => i).filter((i, _, a) => a.length <= 12 || i % Math.ceil(a.length / 12) === 0)
          : ticks(axis.lo, hi, 5);
        values.forEach((v) => {
          const code = axis.categories ? v / axis.step : (v - axis.lo) / axis.step;
          const y = this.yOf(Math.max(0, Math.min(TOP, code)));
          svg("line", { class: "pc-tick", x1: -4, x2: 0, y1: y, y2: y }, g);
          const t = svg("text", { class: "pc-tick-label", x: -6, y: y + 3 }, g);
          t.textContent = axis.categories ? axis.categories[v] : fmt(v);
        });
        const title = svg("text", { class: "axis-title", x: 0, y: this.y0 - 14 }, g);
        title.textContent = label;
        const brush = svg("g", { class: "axis-brush" }, g);
        const background = svg("rect", { class: "background", x: -12, width: 24, y: this.y0, height: this.y1 - this.y0 }, brush);
        const extent = svg("rect", { class: "extent", x: -8, width: 16, y: 0, height: 0 }, brush);
        this.axisGroups[label] = { g: g, extent: extent };
        this.bindBrush(label, background, extent);
        this.bindAxisDrag(label, g, title);
      });
      this.drawBrushes();
    }

    drawBrushes() {
      Object.keys(this.axisGroups || {}).forEach((label) => {
        const range = this.ranges[label];
        const extent = this.axisGroups[label].extent;
        if (!range) {
          extent.setAttribute("height", 0);
          extent.style.display = "none";
          return;
        }
        const top = this.yOf(range[1]);
        extent.style.display = "";
        extent.setAttribute("y", top);
        extent.setAttribute("height", Math.max(1, this.yOf(range[0]) - top));
      });
    }

    localY(event) {
      return event.clientY - this.axesLayer.getBoundingClientRect().top;
    }

    bindBrush(label, background, extent) {
      const start = (event, moving) => {
        event.preventDefault();
        event.stopPropagation();
        const y0 = this.localY(event);
        const before = this.ranges[label] ? this.ranges[label].slice() : null;
        let moved = false;
        const target = event.currentTarget;
        target.setPointerCapture(event.pointerId);
        const move = (e) => {
          const y = Math.max(this.y0, Math.min(this.y1, this.localY(e)));
          if (Math.abs(y - y0) < 3 && !moved) return;
          moved = true;
          if (moving && before) {
            const shift = this.codeOf(this.y1 - (y0 - y)) - this.codeOf(this.y1);
            const width = before[1] - before[0];
            const lo = Math.max(0, Math.min(TOP - width, before[0] + shift));
            this.ranges[label] = [lo, lo + width];
          } else {
            const a = this.codeOf(Math.max(this.y0, Math.min(this.y1, y0)));
            const b = this.codeOf(y);
            this.ranges[label] = [Math.min(a, b), Math.max(a, b)];
          }
          this.drawBrushes();
          this.schedulePreview();
        };
        const up = (e) => {
          target.removeEventListener("pointermove", move);
          target.removeEventListener("pointerup", up);
          target.removeEventListener("pointercancel", up);
          if (!moved) {
            if (!before) return;
            delete this.ranges[label]; // a click clears this axis' brush
            this.drawBrushes();
          } else move(e);
          this.commit();
        };
        target.addEventListener("pointermove", move);
        target.addEventListener("pointerup", up);
        target.addEventListener("pointercancel", up);
      };
      background.addEventListener("pointerdown", (e) => start(e, false));
      extent.addEventListener("pointerdown", (e) => start(e, true));
    }

    bindAxisDrag(label, group, title) {
      title.addEventListener("pointerdown", (event) => {
        event.preventDefault();
        const x0 = event.clientX;
        const home = this.x[label];
        let dx = 0;
        title.setPointerCapture(event.pointerId);
        group.classList.add("dragging");
        const move = (e) => {
          dx = e.clientX - x0;
          group.setAttribute("transform", `translate(${home + dx},0)`);
        };
        const up = () => {
          title.removeEventListener("pointermove", move);
          title.removeEventListener("pointerup", up);
          group.classList.remove("dragging");
          if (Math.abs(dx) < 3) {
            group.setAttribute("transform", `translate(${home},0)`);
            return;
          }
          const at = Object.assign({}, this.x, { [label]: home + dx });
          this.order = this.order.slice().sort((a, b) => at[a] - at[b]);
          this.publish("order");
          this.placeAxes();
          this.drawAxes();
          this.drawBackground();
          this.drawForeground();
        };
        title.addEventListener("pointermove", move);
        title.addEventListener("pointerup", up);
      });
    }

    /* ---- selections */
    /* Samples (all N) inside every brushed range: the twin of parcoords.py brushed_mask. */
    brushMask() {
      const mask = new Uint8Array(this.n).fill(1);
      Object.keys(this.ranges).forEach((label) => {
        const codes = this.axes[label].codes;
        const [lo, hi] = this.ranges[label];
        for (let i = 0; i < this.n; i++) {
          const c = codes[i];
          if (c < lo || c > hi || c === MISSING) mask[i] = 0;
        }
      });
      if (this.visible) for (let i = 0; i < this.n; i++) mask[i] &= this.visible[i];
      return mask;
    }

    /* The brush being drawn, shown at once on the drawn lines (one redraw per frame). */
    schedulePreview() {
      if (this.previewPending) return;
      this.previewPending = true;
      requestAnimationFrame(() => {
        this.previewPending = false;
        const mask = new Uint8Array(this.n);
        const labels = Object.keys(this.ranges);
        const cols = labels.map((l) => this.lineCodes[l]);
        for (let j = 0; j < this.rows.length; j++) {
          let inside = !this.visible || this.visible[this.rows[j]];
          for (let k = 0; inside && k < labels.length; k++) {
            const c = cols[k][j];
            const r = this.ranges[labels[k]];
            inside = c >= r[0] && c <= r[1] && c !== MISSING;
          }
          mask[this.rows[j]] = inside ? 1 : 0;
        }
        const fresh = labels.length ? mask : null;
        this.preview = fresh ? lib().combine(this.mask, fresh, mode) : this.mask;
        this.drawForeground();
      });
    }

    /* The brush as the page's store value: code ranges as lists of [lo, hi]. */
    brushValue(from) {
      const ranges = {};
      Object.keys(this.ranges).forEach((l) => (ranges[l] = [this.ranges[l].slice()]));
      return { order: this.order.slice(), ranges: ranges, from: from };
    }

    publish(from) {
      dc.set_props(this.storeId("brush"), { data: this.brushValue(from) });
    }

    storeId(part) {
      return { kind: "parcoords", part: part, view: this.id.view, model: this.id.model };
    }

    /* A released brush: evaluated here over every sample when the codes of all are here,
     * else by the server (select_by_brush). */
    commit() {
      this.preview = null;
      const brushed = Object.keys(this.ranges).length > 0;
      if (!this.full) {
        this.publish("user");
        dc.set_props(this.storeId("server-brush"), { data: this.brushValue("user") });
        return;
      }
      let value = null;
      if (brushed) {
        const mask = lib().combine(this.mask, this.brushMask(), mode);
        value = Object.assign(lib().encode(mask), { source: this.view });
      } else if (this.source !== this.view) {
        this.drawForeground();
        return; // nothing of this panel's was selected
      }
      this.mask = value ? lib().decode(value, this.n) : null;
      this.source = value ? this.view : null;
      this.shownValue = value;
      lib().announceSelection(value, this.view, this.n);
      this.publish("user"); // the brush kept for redraws, after what the user waits for
      // the lines follow once the count and the tables' requests are out
      later(() => this.drawForeground());
    }

    /* What tests read: axis order, brushed ranges (codes and values), the coloured samples. */
    state() {
      const values = {};
      Object.keys(this.ranges).forEach((l) => {
        const a = this.axes[l];
        values[l] = [a.lo + (this.ranges[l][0] - 0.5) * a.step, a.lo + (this.ranges[l][1] + 0.5) * a.step];
      });
      const shown = this.mask;
      const highlighted = [];
      for (let j = 0; j < this.rows.length; j++) if (!shown || shown[this.rows[j]]) highlighted.push(this.rows[j]);
      if (shown && this.extras) {
        for (const r of this.extras.rows) if (shown[r]) highlighted.push(r);
      }
      return {
        order: this.order.slice(),
        ranges: this.order.map((l) => (this.ranges[l] ? this.ranges[l].slice() : null)),
        values: this.order.map((l) => values[l] || null),
        highlighted: highlighted.sort((a, b) => a - b),
        drawn: this.rows.length + (this.extras ? this.extras.rows.length : 0),
        rows: Array.from(this.rows),
        extras: this.extras ? Array.from(this.extras.rows) : [],
        full: this.full,
        drawing: this.pending.fg || this.pending.bg,
      };
    }
  }

  function plotFor(id, create) {
    const key = lib().stringifyId(id);
    const root = document.getElementById(key);
    let plot = plots.get(key);
    if (plot && plot.root !== root) {
      plot.resizeObserver.disconnect();
      plot = null;
      plots.delete(key);
    }
    if (!plot && root && create) {
      plot = new ParallelPlot(root, id);
      root.__parallel = plot;
      plots.set(key, plot);
    }
    return plot;
  }

  /* Run `fn(plot)` once the panel's element is in the page (Dash may call before it mounts). */
  function whenMounted(id, fn, tries) {
    const plot = plotFor(id, true);
    if (plot) return fn(plot);
    if ((tries || 0) < 100) requestAnimationFrame(() => whenMounted(id, fn, (tries || 0) + 1));
  }

  const api = {
    parallelDraw: function (data, id) {
      if (data && id) {
        whenMounted(id, (plot) => {
          plot.setData(data);
          if (lastMask.n === data.n) plot.setSelection(lastMask.value, data.n);
        });
      }
      return dc.no_update;
    },
    parallelHighlight: function (maskValue, n, plotIds) {
      lastMask = { value: maskValue, n: n };
      (plotIds || []).forEach((id) => {
        const plot = plotFor(id, false);
        if (plot && plot.data) plot.setSelection(maskValue, n);
      });
    },
    parallelLines: function (lines, id) {
      whenMounted(id, (plot) => plot.setExtras(lines));
    },
    rememberMode: function (value) {
      mode = value || "replace";
    },
  };
  dc.latent_dash = Object.assign(dc.latent_dash || {}, api);
})();
