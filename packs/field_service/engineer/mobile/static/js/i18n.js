/**
 * Words and times: every visible string comes from the dictionary the shell page carries
 * (static/texts.json, in the user's language); times are shown in the user's time zone.
 */

const words = JSON.parse(document.getElementById("m-texts").textContent);
export const lang = document.body.dataset.lang || "en";
let zone = "UTC";

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** A label that may be `"text"` or `{"en": …, "zh-CN": …}`. */
export function label(value) {
  if (value == null) {
    return "";
  }
  if (typeof value === "string") {
    return value;
  }
  return value[lang] || value.en || Object.values(value)[0] || "";
}

/** Use this IANA time zone for every time shown (the user's profile). */
export function setZone(name) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    zone = name;
  } catch (error) {
    zone = "UTC";
  }
}

function formatter(options) {
  return new Intl.DateTimeFormat(lang, { timeZone: zone, ...options });
}

/** "09:30" in the user's zone. */
export function time(iso) {
  return iso ? formatter({ hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso)) : "";
}

/** "Tue 24 Nov" / "11月24日周二" for a YYYY-MM-DD day. */
export function dayName(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(lang, {
    timeZone: "UTC", weekday: "short", month: "short", day: "numeric",
  }).format(new Date(Date.UTC(y, m - 1, d, 12)));
}

/** Date and time, short, in the user's zone. */
export function dateTime(iso) {
  return iso ? formatter({ month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso)) : "";
}

/** A number of minutes as "1 h 20 min" / "1小时20分钟". */
export function duration(minutes) {
  const whole = Math.max(0, Math.round(minutes));
  const h = Math.floor(whole / 60);
  const m = whole % 60;
  return h ? t("duration_hm", { h, m }) : t("duration_m", { m });
}

/** A distance in metres as "350 m" or "2.4 km". */
export function distance(metres) {
  if (metres == null) {
    return "";
  }
  return metres < 1000 ? t("metres", { n: Math.round(metres) }) : t("kilometres", { n: (metres / 1000).toFixed(1) });
}

function parts(instant) {
  const values = {};
  for (const part of new Intl.DateTimeFormat("en-US", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(instant)) {
    values[part.type] = part.value;
  }
  return values;
}

/** The YYYY-MM-DD day of an instant in the user's zone. */
export function dayOf(instant) {
  const p = parts(new Date(instant));
  return `${p.year}-${p.month}-${p.day}`;
}

/** Today in the user's zone. */
export function today() {
  return dayOf(Date.now());
}

/** The day `n` days after `day`. */
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

function offsetAt(ms) {
  const p = parts(new Date(ms));
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant (ISO, UTC) a day starts in the user's zone. */
export function dayStart(day) {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d);
  let start = guess - offsetAt(guess);
  start = guess - offsetAt(start);
  return new Date(start).toISOString();
}
