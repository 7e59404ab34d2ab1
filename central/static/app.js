// Overview page: one card per house, refreshed from /api/houses without reloading the page.
(function () {
  let I18N = null, session = null, last = null;
  let lang = (document.cookie.match(/(?:^|; )lang=(vi|en)/) || [])[1] || document.documentElement.lang || "vi";
  const $ = (id) => document.getElementById(id);
  const t = (k) => (I18N.text[lang] && I18N.text[lang][k]) || I18N.text.en[k] || k;
  function reason(r) {
    const base = r.replace(/-(error|warning|report)$/, "");
    return I18N.reasons[lang][base] || r;
  }
  function dur(s) {
    s = Math.max(0, s);
    return s < 120 ? Math.round(s) + " " + t("s") : s < 7200 ? Math.round(s / 60) + " " + t("min")
      : s < 172800 ? Math.round(s / 3600) + " " + t("h") : Math.round(s / 86400) + " " + t("d");
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag); Object.assign(e, attrs || {});
    if (text !== undefined && text !== null) e.textContent = text; return e;
  }
  const stateWord = (s) => s ? t("state." + s) : "—";
  function card(h, now) {
    const c = el("section", {className: "card " + (h.online ? "on" : "off"), id: "house-" + h.house});
    const title = el("h2"); title.append(el("a", {href: "/houses/" + h.house}, h.name || h.house)); c.append(title);
    const why = h.online ? "" : " (" + t("cause." + h.cause) + ")";
    c.append(el("div", {className: "state"}, (h.online ? t("online") : t("offline")) + why));
    if (h.back_after) c.append(el("div", {className: "back-after"}, t("back_after") + ": " + t("cause." + h.back_after.cause)));
    const dl = el("dl"), rows = [];
    if (h.last_seen) rows.push([t("last_seen"), dur((now - h.last_seen) / 1000) + " " + t("ago")]);
    const p = h.printer || {};
    if (p.state) rows.push([t("printer"), stateWord(p.state) + (p.reasons.length ? " — " + p.reasons.map(reason).join(", ") : "")]);
    if (p.held !== null && p.held !== undefined) rows.push([t("queue"), String(p.held + (p.pending || 0))]);
    if (h.scanner && h.scanner.state) rows.push([t("scanner"), stateWord(h.scanner.state)]);
    if (h.wifi_now !== null && h.wifi_now !== undefined) rows.push([t("wifi_now"), String(h.wifi_now)]);
    const d = h.today;
    rows.push([t("today"), `${d.pages} ${t("pages")} · ${d.scans} ${t("scans")} · ${d.copies} ${t("copies")} · ${d.users} ${t("users")}`]);
    for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {className: "v-" + k.length}, v));
    c.append(dl);
    if (h.alerts.length) {
      const ul = el("ul", {className: "card-alerts"});
      for (const a of h.alerts) ul.append(el("li", {}, lang === "vi" ? a.text : a.text_en));
      c.append(ul);
    }
    if (h.help.length) {
      const box = el("div", {className: "help", id: "help-" + h.house},
        t("help") + " (" + dur((now - h.help[0].ts) / 1000) + " " + t("ago") + ")");
      if (session && session.role === "operator") {
        const b = el("button", {type: "button", id: "help-ack-" + h.house}, t("ack"));
        b.addEventListener("click", () => ack(h.house, b)); box.append(b);
      }
      c.append(box);
    }
    return c;
  }
  function render() {
    if (!I18N || !last) return;
    document.documentElement.lang = lang;
    $("title").textContent = t("title"); $("lang").textContent = t("other_lang"); $("logout").textContent = t("logout");
    const main = $("houses"); main.replaceChildren(...last.houses.map((h) => card(h, last.now)));
    $("empty").hidden = last.houses.length > 0; $("empty").textContent = t("none");
    const all = last.houses.flatMap((h) => h.alerts), box = $("alerts");
    box.hidden = all.length === 0; box.replaceChildren();
    if (all.length) {
      box.append(el("strong", {}, t("alerts") + " (" + all.length + ")"));
      const ul = el("ul"); for (const a of all) ul.append(el("li", {}, lang === "vi" ? a.text : a.text_en)); box.append(ul);
    }
    $("stamp").textContent = new Date(last.now).toLocaleTimeString(lang === "vi" ? "vi-VN" : "en-GB");
  }
  async function getJson(url) {
    const r = await fetch(url, {cache: "no-store", credentials: "same-origin"});
    if (r.status === 401) { location.href = "/login"; throw new Error("logged out"); }
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }
  async function refresh() {
    try { last = await getJson("/api/houses"); render(); } catch (e) { /* keep the last picture */ }
  }
  async function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": session.csrf, "Content-Type": "application/json"}, body: JSON.stringify(body || {})});
  }
  async function ack(house, button) {
    button.disabled = true;
    const r = await post("/api/houses/" + house + "/help_ack");
    if (r.ok) button.textContent = t("acked");
    else button.disabled = false;
    refresh();
  }
  $("lang").addEventListener("click", () => {
    lang = lang === "vi" ? "en" : "vi"; document.cookie = "lang=" + lang + "; path=/; SameSite=Strict"; render();
  });
  $("logout").addEventListener("click", async () => { await post("/logout"); location.href = "/login"; });
  (async () => {
    try { [I18N, session] = await Promise.all([getJson("/i18n.json"), getJson("/api/session")]); } catch (e) { return; }
    await refresh(); setInterval(refresh, 5000);
  })();
})();
