// sluice trace page: renders the embedded trace (model.ts) one step at a time.
// No network, no libraries. Open with #selftest to run the page's own checks
// (the tests load it in headless Chromium and read #selftest from the DOM).
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('trace-data').textContent);
  var steps = T.steps;
  var $ = function (id) { return document.getElementById(id); };
  var el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  // ---- states after each step: registers, packet bytes, field layout ----
  var regsAt = [];
  var packetAt = []; // { bytes: [hex pairs], fields: [...] } shared between steps until a write
  var movedAt = []; // true once a helper has moved the packet's start or end (offsets no longer line up with the input)
  (function () {
    var initial = ['0', 'ctx', '0', '0', '0', '0', '0', '0', '0', '0', 'fp'];
    var regs = initial;
    var packet = { bytes: pairs(T.input.hex), fields: T.input.fields };
    for (var k = 0; k < steps.length; k++) {
      var s = steps[k];
      // A tail call starts the next program with fresh registers (r1 = ctx, r10 = fp).
      if (k > 0 && s.program !== steps[k - 1].program) regs = initial;
      if (s.regs.length) {
        regs = regs.slice();
        s.regs.forEach(function (c) { regs[c.reg] = c.after; });
      }
      if (s.packet) packet = { bytes: pairs(s.packet.hex), fields: s.packet.fields };
      var layout = s.fields || packet.fields;
      var writes = s.accesses.filter(function (a) { return a.kind === 'write' && a.packetOffset !== undefined; });
      if (writes.length) {
        packet = { bytes: packet.bytes.slice(), fields: layout };
        writes.forEach(function (a) {
          var b = pairs(a.value.slice(2));
          for (var i = 0; i < b.length; i++) packet.bytes[a.packetOffset + i] = b[i];
        });
      }
      movedAt.push(!!s.packet || (k > 0 && movedAt[k - 1]));
      regsAt.push(regs);
      packetAt.push(packet);
    }
  })();
  function pairs(hex) { return hex.match(/../g) || []; }

  // Every packet byte the run touched, for the background shading.
  var touched = {};
  steps.forEach(function (s) {
    s.accesses.forEach(function (a) {
      if (a.packetOffset === undefined) return;
      for (var i = 0; i < a.size; i++) touched[a.packetOffset + i] = true;
    });
  });

  // ---- static parts ----
  $('title').textContent = T.object + ' \u2014 ' + T.program;
  $('meta').textContent = T.origin + ', ' + T.input.length + ' bytes, ' + steps.length + ' instructions executed';
  var v = $('verdict');
  v.textContent = T.end.kind === 'verdict' ? T.end.verdict + (T.end.redirect !== undefined ? ' \u2192 ifindex ' + T.end.redirect : '') : 'fault';
  v.className = 'verdict ' + (T.end.kind === 'verdict' ? T.end.verdict : 'fault');
  if (T.end.kind === 'fault') $('meta').textContent += ' \u2014 ' + T.end.message;

  var srcRows = {}; // "file:line" -> element
  T.sources.forEach(function (f) {
    var box = $('source');
    box.appendChild(el('div', 'file', f.file));
    var executed = {};
    f.executed.forEach(function (n) { executed[n] = true; });
    f.lines.forEach(function (pair) {
      var row = el('div', 'src-line' + (executed[pair[0]] ? ' executed' : ''));
      row.dataset.line = pair[0];
      if (executed[pair[0]]) {
        row.title = 'click: the next step on this line';
        row.addEventListener('click', (function (file, line) {
          return function () { show(nextOnLine(file, line)); };
        })(f.file, pair[0]));
      }
      row.appendChild(el('span', 'no', String(pair[0])));
      row.appendChild(el('span', 'text', pair[1]));
      box.appendChild(row);
      srcRows[f.file + ':' + pair[0]] = row;
    });
  });

  var regRows = [];
  for (var r = 0; r <= 10; r++) {
    var tr = el('tr');
    tr.appendChild(el('td', '', 'r' + r));
    tr.appendChild(el('td', 'val', ''));
    $('regs').appendChild(tr);
    regRows.push(tr);
  }

  var slider = $('slider');
  slider.max = String(Math.max(steps.length - 1, 0));
  var current = -1;

  // ---- one step ----
  function show(k) {
    if (!steps.length) return;
    k = Math.max(0, Math.min(steps.length - 1, k | 0));
    current = k;
    slider.value = String(k);
    var s = steps[k];
    $('where').textContent = 'step ' + (k + 1) + ' / ' + steps.length + (s.program ? '  ' + s.program : '') + '  pc ' + s.pc +
      (s.source ? '  ' + basename(s.source.file) + ':' + s.source.line : '');

    var old = document.querySelector('.src-line.current');
    if (old) old.classList.remove('current');
    if (s.source) {
      var row = srcRows[s.source.file + ':' + s.source.line];
      if (row) { row.classList.add('current'); scrollInto(row, $('source')); }
    }

    var list = $('insns');
    list.textContent = '';
    var from = Math.max(0, k - 30), to = Math.min(steps.length, k + 31);
    for (var i = from; i < to; i++) {
      var st = steps[i];
      var line = el('div', 'insn ' + (i < k ? 'past' : i === k ? 'current' : 'future'));
      line.dataset.step = i;
      line.appendChild(el('span', 'pc', String(st.pc)));
      line.appendChild(el('span', 'text', indent(st.depth) + st.text + (st.call ? '  ; ' + st.call.name : '')));
      line.addEventListener('click', (function (n) { return function () { show(n); }; })(i));
      list.appendChild(line);
      if (i === k) var cur = line;
    }
    if (cur) scrollInto(cur, list);

    var fx = $('effects');
    fx.textContent = '';
    effects(s, k).forEach(function (e) { fx.appendChild(el('div', e.cls, e.text)); });

    var regs = regsAt[k];
    var changed = {};
    s.regs.forEach(function (c) { changed[c.reg] = true; });
    regRows.forEach(function (tr, n) {
      tr.lastChild.textContent = regs[n];
      tr.className = changed[n] ? 'changed' : '';
    });

    renderPacket(packetAt[k], s);
  }

  function effects(s, k) {
    var out = [];
    if (s.call) out.push({ cls: 'call', text: 'call ' + s.call.name + '(' + s.call.args.join(', ') + ') \u2192 ' + s.call.result });
    s.regs.forEach(function (c) { out.push({ cls: 'reg', text: 'r' + c.reg + ': ' + c.before + ' \u2192 ' + c.after }); });
    s.accesses.forEach(function (a) {
      var what = a.ctxField !== undefined ? a.where : a.size + ' byte' + (a.size === 1 ? '' : 's') + ' at ' + a.where;
      out.push({ cls: a.kind, text: a.kind + ' ' + what + ' = ' + a.value + (a.reading ? ' (' + a.reading + ')' : a.fields && a.fields.length ? ' (' + a.fields.join(', ') + ')' : '') });
      if (a.warning) out.push({ cls: 'warning', text: '!! ' + a.warning });
    });
    if (s.branch) out.push({ cls: 'branch', text: s.branch });
    if (k === steps.length - 1 && T.end.kind === 'verdict') out.push({ cls: 'end', text: 'return ' + T.end.verdict });
    if (k === steps.length - 1 && T.end.kind === 'fault') out.push({ cls: 'end', text: T.end.message });
    return out;
  }

  // The byte grid is built once per packet length and layout, then only updated:
  // a step changes a few bytes, and large packets must stay quick to step through.
  var grid = { length: -1, fields: null, cells: [] };
  var input = pairs(T.input.hex);

  function renderPacket(p, s) {
    if (grid.length !== p.bytes.length || grid.fields !== p.fields) buildGrid(p);
    var now = {};
    s.accesses.forEach(function (a) {
      if (a.packetOffset === undefined) return;
      for (var i = 0; i < a.size; i++) now[a.packetOffset + i] = a.kind;
    });
    var sameShape = input.length === p.bytes.length && !movedAt[current];
    for (var i = 0; i < p.bytes.length; i++) {
      var cell = grid.cells[i];
      var cls = 'byte' + (i % 16 === 8 ? ' gap' : '') + (touched[i] ? ' touched' : '') + (now[i] ? ' ' + now[i] : '') +
        (sameShape && input[i] !== p.bytes[i] ? ' changed' : '');
      if (cell.className !== cls) cell.className = cls;
      if (cell.textContent !== p.bytes[i]) cell.textContent = p.bytes[i];
    }
    var first = Object.keys(now).map(Number).sort(function (a, b) { return a - b; })[0];
    if (first !== undefined && grid.cells[first]) scrollInto(grid.cells[first], $('packet'));
    var info = [];
    s.accesses.forEach(function (a) {
      if (a.packetOffset === undefined) return;
      info.push(a.kind + ' ' + a.size + ' at offset ' + a.packetOffset + ': ' + (a.fields || []).map(function (name) {
        var f = p.fields.filter(function (x) { return x.name === name; })[0];
        return f ? name + ' = ' + f.value : name;
      }).join(', '));
    });
    $('fieldinfo').textContent = info.join('\n');

    // The header fields, those the run touched marked, those this step touched highlighted.
    var table = $('fields');
    table.textContent = '';
    p.fields.forEach(function (f) {
      var hit = false, used = false;
      for (var i = f.offset; i < f.offset + f.length; i++) { hit = hit || !!now[i]; used = used || !!touched[i]; }
      var tr = el('tr', (hit ? 'now ' + now[f.offset + f.length - 1] : '') + (used ? ' touched' : ''));
      tr.appendChild(el('td', 'name', f.name));
      tr.appendChild(el('td', 'off', String(f.offset)));
      tr.appendChild(el('td', 'value', f.value.length > 40 ? f.value.slice(0, 40) + '\u2026' : f.value));
      table.appendChild(tr);
    });
  }

  /** The first step after the current one (wrapping around) that ran `file:line`. */
  function nextOnLine(file, line) {
    for (var i = 1; i <= steps.length; i++) {
      var k = (current + i) % steps.length, src = steps[k].source;
      if (src && src.file === file && src.line === line) return k;
    }
    return current;
  }

  function buildGrid(p) {
    var box = $('packet');
    box.textContent = '';
    grid = { length: p.bytes.length, fields: p.fields, cells: [] };
    // Each byte's title names its field: the smallest field holding it.
    var fieldOf = [];
    p.fields.forEach(function (f) {
      for (var i = f.offset; i < f.offset + f.length; i++) if (!fieldOf[i] || f.length < fieldOf[i].length) fieldOf[i] = f;
    });
    for (var at = 0; at < p.bytes.length; at += 16) {
      var row = el('div', 'row');
      row.appendChild(el('span', 'off', ('000' + at.toString(16)).slice(-4)));
      for (var i = at; i < Math.min(at + 16, p.bytes.length); i++) {
        var b = el('span', 'byte', p.bytes[i]);
        b.dataset.offset = i;
        b.title = 'offset ' + i + (fieldOf[i] ? '  ' + fieldOf[i].name + ' = ' + fieldOf[i].value : '');
        row.appendChild(b);
        grid.cells.push(b);
      }
      box.appendChild(row);
    }
  }

  function basename(p) { return p.slice(p.lastIndexOf('/') + 1); }
  function indent(d) { return new Array(d + 1).join('  '); }
  function scrollInto(child, box) {
    var top = child.offsetTop - box.offsetTop;
    if (top < box.scrollTop + 20 || top > box.scrollTop + box.clientHeight - 40) box.scrollTop = top - box.clientHeight / 3;
  }

  // ---- controls ----
  slider.addEventListener('input', function () { show(Number(slider.value)); });
  $('prev').addEventListener('click', function () { show(current - 1); });
  $('next').addEventListener('click', function () { show(current + 1); });
  document.addEventListener('keydown', function (e) {
    var to = { ArrowRight: current + 1, ArrowDown: current + 1, ArrowLeft: current - 1, ArrowUp: current - 1,
      PageDown: current + 10, PageUp: current - 10, Home: 0, End: steps.length - 1 }[e.key];
    if (to === undefined || e.target === slider) return;
    e.preventDefault();
    show(to);
  });
  var start = /^#step=(\d+)$/.exec(location.hash);
  show(start ? Number(start[1]) - 1 : 0);

  // ---- #selftest: drive the page as a user would and check what it shows ----
  if (location.hash === '#selftest') selftest();

  function selftest() {
    var failures = [];
    var checks = 0;
    var expect = function (ok, what) { checks++; if (!ok) failures.push(what); };
    var key = function (k) { document.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true })); };
    expect(Number(slider.max) === steps.length - 1, 'slider max ' + slider.max + ' for ' + steps.length + ' steps');
    var reg = function (n) { return regRows[n].lastChild.textContent; };
    // Every step of a short trace; about 2000 spread over a long one, the last included.
    var stride = Math.max(1, Math.ceil(steps.length / 2000));
    for (var k = 0; k < steps.length; k = k + stride < steps.length || k === steps.length - 1 ? k + stride : steps.length - 1) {
      slider.value = String(k);
      slider.dispatchEvent(new Event('input'));
      var s = steps[k];
      expect(current === k, 'slider to ' + k + ' shows step ' + current);
      expect($('where').textContent.indexOf('pc ' + s.pc) >= 0, 'step ' + k + ': header names pc ' + s.pc);
      s.regs.forEach(function (c) { expect(reg(c.reg) === c.after, 'step ' + k + ': r' + c.reg + ' shows ' + reg(c.reg) + ', not ' + c.after); });
      var mark = document.querySelector('.src-line.current');
      if (s.source) expect(mark !== null && mark.dataset.line === String(s.source.line), 'step ' + k + ': source line ' + (s.source && s.source.line) + ' marked');
      s.accesses.forEach(function (a) {
        if (a.packetOffset === undefined || a.warning) return;
        var b = document.querySelector('.byte[data-offset="' + a.packetOffset + '"]');
        expect(b !== null && b.classList.contains(a.kind), 'step ' + k + ': byte ' + a.packetOffset + ' highlighted as ' + a.kind);
      });
    }
    if (steps.length) {
      var shown = Array.prototype.map.call(document.querySelectorAll('.byte'), function (b) { return b.textContent; }).join('');
      if (T.output) expect(shown === T.output.hex, 'the last step shows the output packet');
      if (T.output) {
        var rows = Array.prototype.map.call(document.querySelectorAll('#fields tr'), function (tr) {
          return tr.firstChild.textContent + '=' + tr.lastChild.textContent;
        }).join('|');
        var want = T.output.fields.map(function (f) {
          return f.name + '=' + (f.value.length > 40 ? f.value.slice(0, 40) + '\u2026' : f.value);
        }).join('|');
        expect(rows === want, 'the last step shows the output packet\'s header fields');
      }
      if (T.end.kind === 'verdict') expect(reg(0) === String(T.end.retval), 'r0 at the end is the verdict ' + T.end.retval + ', shows ' + reg(0));
      show(0);
      key('ArrowRight');
      expect(current === Math.min(1, steps.length - 1), 'ArrowRight moves to step 1 (at ' + current + ')');
      key('ArrowLeft');
      expect(current === 0, 'ArrowLeft moves back to step 0 (at ' + current + ')');
      key('End');
      expect(current === steps.length - 1, 'End moves to the last step');
      var target = steps[steps.length - 1].source;
      if (target) {
        show(0);
        srcRows[target.file + ':' + target.line].click();
        expect(steps[current].source && steps[current].source.line === target.line, 'clicking an executed source line goes to a step on it');
        key('End');
      }
      $('prev').click();
      expect(current === Math.max(steps.length - 2, 0), 'the previous button steps back');
    }
    var out = $('selftest');
    out.dataset.result = failures.length ? 'fail' : 'pass';
    out.textContent = JSON.stringify({ checks: checks, failures: failures.slice(0, 20) });
  }
})();
