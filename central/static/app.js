// Overview page: one card per house, refreshed from /api/houses without reloading the page.
(function () {
  let I18N = null, session = null, last = null;
  let lang = (document.cookie.match(/(?:^|; )lang=(vi|en)/) || [])[1] || document.documentElement.lang || "vi";
  const $ = (id) => document.getElementById(id);
  // The shared catalogue (common/locales/*.json) as /i18n.json serves it: {lang: {key: words}}.
  let W = null;  // static/words.js over the catalogue, once /i18n.json is in
  const t = (k, params) => W.t(k, params), reason = (r) => W.reason(r);
  const ago = (ms) => W.ago(ms / 1000);
  function el(tag, attrs, text) {
    const e = document.createElement(tag); Object.assign(e, attrs || {});
    if (text !== undefined && text !== null) e.textContent = text; return e;
  }
  const stateWord = (s) => s ? t("state." + s) : "—";
  function card(h, now) {
    const c = el("section", {className: "card " + (h.online ? "on" : "off"), id: "house-" + h.house});
    const title = el("h2"); title.append(el("a", {href: "/houses/" + h.house}, h.name || h.house)); c.append(title);
    const why = h.online ? "" : " (" + t("cause." + h.cause) + ")";
    c.append(el("div", {className: "state"}, (h.online ? t("dashboard.online") : t("dashboard.offline")) + why));
    if (h.back_after) c.append(el("div", {className: "back-after"}, t("dashboard.back_after") + ": " + t("cause." + h.back_after.cause)));
    const dl = el("dl"), rows = [];
    if (h.last_seen) rows.push([t("dashboard.last_seen"), ago(now - h.last_seen)]);
    const p = h.printer || {};
    if (p.state) rows.push([t("dashboard.printer"), stateWord(p.state) + (p.reasons.length ? " — " + p.reasons.map(reason).join(", ") : "")]);
    if (p.held !== null && p.held !== undefined) rows.push([t("dashboard.queue"), String(p.held + (p.pending || 0))]);
    if (h.scanner && h.scanner.state) rows.push([t("dashboard.scanner"), stateWord(h.scanner.state)]);
    if (h.wifi_now !== null && h.wifi_now !== undefined) rows.push([t("dashboard.wifi_now"), String(h.wifi_now)]);
    const d = h.today;
    rows.push([t("dashboard.today"), `${d.pages} ${t("dashboard.pages")} · ${d.scans} ${t("dashboard.scans")} · `
      + `${d.copies} ${t("dashboard.copies")} · ${d.users} ${t("dashboard.users")}`]);
    for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {className: "v-" + k.length}, v));
    c.append(dl);
    if (h.alerts.length) {
      const ul = el("ul", {className: "card-alerts"});
      for (const a of h.alerts) ul.append(el("li", {}, lang === "vi" ? a.text : a.text_en));
      c.append(ul);
    }
    if (h.help.length) {
      const box = el("div", {className: "help", id: "help-" + h.house},
        t("dashboard.help") + " (" + ago(now - h.help[0].ts) + ")");
      if (session && session.role === "operator") {
        const b = el("button", {type: "button", id: "help-ack-" + h.house}, t("dashboard.ack"));
        b.addEventListener("click", () => ack(h.house, b)); box.append(b);
      }
      c.append(box);
    }
    return c;
  }
  function summary(s) {
    const box = $("summary"); box.hidden = false;
    $("summary-title").textContent = t("dashboard.summary");
    const put = (id, key, value, small, bad) => {
      const tile = $(id); tile.className = bad ? "bad" : "";
      tile.querySelector("dt").textContent = t(key);
      const dd = tile.querySelector("dd"); dd.replaceChildren(el("strong", {}, String(value)));
      if (small) dd.append(" ", el("small", {}, small));
    };
    put("summary-online", "dashboard.summary.online", s.online,
        t("dashboard.summary.of", {n: s.houses}), s.online < s.houses);
    put("summary-blocked", "dashboard.summary.blocked", s.printers_blocked, "", s.printers_blocked > 0);
    put("summary-help", "dashboard.summary.help", s.help_waiting, "", s.help_waiting > 0);
    put("summary-pages", "dashboard.summary.pages", s.pages_today, "", false);
  }
  function render() {
    if (!I18N || !last) return;
    document.documentElement.lang = lang;
    $("title").textContent = t("dashboard.title"); $("lang").textContent = t("other_language");
    $("logout").textContent = t("dashboard.logout");
    for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
    const main = $("houses"); main.replaceChildren(...last.houses.map((h) => card(h, last.now)));
    $("empty").hidden = last.houses.length > 0; $("empty").textContent = t("dashboard.none");
    const all = (last.central_alerts || []).concat(last.houses.flatMap((h) => h.alerts)), box = $("alerts");
    box.hidden = all.length === 0; box.replaceChildren();
    if (all.length) {
      box.append(el("strong", {}, t("dashboard.alerts") + " (" + all.length + ")"));
      const ul = el("ul"); for (const a of all) ul.append(el("li", {}, lang === "vi" ? a.text : a.text_en)); box.append(ul);
    }
    summary(last.summary);
    // The house's clock, not the browser's: the same zone as every time on the house pages.
    $("stamp").textContent = t("dashboard.updated", {time: W.clock(last.now, last.zone.name)})
      + " (" + W.zoneLabel(last.zone) + ")";
  }
  async function getJson(url) {
    const r = await fetch(url, {cache: "no-store", credentials: "same-origin"});
    if (r.status === 401) { location.href = "/login"; throw new Error("logged out"); }
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }
  async function refresh() {
    try { last = await getJson("/api/houses" + location.search); render(); } catch (e) { /* keep the last picture */ }
  }
  async function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": session.csrf, "Content-Type": "application/json"}, body: JSON.stringify(body || {})});
  }
  async function ack(house, button) {
    button.disabled = true;
    const r = await post("/api/houses/" + house + "/help_ack");
    if (r.ok) button.textContent = t("dashboard.acked");
    else button.disabled = false;
    refresh();
  }
  $("lang").addEventListener("click", () => {
    lang = lang === "vi" ? "en" : "vi"; document.cookie = "lang=" + lang + "; path=/; SameSite=Strict"; render();
  });
  $("logout").addEventListener("click", async () => { await post("/logout"); location.href = "/login"; });
  (async () => {
    try { [I18N, session] = await Promise.all([getJson("/i18n.json"), getJson("/api/session")]); } catch (e) { return; }
    W = window.chWords(I18N, () => lang);
    await refresh(); setInterval(refresh, 5000);
  })();
})();
