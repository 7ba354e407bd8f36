// The vendors `mockservers proxy` forwards to their upstream, read once in GET /__admin/health
// (the kit's set-up, not its state): the real vendor answers their calls, so the proxy's own
// fake of each sits idle (no coverage, its own fixtures, no fault reaches the calls). The
// page's lists of vendors mark them "(forwarded)", and Coverage says they have none.

import { call } from "./api.js";

let names = null;

// Read once, in the poll's first answered round, before any panel draws.
export async function read() {
  if (names) return;
  const health = await call("GET", "/health");
  names = new Set(health.forwarded || []);
}

export function isForwarded(name) {
  return Boolean(names && names.has(name));
}

// A vendor's title as the page's lists show it.
export function titled(vendor) {
  return isForwarded(vendor.name) ? `${vendor.title} (forwarded)` : vendor.title;
}

// The options of a list of the catalogue's vendors, each forwarded one marked (the text set only
// when it changes: an open list is left alone).
export function mark(select, catalogue) {
  for (const option of select.options) {
    const vendor = catalogue.find((v) => v.name === option.value);
    if (vendor && option.textContent !== titled(vendor)) option.textContent = titled(vendor);
  }
}
