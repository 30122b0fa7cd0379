/**
 * The phone's position, distances, and links that open a navigation app.
 *
 * Positions are WGS-84 (what GPS gives and what check-ins compare with the site), so the
 * Chinese map links say so (高德 `coordinate=wgs84`, 百度 `coord_type=wgs84`) and those apps
 * convert to their own coordinate systems.
 */

const EARTH_RADIUS_M = 6371008.8;

/** Why no position could be had: `code` is "denied", "unavailable", "timeout" or "unsupported". */
export class GeoError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const CODES = { 1: "denied", 2: "unavailable", 3: "timeout" };

/** A fresh fix from the phone (or one at most `maximumAge` ms old): {lat, lng, accuracy (m),
 * speed (km/h or null), at (ISO)}. */
export function fix({ timeout = 15000, maximumAge = 0 } = {}) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new GeoError("unsupported", "no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (position) => resolve(fromPosition(position)),
      (error) => reject(new GeoError(CODES[error.code] || "unavailable", error.message)),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}

/** A Geolocation API position as a fix. */
export function fromPosition(position) {
  const c = position.coords;
  return {
    lat: Math.round(c.latitude * 1e6) / 1e6,
    lng: Math.round(c.longitude * 1e6) / 1e6,
    accuracy: Math.round((c.accuracy || 0) * 10) / 10,
    speed: c.speed == null || c.speed < 0 ? null : Math.round(c.speed * 36) / 10,
    at: new Date(position.timestamp || Date.now()).toISOString(),
  };
}

/** Great-circle distance in metres between two {lat, lng} (null when one is missing). */
export function distanceM(a, b) {
  if (!a || !b || a.lat == null || b.lat == null) {
    return null;
  }
  const rad = (deg) => (deg * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Links that navigate to `point` in the phone's map apps: [{app, href}]. */
export function mapLinks(point, name = "") {
  const { lat, lng } = point;
  const title = encodeURIComponent(name || `${lat},${lng}`);
  return [
    { app: "geo", href: `geo:${lat},${lng}?q=${lat},${lng}(${title})` },
    { app: "amap", href: `https://uri.amap.com/marker?position=${lng},${lat}&name=${title}&coordinate=wgs84&callnative=1` },
    { app: "baidu", href: `https://api.map.baidu.com/marker?location=${lat},${lng}&title=${title}&content=${title}&output=html&coord_type=wgs84&src=plinth.engineer-app` },
    { app: "apple", href: `https://maps.apple.com/?daddr=${lat},${lng}` },
    { app: "google", href: `https://www.google.com/maps/dir/?api=1&destination=${lat},${lng}` },
  ];
}
