// Words shared by the dashboard's pages (loaded before app.js and house.js): the catalogue
// lookup, relative times ("5 phút trước") and clock times in the house's time zone.
// The catalogue is common/locales/*.json as /i18n.json serves it: {lang: {key: words}}.
window.chWords = function (catalogue, langOf) {
  const lang = () => langOf();
  const has = (key) => Object.prototype.hasOwnProperty.call(catalogue.vi, key);
  function t(key, values) {
    const text = (catalogue[lang()] || {})[key] || catalogue.vi[key] || key;
    return text.replace(/\{(\w+)\}/g,
                        (all, name) => (values && name in values ? String(values[name]) : all));
  }
  // Seconds as "12 giây", "5 phút", "3 giờ", "2 ngày" (central/i18n.py duration, same steps).
  function dur(s) {
    s = Math.max(0, Number(s) || 0);
    const [n, unit] = s < 120 ? [s, "s"] : s < 7200 ? [s / 60, "min"]
      : s < 172800 ? [s / 3600, "h"] : [s / 86400, "d"];
    return t("duration." + unit, {n: Math.round(n)});
  }
  const ago = (s) => t("dashboard.ago", {time: dur(s)});
  function reason(r) {
    const base = String(r).replace(/-(error|warning|report)$/, "");
    return has("reason." + base) ? t("reason." + base) : String(r);
  }
  // "giờ Việt Nam (UTC+7)" for {name: "Asia/Ho_Chi_Minh", offset: "UTC+7"} (as the server says it).
  function zoneLabel(zone) {
    const key = "dashboard.zone_name." + zone.name;
    return t("dashboard.zone", {place: has(key) ? t(key) : zone.name, offset: zone.offset});
  }
  // A clock time as the house's clock shows it, whatever zone the browser is in.
  function clock(ms, zoneName) {
    const options = {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false};
    try { options.timeZone = zoneName; return new Date(ms).toLocaleTimeString(
      lang() === "vi" ? "vi-VN" : "en-GB", options); } catch (e) { delete options.timeZone; }
    return new Date(ms).toLocaleTimeString(lang() === "vi" ? "vi-VN" : "en-GB", options);
  }
  return {t: t, has: has, dur: dur, ago: ago, reason: reason, zoneLabel: zoneLabel, clock: clock};
};
