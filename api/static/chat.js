/* GovGuide chat page (also the iframe target of widget.js). No build step, no dependencies.
 * Streams answers over WebSocket /ws/chat (falls back to POST /chat), renders cards, elderly mode,
 * voice input (Web Speech API where the browser has it) and spoken answers (speechSynthesis). */
(function () {
  "use strict";
  var base = (new URLSearchParams(location.search).get("api") || "").replace(/\/$/, "");
  var sessionKey = "govguide.session";
  var sessionId = sessionStorage.getItem(sessionKey);
  if (!sessionId) {
    sessionId = "web-" + Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
    sessionStorage.setItem(sessionKey, sessionId);
  }
  var $ = function (id) { return document.getElementById(id); };
  var app = $("gg-app"), list = $("gg-messages"), input = $("gg-text");
  var state = { elderly: localStorage.getItem("govguide.elderly") === "1", speak: false, ws: null, queue: [], bubble: null };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function scroll() { list.scrollTop = list.scrollHeight; }
  function addMsg(who, text) { var m = el("div", "gg-msg " + who, text); m.setAttribute("data-testid", who + "-message"); list.appendChild(m); scroll(); return m; }

  // ---------------------------------------------------------------- elderly mode and speech
  function applyElderly() {
    app.classList.toggle("gg-elderly", state.elderly);
    document.body.classList.toggle("gg-elderly", state.elderly);
    $("gg-elderly").setAttribute("aria-pressed", String(state.elderly));
    if (state.elderly && !state.speak && "speechSynthesis" in window) { state.speak = true; $("gg-speak").setAttribute("aria-pressed", "true"); }
  }
  $("gg-elderly").addEventListener("click", function () {
    state.elderly = !state.elderly;
    localStorage.setItem("govguide.elderly", state.elderly ? "1" : "0");
    applyElderly();
  });
  $("gg-speak").addEventListener("click", function () {
    state.speak = !state.speak;
    this.setAttribute("aria-pressed", String(state.speak));
    if (!state.speak && "speechSynthesis" in window) speechSynthesis.cancel();
  });
  function say(text, rate) {
    if (!state.speak || !("speechSynthesis" in window) || !text) return;
    var u = new SpeechSynthesisUtterance(text);
    u.lang = "zh-CN";
    u.rate = state.elderly ? Math.min(rate || 1, 0.8) : (rate || 1);
    speechSynthesis.speak(u);
  }
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (Recognition) {
    var mic = $("gg-mic");
    mic.hidden = false;
    mic.addEventListener("click", function () {
      var rec = new Recognition();
      rec.lang = "zh-CN"; rec.interimResults = false; rec.maxAlternatives = 1;
      mic.classList.add("listening");
      rec.onresult = function (ev) { var t = ev.results[0][0].transcript; if (t) send(t); };
      rec.onend = function () { mic.classList.remove("listening"); };
      rec.onerror = rec.onend;
      rec.start();
    });
  }

  // ---------------------------------------------------------------- cards
  function guideLinks(matterId) {
    var p = el("p", "gg-meta");
    var q = "?session_id=" + encodeURIComponent(sessionId);
    var a = el("a", "", "打印版指南"); a.href = base + "/matters/" + encodeURIComponent(matterId) + "/guide" + q; a.target = "_blank";
    var b = el("a", "", "PDF"); b.href = base + "/matters/" + encodeURIComponent(matterId) + "/guide" + q + "&format=pdf"; b.target = "_blank";
    p.appendChild(a); p.appendChild(document.createTextNode(" · ")); p.appendChild(b);
    return p;
  }
  var renderers = {
    matter_guide: function (c, box) {
      var d = c.data || {};
      if (d.materials) {
        var ul = el("ul");
        d.materials.forEach(function (m) { ul.appendChild(el("li", "", m.name + (m.original ? "原件" : "复印件") + (m.copies || 1) + "份" + (m.elicense ? "（可用电子证照）" : ""))); });
        box.appendChild(ul);
        if (d.windows) box.appendChild(el("p", "gg-meta", "窗口：" + d.windows.join("、")));
        if (d.time_limit) box.appendChild(el("p", "gg-meta", "时限：" + d.time_limit + "；收费：" + (d.fee || "")));
      } else {
        box.appendChild(el("p", "gg-meta", "窗口：" + (d.windows || []).join("、") + "　收费：" + (d.fee || "") + "　网办：" + (d.online || "")));
        if (d.phone) box.appendChild(el("p", "gg-meta", "咨询电话：" + d.phone));
      }
      if (d.matter_id) box.appendChild(guideLinks(d.matter_id));
    },
    material_checklist: function (c, box) {
      var ul = el("ul");
      ((c.data || {}).materials || []).forEach(function (m) {
        var li = el("li");
        var label = el("label");
        var cb = el("input"); cb.type = "checkbox";
        label.appendChild(cb);
        var cond = m.when && Object.keys(m.when).length ? "（视情况）" : "";
        label.appendChild(document.createTextNode(" " + m.name + " ×" + (m.copies || 1) + (m.original ? " 原件" : " 复印件") + (m.elicense ? " · 可用电子证照" : "") + cond));
        li.appendChild(label); ul.appendChild(li);
      });
      box.appendChild(ul);
    },
    form_state: function (c, box) {
      var d = c.data || {};
      var table = el("table");
      (d.fields || []).forEach(function (f) {
        var tr = el("tr");
        tr.appendChild(el("td", "", f.label + (f.required ? "*" : "")));
        var st = { filled: "已填", pending: "待确认", empty: "未填" }[f.status] || f.status;
        var td = el("td", "status-" + f.status, (f.value ? f.value + " " : "") + "（" + st + "）");
        td.setAttribute("data-field", f.id);
        tr.appendChild(td);
        table.appendChild(tr);
      });
      box.appendChild(table);
      if (d.receipt_no) { box.appendChild(el("p", "gg-meta", "受理编号：" + d.receipt_no)); return; }
      var submit = el("button", "primary", "提交申请"); submit.type = "button";
      submit.setAttribute("data-testid", "form-submit");
      submit.addEventListener("click", function () { send("确认提交"); });
      box.appendChild(submit);
    },
    map: function (c, box) {
      var d = c.data || {};
      box.classList.add("gg-map");
      var x = Number(d.x) || 0, y = Number(d.y) || 0;
      var w = Math.max(40, x + 10), h = Math.max(30, y + 10);
      var svg = '<svg viewBox="0 0 ' + w + " " + h + '" role="img" aria-label="大厅地图"><rect x="1" y="1" width="' + (w - 2) + '" height="' + (h - 2) + '" fill="none" stroke="#bbb"/>' +
        '<circle cx="2" cy="' + (h - 2) + '" r="1.5" fill="#1677ff"/><text x="4" y="' + (h - 3) + '" font-size="3">入口</text>' +
        '<circle cx="' + x + '" cy="' + y + '" r="2" fill="#c8161d"/><text x="' + (x + 3) + '" y="' + (y + 1) + '" font-size="3.5">' + escapeXml(d.name || "") + "</text></svg>";
      box.insertAdjacentHTML("beforeend", svg);
      box.appendChild(el("p", "gg-meta", (d.floor ? d.floor + "楼 · " : "") + (d.description || d.name || "")));
    },
    case: function (c, box) {
      var d = c.data || {};
      box.appendChild(el("p", "", "受理编号：" + d.receipt_no));
      box.appendChild(el("p", "gg-meta", "请到" + d.window + "办理" + ((d.missing_materials || []).length ? "，还需携带：" + d.missing_materials.join("、") : "")));
    },
    question: function (c, box) {
      ((c.data || {}).options || []).forEach(function (o) {
        var b = el("button", "gg-option", o[1]); b.type = "button";
        b.addEventListener("click", function () { send(o[1]); });
        box.appendChild(b);
      });
    },
    bundle: function (c, box) {
      var ul = el("ul");
      ((c.data || {}).matters || []).forEach(function (m) { ul.appendChild(el("li", "", m.name || m)); });
      box.appendChild(ul);
    }
  };
  function escapeXml(s) { return String(s).replace(/[<>&"']/g, function (ch) { return "&#" + ch.charCodeAt(0) + ";"; }); }
  function renderCards(cards) {
    (cards || []).forEach(function (c) {
      var box = el("section", "gg-card gg-card-" + c.type);
      box.setAttribute("data-testid", "card-" + c.type);
      box.appendChild(el("h3", "", c.title));
      (renderers[c.type] || function () {})(c, box);
      list.appendChild(box);
    });
    scroll();
  }

  // ---------------------------------------------------------------- 实名认证
  // The embedding portal provides window.GovGuideIdentity(sessionId) -> Promise<assertion> (its unified
  // identity platform / 电子身份证); without it, development servers sign one for a sample citizen.
  function assertion() {
    if (typeof window.GovGuideIdentity === "function") return Promise.resolve(window.GovGuideIdentity(sessionId));
    var citizen = new URLSearchParams(location.search).get("citizen") || "c001";
    return fetch(base + "/dev/identity", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ session_id: sessionId, citizen_id: citizen }) })
      .then(function (r) { if (!r.ok) throw new Error("请在“云溪政务”App中完成实名认证"); return r.json(); })
      .then(function (b) { return b.assertion; });
  }
  function renderVerify() {
    var box = el("section", "gg-card gg-card-verify");
    box.setAttribute("data-testid", "card-verify");
    var b = el("button", "primary", "实名认证"); b.type = "button";
    b.setAttribute("data-testid", "verify");
    b.addEventListener("click", function () {
      b.disabled = true;
      assertion()
        .then(function (token) {
          return fetch(base + "/sessions/" + encodeURIComponent(sessionId) + "/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ assertion: token }) });
        })
        .then(function (r) { return r.json(); })
        .then(function (body) { if (body.text !== undefined) { addMsg("user", "［已完成实名认证］"); finish(body); } else throw new Error(body.detail || "认证失败"); })
        .catch(function (e) { b.disabled = false; addMsg("bot", "实名认证未完成：" + e.message); });
    });
    box.appendChild(b);
    list.appendChild(box);
    scroll();
  }

  // ---------------------------------------------------------------- transport
  function finish(reply) {
    var b = state.bubble || addMsg("bot", "");
    b.classList.remove("streaming");
    b.textContent = reply.text;
    state.bubble = null;
    renderCards(reply.cards);
    if ((reply.actions || []).some(function (a) { return a.type === "VerifyIdentity"; })) renderVerify();
    say(reply.speech, reply.speech_rate);
    app.setAttribute("data-turns", String(Number(app.getAttribute("data-turns") || 0) + 1));
  }
  function onEvent(ev) {
    if (ev.type === "sentence") {
      if (!state.bubble) { state.bubble = addMsg("bot", ""); state.bubble.classList.add("streaming"); }
      state.bubble.textContent += ev.text; scroll();
    } else if (ev.type === "done") {
      finish(ev.reply);
    } else if (ev.type === "error") {
      if (state.bubble) state.bubble.classList.remove("streaming");
      state.bubble = null;
      addMsg("bot", "抱歉，出了点问题：" + (ev.detail || "请稍后再试"));
    }
  }
  function wsUrl() {
    var origin = base || location.origin;
    return origin.replace(/^http/, "ws") + "/ws/chat";
  }
  function connect() {
    if (!("WebSocket" in window)) return null;
    var ws = new WebSocket(wsUrl());
    ws.onmessage = function (m) { try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore malformed */ } };
    ws.onopen = function () { while (state.queue.length) ws.send(state.queue.shift()); };
    ws.onclose = function () { state.ws = null; };
    return ws;
  }
  function postChat(payload) {
    fetch(base + "/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: payload })
      .then(function (r) { return r.json(); })
      .then(function (body) { if (body.text !== undefined) finish(body); else onEvent({ type: "error", detail: body.detail }); })
      .catch(function () { onEvent({ type: "error", detail: "网络不可用" }); });
  }
  function send(text) {
    text = (text || "").trim();
    if (!text) return;
    addMsg("user", text);
    var payload = JSON.stringify({ session_id: sessionId, text: text, profile: { elderly: state.elderly } });
    if (!state.ws || state.ws.readyState > 1) state.ws = connect();
    if (!state.ws) { postChat(payload); return; }
    if (state.ws.readyState === 1) state.ws.send(payload); else state.queue.push(payload);
  }
  $("gg-form").addEventListener("submit", function (e) { e.preventDefault(); send(input.value); input.value = ""; });
  Array.prototype.forEach.call(document.querySelectorAll(".gg-chip"), function (c) { c.addEventListener("click", function () { send(c.textContent); }); });
  applyElderly();
  addMsg("bot", "您好！我是政务服务导办助手。请问您要办理什么事项？");
  window.GovGuideChat = { send: send, sessionId: sessionId };
})();
