// House page: refresh the figures without reloading the page.
(function () {
  const main = () => document.getElementById("house-main");
  async function refresh() {
    const m = main(); if (!m) return;
    try {
      const r = await fetch(location.pathname + "?fragment=1", {cache: "no-store"});
      if (r.ok) { const box = document.createElement("div"); box.innerHTML = await r.text();
        const fresh = box.querySelector("#house-main"); if (fresh) m.replaceWith(fresh); }
    } catch (e) { /* keep the last picture while the office network hiccups */ }
  }
  const lang = document.getElementById("lang");
  if (lang) lang.addEventListener("click", (ev) => {
    ev.preventDefault(); const next = document.documentElement.lang === "vi" ? "en" : "vi";
    document.cookie = "lang=" + next + "; path=/; SameSite=Strict"; location.reload();
  });
  setInterval(refresh, 30000);
})();
