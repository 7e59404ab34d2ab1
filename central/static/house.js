// House page: refresh the figures without reloading the page; for operators, the print
// queue (print_status, release_job, cancel_job) and re-probing the devices (rescan_devices).
// Everything the house sends is shown through textContent, never as HTML.
(function () {
  const ANSWER_WITHIN_S = 15;  // after this, "no answer" (or "the house is offline")
  const POLL_MS = 700;
  const DEVICE_OF = {printing: "printer", scanning: "scanner"};  // rescan answers by feature
  const $ = (id) => document.getElementById(id);
  const main = () => $("house-main");
  const lang = document.documentElement.lang === "en" ? "en" : "vi";
  let I18N = null, session = null, asking = false;

  async function refresh() {
    const m = main(); if (!m) return;
    try {
      const r = await fetch(location.pathname + "?fragment=1", {cache: "no-store"});
      if (r.ok) { const box = document.createElement("div"); box.innerHTML = await r.text();
        const fresh = box.querySelector("#house-main");
        if (fresh) {
          // The operators' panel lives on across refreshes: its list, answers and open state.
          const panel = $("ops-panel"), slot = fresh.querySelector("#ops");
          if (panel && slot) slot.append(panel);
          m.replaceWith(fresh);
        } }
    } catch (e) { /* keep the last picture while the office network hiccups */ }
  }
  const langLink = $("lang");
  if (langLink) langLink.addEventListener("click", (ev) => {
    ev.preventDefault(); const next = document.documentElement.lang === "vi" ? "en" : "vi";
    document.cookie = "lang=" + next + "; path=/; SameSite=Strict"; location.reload();
  });
  setInterval(refresh, 30000);

  // ----- words ------------------------------------------------------------------------
  // The shared catalogue (common/locales/*.json) as /i18n.json serves it: {lang: {key: words}};
  // this page's own words live under "dashboard.".
  const SHARED = ["state.", "cause.", "reason."];
  const full = (key) => SHARED.some((p) => key.startsWith(p)) ? key : "dashboard." + key;
  const has = (key) => W.has(full(key));
  let W = null;  // static/words.js over the catalogue, once /i18n.json is in
  const t = (key, values) => W.t(full(key), values);
  // The first of the tables that knows `value`, else the value itself.
  function word(prefixes, value) {
    const key = String(value);
    for (const prefix of prefixes) if (has(prefix + key)) return t(prefix + key);
    return key;
  }
  const reason = (r) => W.reason(r), ago = (s) => W.ago(s);
  function why(detail) {
    const error = String(detail.error || "failed");
    if (!has("why." + error)) return t("why.other", {error: error});
    return t("why." + error, {state: word(["jobs.state."], detail.state || "other"),
                              cause: word(["problem."], detail.cause || "printer_fault")});
  }
  // A command's outcome in plain words; `doneWords(detail)` says what a success means.
  function outcome(result, doneWords) {
    if (result.kind === "done") return doneWords(result.detail);
    if (result.kind === "refused") return t("cmd.refused", {why: why(result.detail)});
    if (result.kind === "not_sent") return t("cmd.not_sent", {why: result.why});
    const m = main();
    return m && m.dataset.online === "0" ? t("cmd.offline")
      : t("cmd.no_answer", {s: ANSWER_WITHIN_S});
  }

  // ----- talking to the house through central ---------------------------------------------
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  async function getJson(url) {
    const r = await fetch(url, {cache: "no-store", credentials: "same-origin"});
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }
  // Send one command; resolves to done/refused (with the house's detail), timeout or not_sent.
  async function command(name, args) {
    let r;
    try {
      r = await fetch("/api/houses/" + encodeURIComponent(main().dataset.house) + "/commands", {
        method: "POST", credentials: "same-origin",
        headers: {"X-CSRF-Token": session.csrf, "Content-Type": "application/json"},
        body: JSON.stringify({name: name, args: args || {}})});
    } catch (e) { return {kind: "not_sent", why: t("cmd.network")}; }
    if (r.status === 401) return {kind: "not_sent", why: t("cmd.logged_out")};
    if (!r.ok) return {kind: "not_sent", why: t("cmd.server", {status: r.status})};
    const reqId = (await r.json()).req_id;
    const until = Date.now() + ANSWER_WITHIN_S * 1000;
    while (Date.now() < until) {
      await sleep(POLL_MS);
      try {
        const a = await getJson("/api/commands/" + encodeURIComponent(reqId));
        if (a.done) {
          const detail = a.detail && typeof a.detail === "object" ? a.detail : {};
          return {kind: a.ok ? "done" : "refused", detail: detail};
        }
      } catch (e) { /* ask again until the time is up */ }
    }
    return {kind: "timeout"};
  }

  // ----- the panel ------------------------------------------------------------------------
  function el(tag, props, text) {
    const e = document.createElement(tag); Object.assign(e, props || {});
    if (text !== undefined && text !== null) e.textContent = text; return e;
  }
  function button(id, text, kind) {
    return el("button", {type: "button", id: id, className: kind || ""}, text);
  }
  function statusLine(id) {
    const p = el("p", {id: id, className: "cmd-status"}); p.setAttribute("aria-live", "polite");
    return p;
  }

  function buildPanel() {
    const panel = el("section", {id: "ops-panel", className: "ops"});
    const details = el("details", {id: "jobs"});
    const again = button("jobs-refresh", t("jobs.refresh"));
    details.append(el("summary", {}, t("jobs.title")), statusLine("jobs-info"),
                   el("ul", {id: "jobs-list", className: "jobs"}), statusLine("jobs-status"),
                   again);
    details.addEventListener("toggle", () => { if (details.open) askStatus(); });
    again.addEventListener("click", askStatus);
    const rescan = button("rescan", t("rescan.button")), rescanStatus = statusLine("rescan-status");
    rescan.addEventListener("click", () => rescanDevices(rescan, rescanStatus));
    const devices = el("div", {className: "rescan"}); devices.append(rescan, rescanStatus);
    panel.append(details, devices);
    return panel;
  }

  async function askStatus() {
    if (asking) return;
    asking = true;
    const info = $("jobs-info"), again = $("jobs-refresh");
    again.disabled = true; info.textContent = t("jobs.asking");
    const result = await command("print_status");
    asking = false; again.disabled = false;
    if (result.kind === "done") showQueue(result.detail);
    else info.textContent = outcome(result);
  }

  function showQueue(detail) {
    const jobs = (Array.isArray(detail.jobs) ? detail.jobs : [])
      .filter((j) => j && Number.isInteger(j.id));
    const waiting = jobs.filter((j) => j.state === "held" || j.state === "pending");
    const printing = jobs.filter((j) => j.state === "processing").length;
    const reasons = (Array.isArray(detail.reasons) ? detail.reasons : []).map(reason).join(", ");
    const parts = [t("printer") + ": " + word(["state."], detail.state || "unknown")
                   + (reasons ? " — " + reasons : "") + "."];
    if (printing) parts.push(t("jobs.printing", {n: printing}));
    const time = W.clock(Date.now(), main().dataset.zone);  // the house's clock, as above
    parts.push(t("jobs.updated", {time: time}));
    $("jobs-info").textContent = parts.join(" ");
    const list = $("jobs-list");
    list.replaceChildren(...waiting.map(jobRow));
    if (!waiting.length) list.append(el("li", {className: "none"}, t("jobs.none")));
  }

  function jobRow(job) {
    const li = el("li", {id: "job-" + job.id});
    const pages = Number.isInteger(job.pages) && job.pages > 0 ? t("jobs.pages", {n: job.pages})
      : t("jobs.pages_unknown");
    const what = el("span", {className: "job-what"});
    what.append(el("strong", {}, t("jobs.job", {job: job.id})), document.createTextNode(
      " · " + [word(["jobs.state."], job.state), pages, ago(job.age_s),
               word(["jobs.origin."], job.origin)].join(" · ")));
    const tools = el("span", {className: "job-tools"});
    li.append(what, tools);
    jobButtons(tools, job);
    return li;
  }

  function jobButtons(tools, job) {
    const buttons = [];
    if (job.state === "held") {
      const release = button("release-" + job.id, t("jobs.release"), "go");
      release.addEventListener("click", () => act(tools, job, "release_job"));
      buttons.push(release);
    }
    const cancel = button("cancel-" + job.id, t("jobs.cancel"), "stop");
    cancel.addEventListener("click", () => confirmCancel(tools, job));
    buttons.push(cancel);
    tools.replaceChildren(...buttons);
  }

  // Cancelling cannot be undone: ask once more, in the row (works the same on a phone).
  function confirmCancel(tools, job) {
    const yes = button("cancel-yes-" + job.id, t("jobs.yes_cancel"), "stop");
    const no = button("cancel-no-" + job.id, t("jobs.keep"));
    yes.addEventListener("click", () => act(tools, job, "cancel_job"));
    no.addEventListener("click", () => jobButtons(tools, job));
    const question = el("span", {className: "confirm"}, t("jobs.confirm_cancel", {job: job.id}));
    tools.replaceChildren(question, yes, no);
  }

  async function act(tools, job, name) {
    for (const b of tools.querySelectorAll("button")) b.disabled = true;
    const status = $("jobs-status"), label = t("jobs.job", {job: job.id}) + " — ";
    status.textContent = label + t("cmd.sent");
    const result = await command(name, {job: job.id});
    status.textContent = result.kind === "done"
      ? t(name === "release_job" ? "cmd.released" : "cmd.cancelled", {job: job.id})
      : label + outcome(result);
    if (result.kind === "done" || result.kind === "refused") setTimeout(askStatus, 1500);
    else jobButtons(tools, job);
  }

  async function rescanDevices(rescan, status) {
    rescan.disabled = true; status.textContent = t("cmd.sent");
    const result = await command("rescan_devices");
    rescan.disabled = false;
    status.textContent = outcome(result, devicesWords);
    if (result.kind === "done") setTimeout(refresh, 3000);  // the card's new states
  }

  function devicesWords(detail) {
    const found = [];
    for (const [feature, answer] of Object.entries(detail)) {
      const pairs = answer && typeof answer === "object" ? Object.entries(answer)
        : [[DEVICE_OF[feature] || feature, answer]];
      for (const [device, state] of pairs) {
        const label = device === "printer" || device === "scanner" ? t(device) : device;
        found.push(label + ": " + word(["rescan.", "state.", "problem."], state));
      }
    }
    return found.length ? t("cmd.rescanned") + " " + found.join("; ") + "." : t("rescan.none");
  }

  (async () => {
    if (!$("ops")) return;
    try {
      [I18N, session] = await Promise.all([getJson("/i18n.json"), getJson("/api/session")]);
    } catch (e) { return; }
    W = window.chWords(I18N, () => lang);
    $("ops").dataset.role = session.role;
    if (session.role !== "operator") return;  // viewers get no panel and no buttons
    $("ops").append(buildPanel());
  })();
})();
