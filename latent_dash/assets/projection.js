/* latent-dash: the dynamic projection view's rotation, entirely in the browser.
 *
 * The server sends the drawn samples' latent vectors once (the panel's `latent` store: float32
 * bytes and their sample indices) and then only target bases (D x 2). `animateProjection`
 * turns the shown basis into the target along the principal-angle geodesic (the twin of
 * latent_dash/compute/projection.py `interpolate`): the principal vectors of the two planes are
 * paired, each turns towards its partner in the plane they span, and the 2x2 in-plane part turns
 * from U^T to V^T, so every frame is orthonormal. Each animation frame calls Plotly.restyle on
 * x and y only (selectedpoints and styles are untouched: the selection stays highlighted); the
 * last frame is exactly z @ target, and the callback's Promise resolves to a Patch writing those
 * positions, the axis titles and the basis (layout.meta.basis) into the figure, so a later
 * highlight update redraws the points where they are.
 */
(function () {
  "use strict";

  const running = {}; // graph id -> {token, frame (the basis shown now), busy}

  function lib() {
    return window.dash_clientside.latent_dash;
  }

  /* Dash's DOM id of a pattern-matching id: JSON with sorted keys. */
  function domId(id) {
    if (typeof id === "string") return id;
    const keys = Object.keys(id).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + JSON.stringify(id[k])).join(",") + "}";
  }

  function plotOf(key) {
    const el = document.getElementById(key);
    if (!el) return null;
    return el.classList.contains("js-plotly-plot") ? el : el.querySelector(".js-plotly-plot");
  }

  /* SVD of a 2x2 matrix m (rows): {u, s, v} with m = u diag(s) v^T, v a rotation. */
  function svd2(m) {
    const p = m[0][0] * m[0][0] + m[1][0] * m[1][0];
    const r = m[0][1] * m[0][1] + m[1][1] * m[1][1];
    const q = m[0][0] * m[0][1] + m[1][0] * m[1][1];
    const theta = 0.5 * Math.atan2(2 * q, p - r);
    const c = Math.cos(theta);
    const sn = Math.sin(theta);
    const v = [[c, -sn], [sn, c]];
    const mid = (p + r) / 2;
    const rad = Math.hypot((p - r) / 2, q);
    const s = [Math.sqrt(Math.max(mid + rad, 0)), Math.sqrt(Math.max(mid - rad, 0))];
    const mv = (k) => [m[0][0] * v[0][k] + m[0][1] * v[1][k], m[1][0] * v[0][k] + m[1][1] * v[1][k]];
    let u1 = [1, 0];
    if (s[0] > 1e-12) {
      const w = mv(0);
      const n = Math.hypot(w[0], w[1]);
      u1 = [w[0] / n, w[1] / n];
    }
    let sign = 1;
    if (s[1] > 1e-12) {
      const w = mv(1);
      sign = -w[0] * u1[1] + w[1] * u1[0] >= 0 ? 1 : -1;
    }
    const u2 = [-sign * u1[1], sign * u1[0]];
    return { u: [[u1[0], u2[0]], [u1[1], u2[1]]], s: s, v: v };
  }

  function column(m, k) {
    return m.map((row) => row[k]);
  }

  function dot(a, b) {
    let out = 0;
    for (let i = 0; i < a.length; i++) out += a[i] * b[i];
    return out;
  }

  /* A unit vector orthogonal to the columns of a and b (null if there is none). */
  function offBoth(a, b) {
    const dims = a.length;
    const q = [];
    [column(a, 0), column(a, 1), column(b, 0), column(b, 1)].forEach(function (c) {
      const w = c.slice();
      q.forEach(function (e) {
        const d = dot(e, w);
        for (let i = 0; i < dims; i++) w[i] -= d * e[i];
      });
      const n = Math.hypot.apply(null, w);
      if (n > 1e-9) q.push(w.map((x) => x / n));
    });
    const weight = a.map((row, d) => Math.abs(row[0]) + Math.abs(row[1]) +
      Math.abs(b[d][0]) + Math.abs(b[d][1]));
    const order = weight.map((w, d) => d).sort((i, j) => weight[i] - weight[j] || i - j);
    for (const d of order) {
      const e = new Array(dims).fill(0);
      e[d] = 1;
      q.forEach(function (f) {
        const x = dot(f, e);
        for (let i = 0; i < dims; i++) e[i] -= x * f[i];
      });
      const n = Math.hypot.apply(null, e);
      if (n > 1e-6) return e.map((x) => x / n);
    }
    return null;
  }

  /* The geodesic from basis a to basis b (D x 2, rows): a function t -> frame (rows). */
  function geodesic(a, b) {
    const dims = a.length;
    const m = [[0, 0], [0, 0]];
    for (let d = 0; d < dims; d++) {
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) m[i][j] += a[d][i] * b[d][j];
    }
    const svd = svd2(m);
    const u = svd.u;
    const v = svd.v.map((row) => row.slice());
    const s = svd.s.slice();
    if (u[0][0] * u[1][1] - u[0][1] * u[1][0] < 0) { // u v^T a reflection: flip one pair
      v[0][1] = -v[0][1];
      v[1][1] = -v[1][1];
      s[1] = -s[1];
    }
    const times = (x, y) => x.map((row) => [
      row[0] * y[0][0] + row[1] * y[1][0], row[0] * y[0][1] + row[1] * y[1][1]]);
    const pa = times(a, u);
    const pb = times(b, v);
    const turns = [0, 1].map(function (k) {
      const cos = Math.max(-1, Math.min(1, s[k]));
      let towards = pb.map((row, d) => row[k] - cos * pa[d][k]);
      let n = Math.hypot.apply(null, towards);
      if (n < 1e-9 && cos < 0) {
        towards = offBoth(a, b) || towards;
        n = Math.hypot.apply(null, towards);
      }
      if (n < 1e-9) return { angle: 0, towards: towards.map(() => 0) };
      return { angle: Math.acos(cos), towards: towards.map((x) => x / n) };
    });
    const w = [[u[0][0] * v[0][0] + u[0][1] * v[0][1], u[0][0] * v[1][0] + u[0][1] * v[1][1]],
      [u[1][0] * v[0][0] + u[1][1] * v[0][1], u[1][0] * v[1][0] + u[1][1] * v[1][1]]];
    const phi = Math.atan2(w[1][0], w[0][0]);
    return function (t) {
      if (t <= 0) return a.map((row) => row.slice());
      if (t >= 1) return b.map((row) => row.slice());
      const c = Math.cos(phi * t);
      const sn = Math.sin(phi * t);
      // in-plane part: u^T R(phi t)
      const inPlane = [[u[0][0] * c + u[1][0] * sn, -u[0][0] * sn + u[1][0] * c],
        [u[0][1] * c + u[1][1] * sn, -u[0][1] * sn + u[1][1] * c]];
      const ca = [Math.cos(t * turns[0].angle), Math.cos(t * turns[1].angle)];
      const sa = [Math.sin(t * turns[0].angle), Math.sin(t * turns[1].angle)];
      const frame = pa.map((row, d) => [
        ca[0] * row[0] + sa[0] * turns[0].towards[d],
        ca[1] * row[1] + sa[1] * turns[1].towards[d],
      ]);
      return times(frame, inPlane);
    };
  }

  function bytesToB64(bytes) {
    let binary = "";
    const chunk = 0x8000;
    for (let i = 0; i < bytes.length; i += chunk) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
    }
    return btoa(binary);
  }

  function typed(array) {
    return { dtype: "f4", bdata: bytesToB64(new Uint8Array(array.buffer, array.byteOffset,
      array.byteLength)) };
  }

  function sameBasis(a, b) {
    if (!a || !b || a.length !== b.length) return false;
    for (let d = 0; d < a.length; d++) {
      if (Math.abs(a[d][0] - b[d][0]) > 1e-12 || Math.abs(a[d][1] - b[d][1]) > 1e-12) return false;
    }
    return true;
  }

  function nextFrame(callback) {
    if (document.hidden) setTimeout(() => callback(performance.now()), 16);
    else window.requestAnimationFrame(callback);
  }

  const api = {
    /* The frame a fraction t along the rotation from a to b (for tests and other views). */
    projectionFrame: function (a, b, t) {
      return geodesic(a, b)(t);
    },

    /* A new target basis: rotate the points there (a Promise of the figure's final Patch). */
    animateProjection: function (basisData, figure, latentData, focus) {
      const noUpdate = window.dash_clientside.no_update;
      if (!basisData || !basisData.basis || !figure || !figure.data || !latentData) {
        return noUpdate;
      }
      const outputs = window.dash_clientside.callback_context.outputs_list;
      const key = domId((Array.isArray(outputs) ? outputs[0] : outputs).id);
      const state = running[key] || (running[key] = { token: 0, frame: null, busy: false });
      const target = basisData.basis;
      const meta = (figure.layout && figure.layout.meta) || {};
      const from = state.busy && state.frame ? state.frame : meta.basis;
      const token = ++state.token;
      const titles = basisData.titles || ["", ""];
      const dims = latentData.dims;

      const arrayOf = lib().arrayOf;
      const stored = arrayOf(latentData.rows);
      const latent = arrayOf(latentData.latent);
      const where = new Map();
      for (let r = 0; r < stored.length; r++) where.set(stored[r], r);
      const traces = [];
      let focusTrace = -1;
      figure.data.forEach(function (trace, i) {
        if (trace.meta === "focus") focusTrace = i;
        else if (trace.meta !== "grid") traces.push(i);
      });
      const gather = function (samples) {
        const z = new Float64Array(samples.length * dims);
        for (let j = 0; j < samples.length; j++) {
          const r = where.get(Number(samples[j]));
          for (let d = 0; d < dims; d++) z[j * dims + d] = r === undefined ? NaN : latent[r * dims + d];
        }
        return z;
      };
      const rowsOf = traces.map((i) => arrayOf(figure.data[i].customdata));
      const vectors = rowsOf.map(gather);
      const hasFocus = focusTrace >= 0 && focus !== null && focus !== undefined && where.has(focus);
      const focusVector = hasFocus ? gather([focus]) : null;

      const place = function (frame) {
        const project = function (z, count) {
          const xs = new Float32Array(count);
          const ys = new Float32Array(count);
          for (let j = 0; j < count; j++) {
            let x = 0;
            let y = 0;
            for (let d = 0; d < dims; d++) {
              const value = z[j * dims + d];
              x += value * frame[d][0];
              y += value * frame[d][1];
            }
            xs[j] = x;
            ys[j] = y;
          }
          return [xs, ys];
        };
        const out = { x: [], y: [], indices: traces.slice() };
        vectors.forEach(function (z, k) {
          const xy = project(z, rowsOf[k].length);
          out.x.push(xy[0]);
          out.y.push(xy[1]);
        });
        if (focusVector) {
          const xy = project(focusVector, 1);
          out.x.push([xy[0][0]]);
          out.y.push([xy[1][0]]);
          out.indices.push(focusTrace);
        }
        return out;
      };
      const finalPatch = function (positions) {
        const patch = new window.dash_clientside.Patch();
        if (positions) {
          positions.indices.forEach(function (i, k) {
            const focusOne = i === focusTrace;
            patch.assign(["data", i, "x"], focusOne ? positions.x[k] : typed(positions.x[k]));
            patch.assign(["data", i, "y"], focusOne ? positions.y[k] : typed(positions.y[k]));
          });
        }
        patch.assign(["layout", "meta"], { basis: target });
        patch.assign(["layout", "xaxis", "title", "text"], titles[0]);
        patch.assign(["layout", "yaxis", "title", "text"], titles[1]);
        return patch.build();
      };

      const gd = plotOf(key);
      if (!gd || !window.Plotly || !from || from.length !== dims || target.length !== dims) {
        state.busy = false;
        return finalPatch(place(target));
      }
      if (sameBasis(from, target)) {
        state.busy = false;
        return finalPatch(null);
      }
      const signature = function (data) {
        return traces.map(function (i) {
          return data[i] ? arrayOf(data[i].customdata).length : -1;
        }).join("|") + "#" + data.length;
      };
      const expected = signature(figure.data);
      const path = geodesic(from, target);
      const duration = Math.max(0, Number(latentData.duration) || 0);
      state.busy = true;
      state.frame = from;

      return new Promise(function (resolve) {
        let start = null;
        const stop = function (value) {
          if (state.token === token) state.busy = false;
          resolve(value);
        };
        const step = function (now) {
          if (state.token !== token) return resolve(noUpdate); // a newer target took over
          if (!document.body.contains(gd) || signature(gd.data) !== expected) {
            return stop(noUpdate); // redrawn (colour, filter) or gone: the server's figure rules
          }
          if (start === null) {
            start = now;
            const relayout = {};
            if (gd.layout.xaxis && gd.layout.xaxis.autorange === false) relayout["xaxis.autorange"] = true;
            if (gd.layout.yaxis && gd.layout.yaxis.autorange === false) relayout["yaxis.autorange"] = true;
            if (Object.keys(relayout).length) window.Plotly.relayout(gd, relayout);
          }
          const t = duration > 0 ? Math.min(1, (now - start) / duration) : 1;
          const frame = t >= 1 ? target : path(0.5 - 0.5 * Math.cos(Math.PI * t));
          const positions = place(frame);
          state.frame = frame;
          window.Plotly.restyle(gd, { x: positions.x, y: positions.y }, positions.indices).then(
            function () {
              window.dash_clientside.latent_dash.refreshOverlay(gd); // the highlight follows
              if (t >= 1) stop(state.token === token ? finalPatch(positions) : noUpdate);
              else nextFrame(step);
            },
            function () {
              stop(noUpdate);
            });
        };
        nextFrame(step);
      });
    },
  };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.latent_dash = Object.assign(window.dash_clientside.latent_dash || {}, api);
})();
