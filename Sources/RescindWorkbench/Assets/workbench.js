// Rescind workbench: the page's behaviour. Plain JavaScript, no build step, no library:
// the server does every check, decision, test run and replay; the page only edits text,
// builds requests and shows answers. Every call sends the whole edited set, so the
// server keeps no unsaved state.
'use strict';

const TEXTS = {
  en: {
    title: 'Rescind workbench', language: 'Language',
    'tab.book': 'Policy book', 'tab.edit': 'Edit', 'tab.try': 'Try a request', 'tab.tests': 'Tests', 'tab.impact': 'Impact',
    save: 'Save', patch: 'Download patch', revert: 'Revert file', diagnostics: 'Problems',
    'try.form': 'Form', 'try.json': 'JSON', 'try.run': 'Decide', 'tests.run': 'Run the tests', 'impact.run': 'Show the impact',
    checking: 'checking…', clean: 'no problems', errors: (e, w) => `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`,
    modified: 'modified', saved: (names) => `saved ${names.join(', ')}`, nothingToSave: 'nothing to save',
    saveBlocked: 'fix the errors before saving (or download a patch)',
    add: 'Add a row', remove: 'Remove', include: 'include', invalid: 'not valid here',
    'hint.timestamp': 'RFC 3339, e.g. 2026-11-27T10:00:00+08:00', 'hint.decimal': 'a decimal, e.g. 58.00',
    effect: 'Decision', reasons: 'Reasons', obligations: 'Obligations', explanation: 'Explanation',
    requestError: 'The request is not valid', openInTry: 'Open in “try”',
    passed: 'passed', failed: 'failed', coverage: 'Coverage',
    testsSummary: (p, f) => `${p} passed, ${f} failed`,
    noRequests: 'Start the workbench with --requests FILE to replay edits against recorded requests.',
    replayingFrom: (f) => `Replays the edited set against ${f}, the saved folder as baseline.`,
    impactSummary: (c, r, f) => `${c} of ${r} requests change; ${f} effect flip${f === 1 ? '' : 's'}`,
    transitions: 'Effects (saved → edited)', whatChanged: 'What the edit changes (saved → edited)', bookUnavailable: 'The policy book appears once the set loads without errors.',
    changedOnDisk: 'The folder changed on disk since this page read it: nothing was saved. Reload the page, or download a patch.',
    busy: 'working…', none: 'none',
  },
  'zh-CN': {
    title: 'Rescind 策略工作台', language: '语言',
    'tab.book': '策略手册', 'tab.edit': '编辑', 'tab.try': '试算请求', 'tab.tests': '测试', 'tab.impact': '影响评估',
    save: '保存', patch: '下载补丁', revert: '撤销本文件修改', diagnostics: '问题',
    'try.form': '表单', 'try.json': 'JSON', 'try.run': '试算', 'tests.run': '运行测试', 'impact.run': '评估影响',
    checking: '检查中…', clean: '没有问题', errors: (e, w) => `${e} 个错误，${w} 个警告`,
    modified: '已修改', saved: (names) => `已保存：${names.join('、')}`, nothingToSave: '没有需要保存的修改',
    saveBlocked: '请先修正错误再保存（或下载补丁）',
    add: '添加一行', remove: '删除', include: '包含', invalid: '格式不正确',
    'hint.timestamp': 'RFC 3339 时间，例如 2026-11-27T10:00:00+08:00', 'hint.decimal': '十进制金额，例如 58.00',
    effect: '决定', reasons: '理由', obligations: '后续事项', explanation: '说明',
    requestError: '请求不合法', openInTry: '在“试算”中打开',
    passed: '通过', failed: '未通过', coverage: '覆盖率',
    testsSummary: (p, f) => `${p} 个通过，${f} 个未通过`,
    noRequests: '启动工作台时用 --requests FILE 指定已记录的请求，即可回放修改。',
    replayingFrom: (f) => `以已保存的策略为基线，用 ${f} 中的请求回放修改后的策略。`,
    impactSummary: (c, r, f) => `${r} 个请求中有 ${c} 个结果变化；${f} 个决定翻转`,
    transitions: '决定（已保存 → 修改后）', whatChanged: '本次修改的内容（已保存 → 修改后）', bookUnavailable: '策略加载无误后即可显示策略手册。',
    changedOnDisk: '页面读取后，磁盘上的策略文件已被修改：本次未保存。请刷新页面，或下载补丁。',
    busy: '处理中…', none: '无',
  },
};

const state = {
  locale: 'en',
  files: new Map(),   // name → text as edited
  saved: new Map(),   // name → text on disk
  revision: '',
  current: null,
  folder: '',
  requests: null,
  check: null,        // the last check answer
  checkSeq: 0,
  checkTimer: null,
  schema: null,       // the request schema of the last set that loaded
  bookKey: null,      // the digest and language of the book on screen
  tryMode: 'form',
};

const $ = (id) => document.getElementById(id);
const t = (key, ...args) => {
  const text = (TEXTS[state.locale] || TEXTS.en)[key] ?? TEXTS.en[key] ?? key;
  return typeof text === 'function' ? text(...args) : text;
};
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

// MARK: - Talking to the workbench

function body(extra = {}) {
  return JSON.stringify({
    files: [...state.files].map(([name, text]) => ({ name, text })),
    locale: state.locale,
    ...extra,
  });
}

async function call(path, extra = {}, { raw = false } = {}) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Rescind-Workbench': '1' },
    body: body(extra),
  });
  if (raw) return response;
  const answer = await response.json().catch(() => ({ error: { message: `HTTP ${response.status}` } }));
  return { status: response.status, answer };
}

// MARK: - Start

async function start() {
  state.locale = localStorage.getItem('rescind.locale') || (navigator.language.startsWith('zh') ? 'zh-CN' : 'en');
  $('locale').value = state.locale;
  const workspace = await (await fetch('/api/workspace')).json();
  state.folder = workspace.folder;
  state.revision = workspace.revision;
  state.requests = workspace.requests;
  for (const file of workspace.files) {
    state.files.set(file.name, file.text);
    state.saved.set(file.name, file.text);
  }
  wireTabs();
  wireEditor();
  wireTry();
  $('tests-run').addEventListener('click', runTests);
  $('impact-run').addEventListener('click', runImpact);
  $('locale').addEventListener('change', () => {
    state.locale = $('locale').value;
    localStorage.setItem('rescind.locale', state.locale);
    translate();
    runCheck();
  });
  translate();
  const first = [...state.files.keys()].find((name) => !name.includes('.tests.')) || [...state.files.keys()][0];
  openFile(first);
  showTab(location.hash.slice(1) || 'book');
  await runCheck();
}

function translate() {
  document.documentElement.lang = state.locale;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  $('impact-source').textContent = state.requests ? t('replayingFrom', state.requests) : t('noRequests');
  if (state.schema) renderForm(state.schema, formValue());
  renderFileList();
}

function wireTabs() {
  for (const button of document.querySelectorAll('[data-tab]')) {
    button.addEventListener('click', () => showTab(button.dataset.tab));
  }
}

function showTab(name) {
  if (!$(`tab-${name}`)) name = 'book';
  for (const pane of document.querySelectorAll('.pane')) pane.hidden = pane.id !== `tab-${name}`;
  for (const button of document.querySelectorAll('[data-tab]')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === name));
  }
  history.replaceState(null, '', `#${name}`);
  if (name === 'edit') renderGutter();
}

// MARK: - Editor and check

function wireEditor() {
  const editor = $('editor');
  editor.addEventListener('input', () => {
    state.files.set(state.current, editor.value);
    renderGutter();
    renderFileList();
    scheduleCheck();
  });
  editor.addEventListener('scroll', () => { $('gutter').scrollTop = editor.scrollTop; });
  editor.addEventListener('keyup', showCursor);
  editor.addEventListener('click', showCursor);
  editor.addEventListener('keydown', (event) => {
    // Tab indents with two spaces (YAML has no tabs) instead of leaving the editor.
    if (event.key !== 'Tab') return;
    event.preventDefault();
    editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
    editor.dispatchEvent(new Event('input'));
  });
  $('save').addEventListener('click', save);
  $('download-patch').addEventListener('click', downloadPatch);
  $('revert').addEventListener('click', () => {
    state.files.set(state.current, state.saved.get(state.current));
    openFile(state.current);
    scheduleCheck();
  });
}

function showCursor() {
  const editor = $('editor');
  const before = editor.value.slice(0, editor.selectionStart);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  $('editor-cursor').textContent = `${line}:${column}`;
}

function openFile(name, line) {
  state.current = name;
  $('editor').value = state.files.get(name) ?? '';
  $('editor-file').textContent = `${state.folder}/${name}`;
  renderFileList();
  renderGutter();
  if (line) goToLine(line);
}

function goToLine(line) {
  const editor = $('editor');
  const lines = editor.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1] || '').length);
  const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
  editor.scrollTop = Math.max(0, (line - 5) * lineHeight);
  $('gutter').scrollTop = editor.scrollTop;
  showCursor();
}

function diagnosticsIn(name) {
  return (state.check?.diagnostics || []).filter((entry) => entry.name === name);
}

function renderFileList() {
  const list = $('file-list');
  list.replaceChildren();
  for (const name of state.files.keys()) {
    const problems = diagnosticsIn(name);
    const errors = problems.filter((entry) => entry.diagnostic.severity === 'error').length;
    const modified = state.files.get(name) !== state.saved.get(name);
    list.append(el('li', {
      class: [name === state.current ? 'current' : '', name.includes('.tests.') ? 'test' : ''].join(' '),
      'data-file': name,
      onclick: () => openFile(name),
    }, name, modified ? el('span', { class: 'modified', title: t('modified') }, ' ●') : null,
    errors ? el('span', { class: 'count error' }, ` ${errors}`) : null));
  }
}

function renderGutter() {
  const gutter = $('gutter');
  const count = ($('editor').value.match(/\n/g) || []).length + 1;
  const marks = new Map();
  for (const entry of diagnosticsIn(state.current)) {
    const { span, severity, message } = entry.diagnostic;
    if (!span) continue;
    const previous = marks.get(span.start.line);
    if (!previous || severity === 'error') marks.set(span.start.line, { severity, message });
  }
  const lines = [];
  for (let line = 1; line <= count; line += 1) {
    const mark = marks.get(line);
    const node = el('div', { class: `ln${mark ? ` ${mark.severity}` : ''}`, 'data-line': line, title: mark?.message }, String(line));
    lines.push(node);
  }
  gutter.replaceChildren(...lines);
  gutter.scrollTop = $('editor').scrollTop;
}

function scheduleCheck() {
  clearTimeout(state.checkTimer);
  $('check-status').textContent = t('checking');
  $('check-status').className = 'badge busy';
  state.checkTimer = setTimeout(runCheck, 350);
}

async function runCheck() {
  const sequence = ++state.checkSeq;
  $('check-status').textContent = t('checking');
  const { answer } = await call('/api/check');
  if (sequence !== state.checkSeq) return;  // an older answer than the text on screen
  state.check = answer;
  const ok = answer.ok;
  $('check-status').textContent = answer.errors || answer.warnings ? t('errors', answer.errors, answer.warnings) : t('clean');
  $('check-status').className = `badge ${ok ? (answer.warnings ? 'warning' : 'ok') : 'error'}`;
  $('check-summary').textContent = answer.summary;
  if (answer.policy) {
    $('policy-identity').textContent = `${answer.policy.name} ${answer.policy.version} (sha256:${answer.policy.digest.slice(0, 12)})`;
  }
  if (answer.request_schema) {
    const keep = state.schema ? formValue() : undefined;
    state.schema = answer.request_schema;
    renderForm(state.schema, keep);
  }
  renderDiagnostics();
  renderGutter();
  renderFileList();
  updateSave();
  renderBook();
}

function renderDiagnostics() {
  const list = $('diagnostics');
  list.replaceChildren();
  for (const entry of state.check?.diagnostics || []) {
    const { severity, span } = entry.diagnostic;
    list.append(el('li', {
      class: `diagnostic ${severity}`,
      'data-file': entry.name,
      'data-line': span?.start.line,
      onclick: () => { if (entry.name && state.files.has(entry.name)) openFile(entry.name, span.start.line); },
    }, el('pre', {}, entry.rendered)));
  }
}

function modifiedNames() {
  return [...state.files.keys()].filter((name) => state.files.get(name) !== state.saved.get(name));
}

function updateSave() {
  const dirty = modifiedNames().length > 0;
  $('save').disabled = !(state.check?.ok && dirty);
  $('save').title = state.check?.ok ? '' : t('saveBlocked');
}

async function save() {
  $('save-status').textContent = t('busy');
  const { status, answer } = await call('/api/save', { base: state.revision });
  if (status === 200) {
    for (const name of answer.written) state.saved.set(name, state.files.get(name));
    state.revision = answer.revision;
    $('save-status').textContent = answer.written.length ? t('saved', answer.written) : t('nothingToSave');
  } else if (status === 409) {
    $('save-status').textContent = t('changedOnDisk');
  } else {
    $('save-status').textContent = answer.error?.message || `HTTP ${status}`;
  }
  renderFileList();
  updateSave();
}

async function downloadPatch() {
  const response = await call('/api/patch', {}, { raw: true });
  const blob = await response.blob();
  const link = el('a', { href: URL.createObjectURL(blob), download: 'policies.patch' });
  document.body.append(link);
  link.click();
  link.remove();
}

// MARK: - Policy book

async function renderBook() {
  const book = $('book');
  if (!state.check?.ok) {
    book.replaceChildren(el('p', { class: 'muted' }, t('bookUnavailable')));
    state.bookKey = null;
    return;
  }
  // The book changes only with the set (its digest) or the language.
  const key = `${state.check.policy?.digest}/${state.locale}`;
  if (key === state.bookKey) return;
  state.bookKey = key;
  const { status, answer } = await call('/api/book');
  if (status !== 200) {
    book.replaceChildren(el('p', { class: 'muted' }, answer.error?.message || t('bookUnavailable')));
    return;
  }
  // The fragment is rendered and escaped by the server (`rescind book`'s HTML).
  book.innerHTML = answer.html;
  for (const node of book.querySelectorAll('[data-source]')) {
    const [file, line] = splitSource(node.dataset.source);
    if (!state.files.has(file)) continue;
    const link = el('a', { href: '#edit', class: 'source-link', title: `${state.folder}/${file}:${line}`, onclick: (event) => {
      event.preventDefault();
      showTab('edit');
      openFile(file, line);
    } }, '✎');
    // A section gets the link in its heading; a table row in its last cell.
    const place = node.tagName === 'TR' ? node.lastElementChild : (node.querySelector('h2, h3, h4') || node);
    if (place) place.append(' ', link);
  }
}

function splitSource(source) {
  const match = /^(.*):(\d+)$/.exec(source) || [null, source, '1'];
  const prefix = `${state.folder}/`;
  const file = match[1].startsWith(prefix) ? match[1].slice(prefix.length) : match[1];
  return [file, Number(match[2])];
}

// MARK: - Try a request

function wireTry() {
  $('try-mode-form').addEventListener('click', () => setTryMode('form'));
  $('try-mode-json').addEventListener('click', () => setTryMode('json'));
  $('try-run').addEventListener('click', decide);
}

function setTryMode(mode) {
  if (mode === state.tryMode) return;
  if (mode === 'json') {
    $('request-json').value = JSON.stringify(formValue(), null, 2);
  } else {
    try { renderForm(state.schema, JSON.parse($('request-json').value)); } catch { /* keep the form */ }
  }
  state.tryMode = mode;
  $('request-form').hidden = mode !== 'form';
  $('request-json').hidden = mode !== 'json';
  $('try-mode-form').classList.toggle('on', mode === 'form');
  $('try-mode-json').classList.toggle('on', mode === 'json');
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function fieldKind(schema) {
  if (schema.enum) return 'enum';
  if (schema.type === 'boolean') return 'bool';
  if (schema.type === 'integer') return 'int';
  if (schema.type === 'object') return 'object';
  if (schema.type === 'array') return 'array';
  if (schema.format === 'date-time') return 'timestamp';
  if (Array.isArray(schema.type) && schema.type.includes('number')) return 'decimal';
  return 'string';
}

function renderForm(schema, value = {}) {
  if (!schema) return;
  const form = $('request-form');
  form.replaceChildren(...objectFields(schema, value || {}, []));
}

// The properties of an object schema in the order the policy schema declares them.
function ordered(schema, path) {
  const order = state.check?.field_order?.[path.join('.')] || [];
  const rank = (name) => { const index = order.indexOf(name); return index < 0 ? order.length : index; };
  return Object.entries(schema.properties || {}).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function objectFields(schema, value, path) {
  const required = new Set(schema.required || []);
  return ordered(schema, path).map(([name, field]) => {
    const here = [...path, name];
    const kind = fieldKind(field);
    const current = value?.[name];
    if (kind === 'object') {
      const optional = !required.has(name);
      const box = el('fieldset', { class: 'object', 'data-path': here.join('.') },
        el('legend', {}, name, optional ? el('label', { class: 'include' },
          el('input', { type: 'checkbox', 'data-include': here.join('.'), checked: current !== undefined }), ` ${t('include')}`) : null),
        ...objectFields(field, current || {}, here));
      return box;
    }
    if (kind === 'array') return arrayField(name, field, current || [], here);
    return el('label', { class: 'field' }, el('span', { class: 'name' }, name, required.has(name) ? '' : '?'), input(field, kind, current, here));
  });
}

function input(field, kind, current, path) {
  const attributes = { 'data-path': path.join('.'), 'data-kind': kind };
  let node;
  if (kind === 'enum') {
    node = el('select', attributes, el('option', { value: '' }, '—'),
      ...field.enum.map((option) => el('option', { value: option, selected: current === option }, option)));
  } else if (kind === 'bool') {
    node = el('input', { ...attributes, type: 'checkbox', checked: current === true });
  } else {
    node = el('input', {
      ...attributes, type: 'text', value: current ?? '',
      placeholder: field.default !== undefined ? String(field.default) : (kind === 'timestamp' ? t('hint.timestamp') : kind === 'decimal' ? t('hint.decimal') : ''),
      inputmode: kind === 'int' || kind === 'decimal' ? 'decimal' : undefined,
    });
    node.addEventListener('input', () => validate(node, field, kind));
    if (current !== undefined) validate(node, field, kind);
  }
  return node;
}

function validate(node, field, kind) {
  const text = node.value.trim();
  let ok = true;
  if (text !== '') {
    if (kind === 'timestamp') ok = TIMESTAMP.test(text) && !Number.isNaN(Date.parse(text));
    else if (kind === 'decimal') ok = new RegExp(field.pattern || '^-?[0-9]+(\\.[0-9]+)?$').test(text);
    else if (kind === 'int') ok = /^-?\d+$/.test(text);
  }
  node.classList.toggle('invalid', !ok);
  node.title = ok ? '' : t('invalid');
  return ok;
}

function arrayField(name, field, rows, path) {
  const items = field.items || {};
  const columns = ordered(items, path);
  const body = el('tbody');
  const table = el('table', { class: 'rows', 'data-array': path.join('.') },
    el('thead', {}, el('tr', {}, ...columns.map(([column]) => el('th', {}, column)), el('th'))), body);
  const addRow = (row = {}) => {
    const cells = columns.map(([column, schema]) => el('td', {}, input(schema, fieldKind(schema), row[column], [column])));
    const tr = el('tr', { class: 'row' }, ...cells,
      el('td', {}, el('button', { type: 'button', class: 'remove', onclick: () => tr.remove() }, t('remove'))));
    body.append(tr);
  };
  for (const row of rows) addRow(row);
  return el('fieldset', { class: 'array' }, el('legend', {}, name), table,
    el('button', { type: 'button', class: 'add-row', 'data-add': path.join('.'), onclick: () => addRow() }, t('add')));
}

function readInput(node) {
  const kind = node.dataset.kind;
  if (kind === 'bool') return node.checked;
  const text = node.value.trim();
  if (text === '') return undefined;
  if (kind === 'int') return /^-?\d+$/.test(text) ? Number(text) : text;
  return text;  // decimals stay text: no float ever rounds money
}

function formValue() {
  const schema = state.schema;
  if (!schema) return {};
  const form = $('request-form');
  const included = (path) => {
    const box = form.querySelector(`[data-include="${path}"]`);
    return !box || box.checked;
  };
  const build = (objectSchema, path) => {
    const result = {};
    for (const [name, field] of Object.entries(objectSchema.properties || {})) {
      const here = [...path, name].join('.');
      const kind = fieldKind(field);
      if (kind === 'object') {
        if (!included(here)) continue;
        result[name] = build(field, [...path, name]);
      } else if (kind === 'array') {
        const table = form.querySelector(`[data-array="${here}"]`);
        if (!table) continue;
        result[name] = [...table.querySelectorAll('tr.row')].map((row) => {
          const item = {};
          for (const node of row.querySelectorAll('[data-path]')) {
            const value = readInput(node);
            if (value !== undefined) item[node.dataset.path] = value;
          }
          return item;
        });
      } else {
        const node = form.querySelector(`[data-path="${here}"]:not(table [data-path])`);
        if (!node) continue;
        const value = readInput(node);
        if (value !== undefined) result[name] = value;
      }
    }
    return result;
  };
  return build(schema, []);
}

async function decide() {
  const request = state.tryMode === 'json' ? $('request-json').value : JSON.stringify(formValue());
  $('try-status').textContent = t('busy');
  const { status, answer } = await call('/api/try', { request });
  $('try-status').textContent = '';
  const result = $('try-result');
  if (status !== 200) {
    result.replaceChildren(el('p', { class: 'error' }, answer.error?.message || `HTTP ${status}`));
    return;
  }
  if (answer.error) {
    result.replaceChildren(el('div', { class: 'request-error' },
      el('h3', {}, t('requestError')),
      el('p', { 'data-path': answer.error.error?.path }, el('code', {}, answer.error.error?.path || ''), ' ', answer.error.error?.message || ''),
      answer.error.error?.help ? el('p', { class: 'muted' }, answer.error.error.help) : null));
    return;
  }
  const decision = answer.decision;
  result.replaceChildren(
    el('div', { class: 'decision' },
      el('span', { id: 'try-effect', class: `effect ${decision.effect}` }, decision.effect),
      ' ', el('span', { class: 'muted' }, (decision.deciding_rules || []).join(', '))),
    el('h3', {}, t('reasons')),
    el('ul', {}, ...(decision.reasons || []).map((reason) => el('li', {}, reason.text ?? reason))),
    el('h3', {}, t('obligations')),
    (decision.obligations || []).length
      ? el('ul', { class: 'obligations' }, ...decision.obligations.map((o) => el('li', {}, el('code', {}, o.type), ' ', describeObligation(o))))
      : el('p', { class: 'muted' }, t('none')),
    el('h3', {}, t('explanation')),
    el('pre', { class: 'explanation' }, answer.text));
}

function describeObligation(obligation) {
  return Object.entries(obligation).filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`).join(', ');
}

function openInTry(requestText) {
  showTab('try');
  setTryMode('json');
  $('request-json').value = JSON.stringify(JSON.parse(requestText), null, 2);
  decide();
}

// MARK: - Tests

async function runTests() {
  $('tests-summary').textContent = t('busy');
  const { status, answer } = await call('/api/tests');
  const table = $('test-cases');
  table.replaceChildren();
  $('test-diagnostics').replaceChildren(...(answer.diagnostics || []).map((entry) =>
    el('li', { class: `diagnostic ${entry.diagnostic.severity}` }, el('pre', {}, entry.rendered))));
  if (status !== 200 || answer.cases === undefined) {
    $('tests-summary').textContent = answer.error?.message || '';
    $('coverage').replaceChildren();
    return;
  }
  $('tests-summary').textContent = t('testsSummary', answer.passed, answer.failed);
  // Failing cases first: they are what the analyst came for.
  const cases = [...answer.cases].sort((a, b) => Number(a.passed) - Number(b.passed));
  for (const testCase of cases) {
    table.append(el('tr', { class: testCase.passed ? 'pass' : 'fail' },
      el('td', {}, testCase.passed ? '✔' : '✘'),
      el('td', {}, testCase.name, ...testCase.failures.map((f) => el('div', { class: 'failure' }, `${f.expectation}: ${f.message}`))),
      el('td', {}, el('a', { href: '#edit', onclick: (event) => {
        event.preventDefault();
        if (state.files.has(testCase.file)) { showTab('edit'); openFile(testCase.file, testCase.line); }
      } }, `${testCase.file}:${testCase.line}`)),
      el('td', {}, el('button', { type: 'button', class: 'open-in-try', onclick: () => openInTry(testCase.request) }, t('openInTry')))));
  }
  const coverage = answer.coverage;
  $('coverage').replaceChildren(el('h3', {}, `${t('coverage')}: ${coverage.percent}% (${coverage.covered}/${coverage.total})`),
    el('ul', {}, ...coverage.items.filter((item) => !item.covered_by).map((item) => el('li', { class: 'uncovered' }, `${item.kind} ${item.id}: ${item.title} (${item.location})`))));
}

// MARK: - Impact

async function runImpact() {
  $('impact-summary').textContent = t('busy');
  // What the edit changes, in words (`rescind diff` against the saved folder), whatever
  // the requests say.
  const changed = await call('/api/diff');
  $('impact-diff').replaceChildren(
    el('h3', {}, t('whatChanged')),
    changed.status === 200
      ? el('pre', { class: 'replay-text', 'data-changes': changed.answer.report.changes.length }, changed.answer.text)
      : el('p', { class: 'error' }, changed.answer.error?.message || `HTTP ${changed.status}`));
  if (!state.requests) {
    $('impact-summary').textContent = '';
    return;
  }
  const { status, answer } = await call('/api/impact');
  if (status !== 200) {
    $('impact-summary').textContent = answer.error?.message || `HTTP ${status}`;
    $('impact-result').replaceChildren();
    return;
  }
  const report = answer.report;
  $('impact-summary').textContent = t('impactSummary', report.changed, report.replayed, report.flips);
  $('impact-summary').dataset.flips = report.flips;
  $('impact-result').replaceChildren(
    el('h3', {}, t('transitions')),
    el('table', { class: 'transitions' }, ...report.transitions.map((row) =>
      el('tr', { class: row.from === row.to ? '' : 'flip' }, el('td', {}, `${row.from} → ${row.to}`), el('td', {}, String(row.requests))))),
    el('pre', { class: 'replay-text' }, answer.text));
}

document.addEventListener('DOMContentLoaded', start);
