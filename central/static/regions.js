// Overview page: the filter by province, district and commune, and today's totals per region,
// from /api/houses with the page's own query (?province=…&district=…&commune=…).
(function () {
  const LEVELS = ["province", "district", "commune"];
  let I18N = null, last = null;
  const $ = (id) => document.getElementById(id);
  const lang = () => (document.cookie.match(/(?:^|; )lang=(vi|en)/) || [])[1] || document.documentElement.lang || "vi";
  const t = (k) => (I18N[lang()] || {})[k] || I18N.vi[k] || k;
  function el(tag, attrs, text) {
    const e = document.createElement(tag); Object.assign(e, attrs || {});
    if (text !== undefined && text !== null) e.textContent = text; return e;
  }
  const chosen = () => Object.fromEntries(LEVELS.map((lv) => [lv, new URLSearchParams(location.search).get(lv) || ""]));
  function filter() {
    const form = $("places"), now = chosen();
    form.replaceChildren();
    LEVELS.forEach((level, i) => {
      // A level offers the places inside what the larger levels chose.
      const inside = last.places.filter((p) => LEVELS.slice(0, i).every((up) => !now[up] || p[up] === now[up]));
      const names = [...new Set(inside.map((p) => p[level]).filter((n) => n))].sort();
      const select = el("select", {name: level, id: "place-" + level});
      select.append(el("option", {value: ""}, t("dashboard.region.all")));
      for (const n of names) select.append(el("option", {value: n, selected: n === now[level]}, n));
      const label = el("label", {}, t("dashboard.region." + level) + " "); label.append(select);
      form.append(label);
    });
    form.append(el("button", {type: "submit"}, t("dashboard.region.show")));
    form.hidden = last.places.length === 0;
  }
  function totals() {
    const box = $("regions"), rows = last.regions || [];
    box.replaceChildren(); box.hidden = last.places.length === 0 || rows.length === 0;
    if (box.hidden) return;
    box.append(el("h2", {}, t("dashboard.region.totals")));
    const table = el("table", {className: "region-totals"}), head = el("tr");
    for (const k of ["", "dashboard.region.houses", "dashboard.region.online", "dashboard.pages",
                     "dashboard.scans", "dashboard.copies", "dashboard.users", "dashboard.region.help"])
      head.append(el("th", {}, k ? t(k) : ""));
    table.append(head);
    for (const r of rows) {
      const tr = el("tr", {className: "level-" + r.level});
      tr.append(el("td", {}, r[r.level] || t("dashboard.region.unplaced")));
      for (const v of [r.houses, r.online, r.today.pages, r.today.scans, r.today.copies, r.today.users, r.help])
        tr.append(el("td", {className: "n"}, String(v)));
      table.append(tr);
    }
    box.append(table);
  }
  async function refresh() {
    try {
      const r = await fetch("/api/houses" + location.search, {cache: "no-store", credentials: "same-origin"});
      if (!r.ok) return;
      last = await r.json(); filter(); totals();
    } catch (e) { /* keep the last picture */ }
  }
  (async () => {
    try {
      const r = await fetch("/i18n.json", {credentials: "same-origin"}); if (!r.ok) return; I18N = await r.json();
    } catch (e) { return; }
    await refresh(); setInterval(refresh, 30000);
    $("lang").addEventListener("click", () => setTimeout(() => { if (last) { filter(); totals(); } }, 0));
  })();
})();
