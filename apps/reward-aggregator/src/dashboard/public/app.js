/*
 * Live dashboard of the reward-aggregator. Plain browser JavaScript, no build step: Chart.js
 * (UMD, loaded first) defines window.Chart. Live figures come from the reward stream (SSE);
 * /stats, /policy/:scope and the frontier endpoints are polled, because they change between
 * rewards too (a price change, another instance's work) and because the stream only replays
 * the last few hundred events to a late subscriber.
 */
(() => {
  'use strict';

  const POLL_MS = 3000;
  const RECENT_ROWS = 20;
  // Enough for a long session; beyond it the older half is thinned, so the whole run stays visible.
  const MAX_SERIES_POINTS = 4000;
  const PALETTE = [
    '#2f6fed',
    '#e8590c',
    '#1a9e5f',
    '#9c36b5',
    '#d6336c',
    '#0c8599',
    '#f59f00',
    '#5c7cfa',
    '#66a80f',
    '#868e96',
  ];

  const $ = (id) => document.getElementById(id);

  const state = {
    scope: new URLSearchParams(location.search).get('scope') || '',
    scopes: [],
    stats: null,
    /** Last GET /policy/:scope, or null before the scope has a policy. */
    policy: null,
    policyNote: '',
    frontier: null,
    budgetPerQueryUsd: null,
    /** rewardsApplied -> running figures; keyed by count so stream replays and polls merge without duplicates. */
    series: new Map(),
    /** Newest first. */
    recent: [],
    latestEvent: null,
    stream: 'connecting',
  };

  // ---------- formatting ----------

  const num = (v) => (v === null || v === undefined || v === '' ? NaN : Number(v));
  const fixed = (v, d = 3) => (Number.isFinite(num(v)) ? num(v).toFixed(d) : '–');
  const usd = (v) => {
    const x = num(v);
    if (!Number.isFinite(x)) return '–';
    if (x === 0) return '$0';
    const a = Math.abs(x);
    // Per-query costs are fractions of a cent: fixed decimals would print them as $0.00.
    return '$' + (a >= 1 ? x.toFixed(2) : a >= 0.01 ? x.toFixed(4) : x.toPrecision(3));
  };

  // ---------- colours: fixed per arm for the whole session, so a model keeps its colour across panels ----------

  const armColours = new Map();
  const colour = (arm) => {
    if (!armColours.has(arm)) armColours.set(arm, PALETTE[armColours.size % PALETTE.length]);
    return armColours.get(arm);
  };
  const withAlpha = (hex, alpha) =>
    hex +
    Math.round(alpha * 255)
      .toString(16)
      .padStart(2, '0');

  // ---------- charts ----------

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#667085';
  Chart.defaults.borderColor = '#eceef2';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  /** Writes each point's model id next to it: a frontier is read by name, not by colour. */
  const pointLabels = {
    id: 'pointLabels',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = '11px ' + Chart.defaults.font.family;
      ctx.fillStyle = '#344054';
      chart.data.datasets.forEach((ds, i) => {
        if (!ds.pointLabels) return;
        chart.getDatasetMeta(i).data.forEach((el, j) => {
          const p = ds.data[j];
          if (!p || !p.label) return;
          // A label that would run off the right edge goes on the point's left instead.
          const w = ctx.measureText(p.label).width;
          const right = el.x + 7 + w <= chart.width;
          ctx.textAlign = right ? 'left' : 'right';
          ctx.fillText(p.label, right ? el.x + 7 : el.x - 7, el.y - 7);
        });
      });
      ctx.restore();
    },
  };

  const countAxis = { type: 'linear', title: { display: true, text: 'rewards applied' }, ticks: { precision: 0 } };
  const lineOptions = (yTitle, yTicks) => ({
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    plugins: { legend: { display: false } },
    scales: { x: countAxis, y: { title: { display: true, text: yTitle }, ticks: yTicks ? { callback: yTicks } : {} } },
    elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2, tension: 0 } },
  });

  const charts = {
    pulls: new Chart($('chart-pulls'), {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'pulls', data: [], backgroundColor: [] }] },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'pulls' } } },
      },
    }),
    estimates: new Chart($('chart-estimates'), {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          {
            label: '~95% interval',
            data: [],
            backgroundColor: [],
            borderColor: [],
            borderWidth: 1,
            barPercentage: 0.35,
          },
          {
            type: 'line',
            label: 'estimate',
            data: [],
            showLine: false,
            pointStyle: 'rectRot',
            pointRadius: 6,
            borderColor: '#1d2330',
            backgroundColor: '#1d2330',
          },
        ],
      },
      options: {
        plugins: {
          legend: { display: true, position: 'bottom' },
          tooltip: {
            callbacks: {
              label: (c) => {
                const e = (charts.estimates.$estimates || [])[c.dataIndex];
                if (!e) return '';
                const hw = Number.isFinite(e.halfWidth) ? '± ' + fixed(e.halfWidth) : '± ∞ (unseen)';
                return `${fixed(e.mean)} ${hw}, n = ${fixed(e.n, 1)}`;
              },
            },
          },
        },
        scales: { y: { title: { display: true, text: 'estimated value' } } },
      },
    }),
    reward: new Chart($('chart-reward'), {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'cumulative net reward',
            data: [],
            borderColor: '#2f6fed',
            backgroundColor: withAlpha('#2f6fed', 0.1),
            fill: 'origin',
          },
        ],
      },
      options: lineOptions('Σ reward'),
    }),
    variance: new Chart($('chart-variance'), {
      type: 'line',
      data: { datasets: [{ label: 'reward variance', data: [], borderColor: '#9c36b5' }] },
      options: lineOptions('variance'),
    }),
    frontier: new Chart($('chart-frontier'), {
      type: 'scatter',
      data: {
        datasets: [
          {
            label: 'frontier',
            data: [],
            showLine: true,
            borderColor: '#1a9e5f',
            backgroundColor: '#1a9e5f',
            pointRadius: 6,
            pointLabels: true,
          },
          {
            label: 'dominated',
            data: [],
            borderColor: '#98a2b3',
            backgroundColor: '#ffffff',
            pointRadius: 6,
            pointBorderWidth: 2,
            pointLabels: true,
          },
        ],
      },
      options: {
        parsing: false,
        plugins: {
          legend: { display: true, position: 'bottom' },
          tooltip: { callbacks: { label: (c) => `${c.raw.label}: quality ${fixed(c.raw.y)}, cost ${usd(c.raw.x)}` } },
        },
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'cost per query (USD)' },
            ticks: { callback: (v) => usd(v), maxRotation: 0, autoSkipPadding: 10 },
          },
          y: { title: { display: true, text: 'quality' }, grace: '8%' },
        },
        layout: { padding: { right: 16, top: 6 } },
      },
      plugins: [pointLabels],
    }),
    budget: new Chart($('chart-budget'), {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'spend',
            data: [],
            borderColor: '#e8590c',
            backgroundColor: withAlpha('#e8590c', 0.1),
            fill: 'origin',
          },
          { label: 'budget', data: [], borderColor: '#1d2330', borderDash: [6, 4], borderWidth: 1.5 },
        ],
      },
      options: (() => {
        const o = lineOptions('cumulative USD', (v) => usd(v));
        o.plugins.legend = { display: true, position: 'bottom' };
        o.plugins.tooltip = { callbacks: { label: (c) => `${c.dataset.label}: ${usd(c.parsed.y)}` } };
        return o;
      })(),
    }),
  };

  // ---------- data ----------

  async function getJson(path) {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, body };
  }

  function addPoint(x, fields) {
    if (!Number.isFinite(x) || x <= 0) return;
    const prev = state.series.get(x) || { x };
    for (const [k, v] of Object.entries(fields)) if (Number.isFinite(v)) prev[k] = v;
    state.series.set(x, prev);
    if (state.series.size > MAX_SERIES_POINTS) thinSeries();
  }

  function thinSeries() {
    const keys = [...state.series.keys()].sort((a, b) => a - b);
    const half = Math.floor(keys.length / 2);
    for (let i = 1; i < half; i += 2) state.series.delete(keys[i]);
  }

  function sortedSeries() {
    return [...state.series.values()].sort((a, b) => a.x - b.x);
  }

  function onReward(e) {
    if (!e || e.scope !== state.scope) return;
    addPoint(num(e.rewardsApplied), {
      reward: num(e.cumulativeReward),
      variance: num(e.rewardVariance),
      cost: num(e.cumulativeCostUsd),
    });
    if (!state.latestEvent || num(e.rewardsApplied) >= num(state.latestEvent.rewardsApplied)) state.latestEvent = e;
    // A reconnecting stream replays its history: a decision already listed is not listed twice.
    if (!state.recent.some((r) => r.decisionId === e.decisionId)) {
      state.recent.push(e);
      state.recent.sort(
        (a, b) => num(b.rewardsApplied) - num(a.rewardsApplied) || String(b.ts).localeCompare(String(a.ts)),
      );
      state.recent.length = Math.min(state.recent.length, RECENT_ROWS);
    }
    scheduleRender();
  }

  let source = null;
  function connectStream() {
    if (source) source.close();
    source = null;
    if (!state.scope) return;
    setStream('connecting');
    source = new EventSource('/streams/rewards?scope=' + encodeURIComponent(state.scope));
    source.onopen = () => setStream('live');
    source.onerror = () => setStream(source && source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    const handle = (m) => {
      try {
        onReward(JSON.parse(m.data));
      } catch (err) {
        console.warn('unreadable reward event', err);
      }
    };
    source.addEventListener('reward', handle);
    source.onmessage = handle;
  }

  function setStream(s) {
    state.stream = s;
    $('stream-dot').className = 'dot ' + (s === 'live' ? 'live' : s === 'connecting' ? '' : 'down');
    $('stream-status').textContent = s === 'live' ? 'live' : s;
  }

  function selectScope(scope) {
    if (scope === state.scope && source) return;
    state.scope = scope;
    state.series = new Map();
    state.recent = [];
    state.latestEvent = null;
    state.policy = null;
    state.frontier = null;
    const url = new URL(location.href);
    url.searchParams.set('scope', scope);
    history.replaceState(null, '', url);
    connectStream();
    void poll();
  }

  async function loadFrontier(scope) {
    let why;
    try {
      const r = await getJson('/frontier');
      if (r.ok) {
        const entry = (r.body.scopes || []).find((s) => s.scope === scope);
        const f = entry && entry.frontier;
        if (f && f.frontier && f.frontier.length > 0) {
          return {
            source: 'price-watcher',
            frontier: f.frontier,
            dominated: f.dominated || [],
            note: `From the price-watcher (policy v${entry.policyVersion}): estimated quality against the list price of a nominal call.`,
          };
        }
        why = 'no frontier for this scope yet';
      } else {
        why = String(r.body.message || 'HTTP ' + r.status).split(' (')[0];
      }
    } catch (err) {
      why = err.message;
    }
    const o = await getJson('/frontier/observed/' + encodeURIComponent(scope));
    if (!o.ok) throw new Error('frontier: HTTP ' + o.status);
    return {
      source: 'observed',
      frontier: o.body.frontier,
      dominated: o.body.dominated,
      note: `Observed mean quality against mean cost per query (price-watcher: ${why}).`,
    };
  }

  let polling = false;
  let pollAgain = false;
  async function poll() {
    if (polling) {
      // A scope switch during a poll must not wait a whole interval for its first picture.
      pollAgain = true;
      return;
    }
    polling = true;
    pollAgain = false;
    try {
      const s = await getJson('/stats');
      if (s.ok) {
        state.stats = s.body;
        state.budgetPerQueryUsd = s.body.budgetPerQueryUsd ?? null;
        updateScopes((s.body.scopes || []).map((r) => r.scope));
      }
      const scope = state.scope;
      if (scope) {
        const row = scopeRow();
        const live = state.stats && state.stats.live && state.stats.live[state.scope];
        if (row)
          addPoint(num(row.rewardsApplied), {
            reward: num(row.cumulativeReward),
            cost: num(row.cumulativeCostUsd),
            variance: live ? num(live.rewardVariance) : NaN,
          });
        const [p, f] = await Promise.allSettled([getJson('/policy/' + encodeURIComponent(scope)), loadFrontier(scope)]);
        // Answers about a scope the user has since left are dropped.
        if (scope !== state.scope) return;
        if (p.status === 'fulfilled') {
          state.policy = p.value.ok ? p.value.body : null;
          state.policyNote = p.value.ok
            ? ''
            : p.value.status === 404
              ? 'No policy stored for this scope yet.'
              : 'Policy: HTTP ' + p.value.status;
        }
        if (f.status === 'fulfilled') state.frontier = f.value;
      }
    } catch (err) {
      console.warn('poll failed', err);
    } finally {
      polling = false;
      scheduleRender();
      if (pollAgain) void poll();
    }
  }

  function updateScopes(scopes) {
    const all = [...new Set([...scopes, ...(state.scope ? [state.scope] : [])])].sort();
    if (all.join('\n') !== state.scopes.join('\n')) {
      state.scopes = all;
      const sel = $('scope');
      sel.replaceChildren(...(all.length ? all : ['']).map((sc) => new Option(sc || '(no scope yet)', sc)));
    }
    if (!state.scope && all.length) selectScope(all.includes('default') ? 'default' : all[0]);
    $('scope').value = state.scope;
  }

  const scopeRow = () => ((state.stats && state.stats.scopes) || []).find((r) => r.scope === state.scope);

  // ---------- rendering ----------

  let renderTimer = null;
  function scheduleRender() {
    // Bursts of rewards arrive together: one redraw per burst.
    if (renderTimer === null) renderTimer = setTimeout(render, 120);
  }

  function render() {
    renderTimer = null;
    const series = sortedSeries();
    renderKpis(series);
    renderPulls();
    renderEstimates();
    renderLines(series);
    renderFrontier();
    renderBudget(series);
    renderRecent();
    window.dashboard.renders += 1;
  }

  /** Newest running figures: the stream's last event or the polled row, whichever counted more rewards. */
  function latestFigures() {
    const row = scopeRow();
    const e = state.latestEvent;
    const live = state.stats && state.stats.live && state.stats.live[state.scope];
    if (e && (!row || num(e.rewardsApplied) >= num(row.rewardsApplied))) {
      return {
        n: num(e.rewardsApplied),
        reward: num(e.cumulativeReward),
        cost: num(e.cumulativeCostUsd),
        variance: num(e.rewardVariance),
        lambda: num(e.lambda),
        arms: e.arms,
      };
    }
    if (row) {
      const arms = {};
      for (const a of (state.stats.arms || []).filter((a) => a.scope === state.scope))
        arms[a.arm] = {
          pulls: num(a.pulls),
          meanQuality: num(a.meanQuality),
          meanCost: num(a.meanCost),
          meanReward: num(a.meanReward),
        };
      return {
        n: num(row.rewardsApplied),
        reward: num(row.cumulativeReward),
        cost: num(row.cumulativeCostUsd),
        variance: live ? num(live.rewardVariance) : NaN,
        lambda: num(row.lambda),
        arms,
      };
    }
    return null;
  }

  function renderKpis() {
    const f = latestFigures();
    $('kpi-rewards').textContent = f ? String(f.n) : '–';
    $('kpi-reward').textContent = f ? fixed(f.reward) : '–';
    $('kpi-variance').textContent = f ? fixed(f.variance, 4) : '–';
    $('kpi-cost').textContent = f ? usd(f.cost) : '–';
    $('kpi-lambda').textContent = f ? fixed(f.lambda, 2) : '–';
    $('kpi-policy').textContent = state.policy ? `${state.policy.algorithm} v${state.policy.version}` : '–';
  }

  function renderPulls() {
    const f = latestFigures();
    const arms = f ? Object.keys(f.arms).sort() : [];
    const c = charts.pulls;
    c.data.labels = arms;
    c.data.datasets[0].data = arms.map((a) => f.arms[a].pulls);
    c.data.datasets[0].backgroundColor = arms.map(colour);
    c.update('none');
    const total = arms.reduce((s, a) => s + f.arms[a].pulls, 0);
    $('note-pulls').textContent = arms.length
      ? `Rewarded decisions per model (${total} in all).`
      : 'No rewards in this scope yet.';
  }

  function renderEstimates() {
    const est = state.policy && state.policy.estimates;
    const c = charts.estimates;
    const arms = est ? Object.keys(est).sort() : [];
    const rows = arms.map((a) => ({
      arm: a,
      mean: num(est[a].mean),
      halfWidth: num(est[a].halfWidth),
      n: num(est[a].n),
    }));
    // An unseen arm's interval is unbounded (halfWidth = Infinity, or null once serialised to JSON): it is drawn to the edge of what the seen arms span.
    const finite = rows
      .filter((r) => Number.isFinite(r.halfWidth))
      .flatMap((r) => [r.mean - r.halfWidth, r.mean + r.halfWidth])
      .concat(rows.map((r) => r.mean).filter(Number.isFinite));
    const lo = Math.min(0, ...finite);
    const hi = Math.max(1, ...finite);
    c.$estimates = rows;
    c.data.labels = arms;
    c.data.datasets[0].data = rows.map((r) =>
      Number.isFinite(r.halfWidth) ? [r.mean - r.halfWidth, r.mean + r.halfWidth] : [lo, hi],
    );
    c.data.datasets[0].backgroundColor = arms.map((a) => withAlpha(colour(a), 0.35));
    c.data.datasets[0].borderColor = arms.map(colour);
    c.data.datasets[1].data = rows.map((r) => (Number.isFinite(r.mean) ? r.mean : null));
    c.update('none');
    const unseen = rows.filter((r) => !Number.isFinite(r.halfWidth)).map((r) => r.arm);
    let note = 'The policy\u2019s estimate with its ~95% interval.';
    if (!state.policy) note = state.policyNote || 'Waiting for the policy…';
    else if (!est)
      note = 'This aggregator instance does not hold this scope\u2019s policy in memory (another instance owns it).';
    else if (unseen.length) note += ` Unseen, interval unbounded: ${unseen.join(', ')}.`;
    $('note-estimates').textContent = note;
  }

  function renderLines(series) {
    charts.reward.data.datasets[0].data = series.filter((p) => 'reward' in p).map((p) => ({ x: p.x, y: p.reward }));
    charts.reward.update('none');
    charts.variance.data.datasets[0].data = series
      .filter((p) => 'variance' in p)
      .map((p) => ({ x: p.x, y: p.variance }));
    charts.variance.update('none');
    const last = series[series.length - 1];
    $('note-reward').textContent =
      last && 'reward' in last
        ? `Σ (quality − λ · cost) after ${last.x} rewards: ${fixed(last.reward)} (${fixed(last.reward / last.x)} per query).`
        : 'Σ (quality − λ · cost) over rewards applied.';
  }

  function renderFrontier() {
    const f = state.frontier;
    const c = charts.frontier;
    const pt = (p) => ({ x: num(p.costUsd), y: num(p.quality), label: p.model });
    const front = f ? f.frontier.map(pt).sort((a, b) => a.x - b.x) : [];
    const dom = f ? f.dominated.map(pt) : [];
    c.data.datasets[0].data = front;
    c.data.datasets[1].data = dom;
    // Costs of different models are often orders of magnitude apart: a log axis keeps the cheap ones apart.
    const xs = front.concat(dom).map((p) => p.x);
    const logAxis = xs.length > 1 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) > 20;
    c.options.scales.x.type = logAxis ? 'logarithmic' : 'linear';
    // On a log axis only powers of ten are labelled, briefly: fractions of a cent are long and would overlap.
    c.options.scales.x.ticks.callback = logAxis
      ? (v) => (/^1e/.test(v.toExponential()) ? '$' + Number(v.toPrecision(1)) : '')
      : (v) => usd(v);
    // Points would sit on the plot's edges otherwise, with their labels cut off.
    const x = c.options.scales.x;
    x.grace = logAxis ? undefined : '5%';
    x.min = logAxis ? Math.min(...xs) / 1.6 : undefined;
    x.max = logAxis ? Math.max(...xs) * 1.6 : undefined;
    c.update('none');
    $('note-frontier').textContent = f ? f.note : 'Waiting for a frontier…';
    c.$source = f ? f.source : null;
  }

  function renderBudget(series) {
    const spend = series.filter((p) => 'cost' in p).map((p) => ({ x: p.x, y: p.cost }));
    const c = charts.budget;
    c.data.datasets[0].data = spend;
    const target = state.budgetPerQueryUsd;
    const last = spend[spend.length - 1];
    c.data.datasets[1].data =
      target && last
        ? [
            { x: 0, y: 0 },
            { x: last.x, y: last.x * target },
          ]
        : [];
    c.data.datasets[1].hidden = !target;
    c.update('none');
    const note = $('note-budget');
    note.classList.remove('warn');
    if (!last) note.textContent = 'Cumulative spend of rewarded queries.';
    else if (!target)
      note.textContent = `Spent ${usd(last.y)} on ${last.x} rewarded queries (${usd(last.y / last.x)} each); no BUDGET_PER_QUERY_USD set, so no budget line.`;
    else {
      const budget = last.x * target;
      const pct = (100 * last.y) / budget;
      note.textContent = `Spent ${usd(last.y)} of ${usd(budget)} (${pct.toFixed(0)}%) at a target of ${usd(target)} per query.`;
      if (pct > 100) note.classList.add('warn');
    }
  }

  function renderRecent() {
    const body = $('recent-rows');
    if (state.recent.length === 0) {
      body.innerHTML = '<tr class="empty-row"><td colspan="8" class="empty">Waiting for rewards…</td></tr>';
      return;
    }
    body.replaceChildren(
      ...state.recent.map((e) => {
        const tr = document.createElement('tr');
        tr.dataset.decision = e.decisionId;
        const cells = [
          [new Date(e.ts).toLocaleTimeString(), ''],
          [e.arm, 'arm'],
          [fixed(e.quality), 'num'],
          [usd(e.costUsd), 'num'],
          [fixed(e.lambda, 2), 'num'],
          [fixed(e.reward), 'num ' + (num(e.reward) >= 0 ? 'pos' : 'neg')],
          [String(e.rewardsApplied), 'num'],
          [e.decisionId, 'id'],
        ];
        for (const [text, cls] of cells) {
          const td = document.createElement('td');
          td.className = cls;
          if (cls === 'arm') {
            const sw = document.createElement('span');
            sw.className = 'swatch';
            sw.style.background = colour(text);
            td.append(sw);
          }
          td.append(text);
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  // ---------- start ----------

  // Exposed for the browser test and for poking at from the console.
  window.dashboard = { state, charts, renders: 0, poll };

  $('scope').addEventListener('change', (ev) => selectScope(ev.target.value));
  if (state.scope) connectStream();
  void poll();
  setInterval(poll, POLL_MS);
})();
