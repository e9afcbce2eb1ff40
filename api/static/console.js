/* Curator console: login (OAuth2 password → JWT kept in sessionStorage), search a matter, edit it,
 * try a question against the change, handle unanswered questions, see eval figures and the audit log. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var tokenKey = "govguide.token";
  var current = null;

  function api(method, path, body, form) {
    var headers = { Authorization: "Bearer " + (sessionStorage.getItem(tokenKey) || "") };
    var init = { method: method, headers: headers };
    if (form) init.body = form;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.detail || r.statusText); e.status = r.status; e.data = data; throw e; }
        return data;
      });
    });
  }
  function li(text) { var e = document.createElement("li"); e.textContent = text; return e; }
  function button(text, onClick) { var b = document.createElement("button"); b.type = "button"; b.textContent = text; b.addEventListener("click", onClick); return b; }

  function showWork(me) {
    $("login-box").hidden = true; $("work").hidden = false;
    $("who").textContent = me.username + "（" + (me.role === "admin" ? "管理员" : "知识维护员") + "）";
    loadGaps(); loadEval(); loadAudit();
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = new URLSearchParams({ username: $("login-user").value, password: $("login-pass").value });
    fetch("/auth/token", { method: "POST", body: form }).then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
      .then(function (res) {
        if (!res[0]) { $("login-error").textContent = "登录失败：" + (res[1].detail || ""); return; }
        sessionStorage.setItem(tokenKey, res[1].access_token);
        return api("GET", "/admin/me").then(showWork);
      });
  });

  $("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    fetch("/matters?limit=20&q=" + encodeURIComponent($("search-q").value)).then(function (r) { return r.json(); }).then(function (d) {
      var ul = $("search-results"); ul.textContent = "";
      (d.items || []).forEach(function (m) {
        var item = li(m.name + "（" + m.id + "，" + m.department + "）");
        item.appendChild(button("编辑", function () { edit(m.id); }));
        ul.appendChild(item);
      });
      if (!(d.items || []).length) ul.appendChild(li("没有找到"));
    });
  });

  function edit(id) {
    return api("GET", "/admin/records/matter/" + encodeURIComponent(id)).then(function (rec) {
      current = rec;
      $("editor").hidden = false; $("edit-id").textContent = rec.name + "（" + rec.id + "）";
      $("f-name").value = rec.name; $("f-fee").value = rec.fee || ""; $("f-promised").value = rec.promised_limit_days;
      $("f-legal").value = rec.legal_limit_days; $("f-phone").value = rec.phone || "";
      $("f-colloquial").value = (rec.colloquial || []).join("\n");
      $("f-json").value = JSON.stringify(rec, null, 2);
      $("save-status").textContent = "";
    });
  }
  $("save").addEventListener("click", function () {
    var rec;
    try { rec = JSON.parse($("f-json").value); } catch (err) { $("save-status").textContent = "JSON 格式有误"; return; }
    rec.name = $("f-name").value; rec.fee = $("f-fee").value; rec.phone = $("f-phone").value;
    rec.promised_limit_days = Number($("f-promised").value); rec.legal_limit_days = Number($("f-legal").value);
    rec.colloquial = $("f-colloquial").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    $("save-status").textContent = "保存中…";
    api("PUT", "/admin/records/matter/" + encodeURIComponent(rec.id), rec).then(function (res) {
      var msg = "已保存" + (res.indexed ? "，索引已更新" : "（索引更新失败，稍后重试）");
      edit(rec.id).then(function () { $("save-status").textContent = msg; });
      loadAudit();
    }).catch(function (err) {
      var detail = (err.data && err.data.errors) ? err.data.errors.map(function (x) { return x.loc + "：" + x.msg; }).join("；") : err.message;
      $("save-status").textContent = "保存失败：" + detail;
    });
  });

  $("try-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("try-answer").textContent = "…";
    api("POST", "/admin/try", { text: $("try-q").value }).then(function (r) {
      $("try-answer").textContent = r.text + (r.matter ? "\n—— 事项：" + r.matter.name : "");
    });
  });

  function loadGaps() {
    api("GET", "/admin/unanswered").then(function (gaps) {
      var ul = $("gaps"); ul.textContent = "";
      gaps.slice(0, 50).forEach(function (g) {
        var item = li(g.text + "（" + g.reason + "）");
        item.appendChild(button("关联到正在编辑的事项", function () {
          if (!current) { alert("请先搜索并打开一个事项"); return; }
          api("POST", "/admin/unanswered/" + g.id + "/link", { matter_id: current.id }).then(function () { loadGaps(); edit(current.id); });
        }));
        item.appendChild(button("新增问答", function () {
          if (!current) { alert("请先搜索并打开一个事项"); return; }
          var answer = prompt("“" + g.text + "”的答案：");
          if (answer) api("POST", "/admin/unanswered/" + g.id + "/faq", { matter_id: current.id, answer: answer }).then(loadGaps);
        }));
        ul.appendChild(item);
      });
      if (!gaps.length) ul.appendChild(li("暂无"));
    });
  }
  function loadEval() {
    api("GET", "/admin/eval").then(function (d) {
      var names = Object.keys(d.reports || {});
      $("eval").textContent = names.length ? JSON.stringify(d.reports, null, 1) : "暂无评测结果（" + d.folder + "/*.json）";
    });
  }
  function loadAudit() {
    api("GET", "/admin/audit?limit=20").then(function (rows) {
      var ul = $("audit"); ul.textContent = "";
      rows.forEach(function (r) { ul.appendChild(li(r.at + " " + r.user + " " + r.action + " " + r.kind + " " + r.record_id)); });
    });
  }
  if (sessionStorage.getItem(tokenKey)) api("GET", "/admin/me").then(showWork).catch(function () { sessionStorage.removeItem(tokenKey); });
})();
