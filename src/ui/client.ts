/**
 * The page's script, plain browser JavaScript (no build step, no dependency). Live mode reads
 * server-sent events from `events`; report mode reads the data embedded in the page. Every
 * value from a call is set with `textContent`, never parsed as HTML. The calls table is
 * virtualised: only the rows in view (and a few around them) exist in the document.
 */
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var ROW_H = 28;
  var OVERSCAN = 8;
  var mode = document.body.getAttribute('data-mode');
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  var state = {
    calls: [], view: [], byId: new Map(), policy: null, reasons: {},
    services: new Map(), denied: 0, unresolved: 0,
    tab: 'json', selected: null, follow: true, open: new Set(),
    filter: { denied: false, unresolved: false, service: '', text: '', statement: null }
  };

  // ----- calls table -----------------------------------------------------------------------
  var viewport = $('viewport');
  var spacer = $('spacer');
  var rowsEl = $('rows');
  var pool = [];

  function matches(c) {
    var f = state.filter;
    if (f.denied && !c.denied) return false;
    if (f.unresolved && !c.unresolved) return false;
    if (f.service && (c.service || '(unknown)') !== f.service) return false;
    if (f.statement && !f.statement.ids.has(c.id)) return false;
    if (f.text) {
      var hay = [c.service, c.operation, c.error, c.unresolved, c.where, c.status]
        .concat(c.actions || [], c.resources || []).join(' ').toLowerCase();
      if (hay.indexOf(f.text) === -1) return false;
    }
    return true;
  }

  function makeRow() {
    var r = { el: el('div', 'row'), id: -1, cells: [] };
    ['time', 'svc', 'op', 'status', 'act', 'res'].forEach(function (k) {
      var d = el('div', k);
      r.cells.push(d);
      r.el.appendChild(d);
    });
    r.el.setAttribute('role', 'row');
    r.el.addEventListener('click', function () { select(r.id); });
    return r;
  }

  function actionsText(c) {
    if (c.unresolved) return { text: c.unresolved, cls: 'reason' };
    if (c.denied) return { text: 'missing: ' + (c.actions && c.actions.length ? c.actions.join(', ') : '?'), cls: 'missing' };
    if (c.actions === null) return { text: '—', cls: '' };
    if (c.actions.length === 0) return { text: '(no permission needed)', cls: '' };
    return { text: c.actions.join(', '), cls: '' };
  }

  function fillRow(r, c) {
    r.id = c.id;
    r.el.dataset.id = String(c.id);
    r.el.className = 'row' + (c.denied ? ' denied' : c.unresolved ? ' unresolved' : '') +
      (state.selected === c.id ? ' sel' : '');
    var cells = r.cells;
    cells[0].textContent = c.time.slice(11, 23);
    cells[0].title = c.time;
    cells[1].textContent = c.service || '?';
    cells[2].textContent = c.operation || '?';
    cells[2].title = c.where || '';
    cells[3].textContent = c.status === null ? '—' : String(c.status);
    cells[3].className = 'status ' + (c.status !== null && c.status < 400 ? 'ok' : 'err');
    if (c.error) cells[3].title = c.error; else cells[3].title = '';
    var a = actionsText(c);
    cells[4].textContent = a.text;
    cells[4].className = 'act ' + a.cls;
    cells[4].title = a.text + (c.unresolved ? ': ' + (state.reasons[c.unresolved] || '') : '');
    var res = c.resources || [];
    cells[5].textContent = res.length === 0 ? '—' : res[0] + (res.length > 1 ? '  +' + (res.length - 1) : '');
    cells[5].title = res.join('\n');
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () { scheduled = false; renderRows(); });
  }

  function renderRows() {
    var total = state.view.length;
    spacer.style.height = total * ROW_H + 'px';
    if (state.follow) viewport.scrollTop = viewport.scrollHeight;
    var top = viewport.scrollTop;
    var height = viewport.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    var last = Math.min(total, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    var n = Math.max(0, last - first);
    while (pool.length < n) {
      var made = makeRow();
      pool.push(made);
      rowsEl.appendChild(made.el);
    }
    for (var i = 0; i < pool.length; i++) {
      var r = pool[i];
      if (i < n) {
        fillRow(r, state.view[first + i]);
        r.el.style.transform = 'translateY(' + (first + i) * ROW_H + 'px)';
        r.el.classList.remove('hidden');
      } else {
        r.el.classList.add('hidden');
        r.id = -1;
      }
    }
    $('empty').classList.toggle('hidden', total > 0);
    $('empty').textContent = state.calls.length === 0
      ? (mode === 'live' ? 'Waiting for the first call…' : 'No calls in this report.')
      : 'No call matches the filters.';
    $('shown').textContent = total === state.calls.length
      ? plural(total, 'call')
      : total + ' of ' + plural(state.calls.length, 'call');
  }

  viewport.addEventListener('scroll', function () {
    state.follow = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - ROW_H;
    schedule();
  });
  window.addEventListener('resize', schedule);

  function refilter() {
    state.view = state.calls.filter(matches);
    schedule();
  }

  function countCall(c) {
    var key = c.service || '(unknown)';
    var s = state.services.get(key);
    if (!s) { s = { n: 0, denied: 0, unresolved: 0 }; state.services.set(key, s); }
    s.n++;
    if (c.denied) { s.denied++; state.denied++; }
    if (c.unresolved) { s.unresolved++; state.unresolved++; }
  }

  function addCalls(calls) {
    for (var i = 0; i < calls.length; i++) {
      var c = calls[i];
      state.calls.push(c);
      state.byId.set(c.id, c);
      countCall(c);
      if (matches(c)) state.view.push(c);
    }
    renderCounters();
    renderServices();
    schedule();
  }

  function resetCalls(calls) {
    state.calls = [];
    state.view = [];
    state.byId = new Map();
    state.services = new Map();
    state.denied = 0;
    state.unresolved = 0;
    addCalls(calls);
    if (state.selected !== null) renderDetail();
  }

  // ----- selected call ---------------------------------------------------------------------
  function select(id) {
    state.selected = state.selected === id ? null : id;
    renderDetail();
    schedule();
  }

  function renderDetail() {
    var box = $('detail');
    box.textContent = '';
    var c = state.selected === null ? null : state.byId.get(state.selected);
    box.classList.toggle('hidden', !c);
    if (!c) return;
    var dl = el('dl');
    function item(name, value) {
      if (value === null || value === undefined || value === '') return;
      dl.appendChild(el('dt', '', name));
      dl.appendChild(el('dd', '', value));
    }
    item('call', (c.service || '?') + ':' + (c.operation || '?'));
    item('time', c.time);
    item('request', c.where);
    item('region', c.region);
    item('status', c.status === null ? 'no response' : String(c.status) + (c.error ? ' ' + c.error : ''));
    if (c.unresolved) item('unresolved', c.unresolved + ': ' + (state.reasons[c.unresolved] || ''));
    if (c.actions) item(c.denied ? 'missing' : 'needs', c.actions.length ? c.actions.join(', ') : '(no permission)');
    if (c.resources) item('resources', c.resources.join('\n'));
    var sids = (state.policy ? state.policy.statements : [])
      .filter(function (s) { return s.calls.indexOf(c.id) !== -1; })
      .map(function (s) { return s.sid; });
    item('statements', sids.join(', '));
    box.appendChild(dl);
  }

  // ----- counters and services -------------------------------------------------------------
  function renderCounters() {
    $('n-calls').textContent = String(state.calls.length);
    $('n-denied').textContent = String(state.denied);
    $('n-unresolved').textContent = String(state.unresolved);
    var p = state.policy;
    $('n-statements').textContent = p ? String(p.statements.length) : '0';
    $('n-actions').textContent = p ? String(p.actions) : '0';
    $('n-denied').parentNode.classList.toggle('zero', state.denied === 0);
    $('n-unresolved').parentNode.classList.toggle('zero', state.unresolved === 0);
  }

  function renderServices() {
    var chips = $('chips');
    chips.textContent = '';
    var list = Array.from(state.services.entries()).sort(function (a, b) {
      return b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1);
    });
    var select = $('f-service');
    var keep = state.filter.service;
    select.textContent = '';
    select.appendChild(el('option', '', 'all services')).value = '';
    list.forEach(function (entry) {
      var name = entry[0];
      var s = entry[1];
      var chip = el('button', 'chip' + (keep === name ? ' on' : ''));
      chip.type = 'button';
      chip.dataset.service = name;
      chip.appendChild(el('span', '', name));
      chip.appendChild(el('span', 'n', s.n));
      if (s.denied) chip.appendChild(el('span', 'd', s.denied + ' denied'));
      chip.title = plural(s.n, 'call') + (s.denied ? ', ' + s.denied + ' denied' : '') +
        (s.unresolved ? ', ' + s.unresolved + ' unresolved' : '');
      chip.addEventListener('click', function () { setService(keep === name ? '' : name); });
      chips.appendChild(chip);
      var opt = el('option', '', name + ' (' + s.n + ')');
      opt.value = name;
      select.appendChild(opt);
    });
    select.value = keep;
  }

  function setService(name) {
    state.filter.service = name;
    renderServices();
    refilter();
  }

  // ----- policy ----------------------------------------------------------------------------
  function setPolicy(p) {
    state.policy = p;
    renderPolicyText();
    renderStatements();
    renderCounters();
    $('warnings').textContent = p.warnings.map(function (w) { return 'note: ' + w; }).join('\n');
    if (state.selected !== null) renderDetail();
  }

  function renderPolicyText() {
    var text = state.policy ? state.policy[state.tab] : '';
    var pre = $('policy-text');
    if (pre.textContent !== text) pre.textContent = text;
    var tabs = document.querySelectorAll('.tab');
    for (var i = 0; i < tabs.length; i++) tabs[i].classList.toggle('on', tabs[i].dataset.tab === state.tab);
  }

  function renderStatements() {
    var box = $('statement-list');
    box.textContent = '';
    var sts = state.policy ? state.policy.statements : [];
    if (sts.length === 0) box.appendChild(el('div', 'empty', 'No statement yet.'));
    sts.forEach(function (s) {
      var d = el('details', 'st');
      d.dataset.sid = s.sid;
      var sum = el('summary');
      sum.appendChild(el('span', 'sid', s.sid || '(no Sid)'));
      sum.appendChild(el('span', 'st-actions', s.actions.join(', ')));
      sum.appendChild(el('span', 'st-count', plural(s.calls.length, 'call')));
      d.appendChild(sum);
      d.addEventListener('toggle', function () {
        if (d.open) { state.open.add(s.sid); if (!d.querySelector('.st-body')) d.appendChild(statementBody(s)); }
        else state.open.delete(s.sid);
      });
      if (state.open.has(s.sid)) { d.open = true; d.appendChild(statementBody(s)); }
      box.appendChild(d);
    });
  }

  function statementBody(s) {
    var body = el('div', 'st-body');
    var bar = el('div', 'bar-inline');
    var copy = el('button', 'copy-statement', 'Copy statement');
    copy.type = 'button';
    copy.addEventListener('click', function () { copyText(s.json, copy); });
    var show = el('button', 'show-calls', 'Show these calls in the table');
    show.type = 'button';
    show.addEventListener('click', function () { filterStatement(s); });
    bar.appendChild(copy);
    bar.appendChild(document.createTextNode(' '));
    bar.appendChild(show);
    body.appendChild(bar);
    body.appendChild(el('pre', 'st-json', s.json));
    body.appendChild(el('div', '', 'Needed by ' + plural(s.calls.length, 'call') + ':'));
    var ul = el('ul', 'explain');
    s.explain.forEach(function (line) {
      ul.appendChild(el('li', '', line.text + (line.count > 1 ? ' ×' + line.count : '')));
    });
    if (s.explainMore > 0) ul.appendChild(el('li', 'more', '… and ' + s.explainMore + ' more (the table shows them all)'));
    body.appendChild(ul);
    return body;
  }

  function filterStatement(s) {
    state.filter.statement = s ? { sid: s.sid, ids: new Set(s.calls) } : null;
    var banner = $('statement-filter');
    banner.classList.toggle('hidden', !s);
    $('statement-filter-sid').textContent = s ? s.sid : '';
    state.follow = false;
    viewport.scrollTop = 0;
    refilter();
  }

  // ----- copy ------------------------------------------------------------------------------
  function flash(btn, text) {
    var was = btn.dataset.label || btn.textContent;
    btn.dataset.label = was;
    btn.textContent = text;
    setTimeout(function () { btn.textContent = was; }, 1500);
  }

  function copyText(text, btn) {
    function fallback() {
      var ta = el('textarea');
      ta.value = text;
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      ta.remove();
      flash(btn, ok ? 'Copied' : 'Copy failed');
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flash(btn, 'Copied'); }, fallback);
    } else fallback();
  }

  // ----- controls --------------------------------------------------------------------------
  $('f-denied').addEventListener('change', function (e) { state.filter.denied = e.target.checked; refilter(); });
  $('f-unresolved').addEventListener('change', function (e) { state.filter.unresolved = e.target.checked; refilter(); });
  $('f-service').addEventListener('change', function (e) { setService(e.target.value); });
  $('f-text').addEventListener('input', function (e) { state.filter.text = e.target.value.trim().toLowerCase(); refilter(); });
  $('f-follow').addEventListener('click', function () {
    state.follow = true;
    schedule();
  });
  $('statement-filter-clear').addEventListener('click', function () { filterStatement(null); });
  var tabs = document.querySelectorAll('.tab');
  for (var i = 0; i < tabs.length; i++) {
    tabs[i].addEventListener('click', function (e) { state.tab = e.currentTarget.dataset.tab; renderPolicyText(); });
  }
  $('copy-policy').addEventListener('click', function () {
    if (state.policy) copyText(state.policy[state.tab], $('copy-policy'));
  });

  // ----- data ------------------------------------------------------------------------------
  function applySnapshot(s) {
    state.reasons = s.reasons || {};
    resetCalls(s.calls);
    setPolicy(s.policy);
  }

  if (mode === 'live') {
    var dot = $('dot');
    var status = $('conn');
    var es = new EventSource('events');
    es.addEventListener('open', function () { dot.className = 'dot live'; status.textContent = 'live'; });
    es.addEventListener('error', function () { dot.className = 'dot lost'; status.textContent = 'disconnected (capture ended?)'; });
    es.addEventListener('snapshot', function (e) { applySnapshot(JSON.parse(e.data)); });
    es.addEventListener('calls', function (e) { addCalls(JSON.parse(e.data)); });
    es.addEventListener('policy', function (e) { setPolicy(JSON.parse(e.data)); });
    var write = $('write');
    write.addEventListener('click', function () {
      write.disabled = true;
      $('write-status').textContent = 'writing…';
      fetch('api/write', { method: 'POST', headers: { 'X-Leastpriv': 'write' }, credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (r) { $('write-status').textContent = r.message; $('write-status').title = r.message; })
        .catch(function (e) { $('write-status').textContent = 'could not write: ' + e.message; })
        .then(function () { write.disabled = false; });
    });
  } else {
    applySnapshot(JSON.parse($('leastpriv-data').textContent));
  }
})();
`;
