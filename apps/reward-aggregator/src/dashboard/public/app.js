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
  /** Rewards in the rolling variance: few enough to show the policy settling, enough to be more than noise. */
  const ROLLING_WINDOW = 20;
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
    /** rewardsApplied -> that query's own reward, from the stream (the rolling variance's input). */
    perQuery: new Map(),
    /** Models the price-watcher prices now (null while it cannot be asked), and why not. */
    activeModels: null,
    pricesNote: '',
    /** Every model seen this session: active, rewarded or estimated, so a removed one can be ticked back. */
    knownModels: new Set(),
    /** The last manual pull: { model, decisionId, costUsd, answer }, its rating, and its reward event once streamed. */
    pull: null,
    pick: null,
    priceHistory: null,
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
      data: {
        datasets: [
          { label: 'since the start', data: [], borderColor: '#9c36b5' },
          { label: `last ${ROLLING_WINDOW} rewards`, data: [], borderColor: '#f59f00', borderWidth: 1.5 },
        ],
      },
      options: (() => {
        const o = lineOptions('variance');
        o.plugins.legend = { display: true, position: 'bottom' };
        return o;
      })(),
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
    prices: new Chart($('chart-prices'), {
      type: 'line',
      data: {
        datasets: [
          { label: 'input', data: [], borderColor: '#2f6fed', stepped: 'before' },
          { label: 'output', data: [], borderColor: '#e8590c', stepped: 'before' },
        ],
      },
      options: (() => {
        const o = lineOptions('USD per million tokens');
        o.scales.x = {
          type: 'linear',
          title: { display: true, text: 'effective from' },
          ticks: { callback: (v) => new Date(v).toLocaleString(), maxRotation: 0, autoSkipPadding: 20 },
        };
        o.elements.point.radius = 3;
        o.plugins.legend = { display: true, position: 'bottom' };
        return o;
      })(),
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
    return sendJson('GET', path);
  }

  async function sendJson(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const answer = await res.json().catch(() => ({}));
    return { ok: res.ok, status: res.status, body: answer };
  }

  /** An error answer's reason, for a note. */
  const reasonOf = (r) => String((r.body && r.body.message) || 'HTTP ' + r.status);

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
    if (Number.isFinite(num(e.reward))) state.perQuery.set(num(e.rewardsApplied), num(e.reward));
    if (state.pull && e.decisionId === state.pull.decisionId) state.pull.reward = e;
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
    state.perQuery = new Map();
    state.pick = null;
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
      await loadPrices();
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

  async function loadPrices() {
    const r = await getJson('/dashboard/prices');
    state.activeModels = r.ok ? (r.body.prices || []).map((p) => p.model).sort() : null;
    state.pricesNote = r.ok ? '' : reasonOf(r);
    for (const m of state.activeModels || []) state.knownModels.add(m);
    if (!state.priceHistory && state.activeModels && state.activeModels.length)
      await loadPriceHistory(state.activeModels[0]);
  }

  async function loadPriceHistory(model) {
    const r = await getJson('/dashboard/prices/' + encodeURIComponent(model) + '/history');
    state.priceHistory = r.ok ? r.body : { model, history: [], error: reasonOf(r) };
    scheduleRender();
  }

  // ---------- operator actions ----------

  async function pull() {
    const model = $('pull-model').value;
    const prompt = $('pull-prompt').value;
    $('pull-go').disabled = true;
    $('pull-rate').disabled = true;
    $('pull-answer').textContent = `Asking ${model}…`;
    state.pull = null;
    try {
      const r = await sendJson('POST', '/dashboard/pull', { model, prompt });
      if (!r.ok) {
        $('pull-answer').textContent = 'Pull failed: ' + reasonOf(r);
        return;
      }
      state.pull = { ...r.body, rated: null, reward: null };
      $('pull-rate').disabled = false;
    } finally {
      $('pull-go').disabled = false;
      scheduleRender();
    }
  }

  async function ratePull() {
    const p = state.pull;
    if (!p) return;
    const quality = num($('pull-quality').value);
    $('pull-rate').disabled = true;
    const r = await sendJson('POST', '/dashboard/pull/rating', { decisionId: p.decisionId, quality });
    p.rated = r.ok ? quality : null;
    p.rateError = r.ok ? '' : reasonOf(r);
    if (!r.ok) $('pull-rate').disabled = false;
    scheduleRender();
  }

  async function pick() {
    const q = new URLSearchParams();
    for (const [id, key] of [
      ['pick-budget', 'budget'],
      ['pick-quality', 'minQuality'],
    ])
      if ($(id).value !== '') q.set(key, $(id).value);
    const r = await getJson('/dashboard/pick/' + encodeURIComponent(state.scope) + '?' + q);
    state.pick = r.ok ? r.body : { error: reasonOf(r) };
    scheduleRender();
  }

  async function toggleModel(model, on) {
    const note = $('note-models');
    note.classList.remove('warn');
    note.textContent = `${on ? 'Adding' : 'Removing'} ${model}…`;
    const r = await sendJson(on ? 'POST' : 'DELETE', '/dashboard/models/' + encodeURIComponent(model));
    if (r.ok)
      note.textContent = `${model} ${on ? 'added back' : 'removed'}; the frontier is redrawn when the price-watcher republishes it.`;
    else {
      note.textContent = `Could not ${on ? 'add' : 'remove'} ${model}: ${reasonOf(r)}`;
      note.classList.add('warn');
    }
    await poll();
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
    renderModels();
    renderPull();
    renderPick();
    renderPrices();
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
    const delay = state.stats && state.stats.learningDelay;
    $('kpi-delay').textContent = delay ? `${Math.round(delay.p50Ms)} ms` : '–';
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
    charts.variance.data.datasets[1].data = rollingVariance();
    charts.variance.update('none');
    const last = series[series.length - 1];
    $('note-reward').textContent =
      last && 'reward' in last
        ? `Σ (quality − λ · cost) after ${last.x} rewards: ${fixed(last.reward)} (${fixed(last.reward / last.x)} per query).`
        : 'Σ (quality − λ · cost) over rewards applied.';
  }

  /** Sample variance of the last ROLLING_WINDOW per-query rewards, at each reward the stream delivered. */
  function rollingVariance() {
    const xs = [...state.perQuery.keys()].sort((a, b) => a - b);
    const points = [];
    for (let i = 1; i < xs.length; i++) {
      const window = xs.slice(Math.max(0, i + 1 - ROLLING_WINDOW), i + 1).map((x) => state.perQuery.get(x));
      const mean = window.reduce((a, b) => a + b, 0) / window.length;
      const variance = window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1);
      points.push({ x: xs[i], y: variance });
    }
    return points;
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

  function modelsOnShow() {
    const f = latestFigures();
    for (const a of f ? Object.keys(f.arms) : []) state.knownModels.add(a);
    for (const a of Object.keys((state.policy && state.policy.estimates) || {})) state.knownModels.add(a);
    return [...state.knownModels].sort();
  }

  /** Replaces a select's options only when they changed, so an open select or a choice is not reset by a poll. */
  function fillSelect(sel, values) {
    const current = [...sel.options].map((o) => o.value);
    if (current.join('\n') === values.join('\n')) return;
    const chosen = sel.value;
    sel.replaceChildren(...values.map((v) => new Option(v, v)));
    if (values.includes(chosen)) sel.value = chosen;
  }

  function renderModels() {
    const all = modelsOnShow();
    const active = state.activeModels;
    const box = $('model-toggles');
    box.replaceChildren(
      ...all.map((m) => {
        const label = document.createElement('label');
        const cb = document.createElement('input');
        cb.type = 'checkbox';
        cb.dataset.model = m;
        cb.checked = !!active && active.includes(m);
        cb.disabled = !active;
        cb.addEventListener('change', () => void toggleModel(m, cb.checked));
        const sw = document.createElement('span');
        sw.className = 'swatch';
        sw.style.background = colour(m);
        label.append(cb, sw, m);
        return label;
      }),
    );
    const note = $('note-models');
    if (!active) {
      note.textContent = 'Models cannot be changed here: ' + state.pricesNote;
      note.classList.add('warn');
    } else if (note.textContent.startsWith('Models cannot')) {
      note.textContent = 'Untick to remove a model from routing, tick to add it back at its last price.';
      note.classList.remove('warn');
    }
    fillSelect($('pull-model'), active || all);
    fillSelect($('prices-model'), all);
  }

  function renderPull() {
    const p = state.pull;
    if (!p) return;
    $('pull-answer').textContent = `${p.model} (${usd(p.costUsd)}, decision ${p.decisionId}):\n${p.answer}`;
    const out = $('pull-reward');
    if (p.rateError) out.textContent = 'Rating refused: ' + p.rateError;
    else if (p.reward)
      out.textContent = `Reward ${fixed(p.reward.reward)} (quality ${fixed(p.reward.quality)} − λ ${fixed(p.reward.lambda, 2)} × cost ${usd(p.reward.costUsd)})`;
    else if (p.rated !== null) out.textContent = `Rated ${fixed(p.rated, 2)}; waiting for its reward…`;
    else out.textContent = 'Not rated yet.';
  }

  function renderPick() {
    const p = state.pick;
    const show = (x) =>
      x ? `${x.model}: quality ${fixed(x.quality)}, ${usd(x.costUsd)} per query` : 'no frontier yet';
    $('pick-by-budget').textContent = !p ? '–' : p.error ? p.error : 'byBudget' in p ? show(p.byBudget) : '–';
    $('pick-by-quality').textContent = !p ? '–' : p.error ? p.error : 'byQuality' in p ? show(p.byQuality) : '–';
    if (p && !p.error)
      $('note-pick').textContent = `On the ${p.source} frontier of ${p.scope} (${p.frontier.length} models).`;
  }

  function renderPrices() {
    const h = state.priceHistory;
    const c = charts.prices;
    const rows = h ? [...h.history].reverse() : [];
    const at = (r) => Date.parse(r.effectiveFrom);
    // The price in force runs on to now.
    const tail = rows.length ? [{ ...rows[rows.length - 1], effectiveFrom: new Date().toISOString() }] : [];
    c.data.datasets[0].data = rows.concat(tail).map((r) => ({ x: at(r), y: num(r.inputPerM) }));
    c.data.datasets[1].data = rows.concat(tail).map((r) => ({ x: at(r), y: num(r.outputPerM) }));
    c.$model = h ? h.model : null;
    c.update('none');
    if (h) $('prices-model').value = h.model;
    $('note-prices').textContent = !h
      ? state.pricesNote || 'Waiting for the price-watcher…'
      : h.error
        ? h.error
        : `${h.model}: ${h.history.length} accepted price${h.history.length === 1 ? '' : 's'}, ${h.status || 'unknown'}.`;
  }

  // ---------- start ----------

  // Exposed for the browser test and for poking at from the console.
  window.dashboard = { state, charts, renders: 0, poll, ROLLING_WINDOW };

  $('scope').addEventListener('change', (ev) => selectScope(ev.target.value));
  $('pull-go').addEventListener('click', () => void pull());
  $('pull-rate').addEventListener('click', () => void ratePull());
  $('pick-go').addEventListener('click', () => void pick());
  $('prices-model').addEventListener('change', (ev) => void loadPriceHistory(ev.target.value));
  if (state.scope) connectStream();
  void poll();
  setInterval(poll, POLL_MS);
})();
