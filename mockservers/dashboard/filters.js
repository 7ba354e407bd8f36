// The journal's typed filters: each takes a list, comma-separated ("200,204", "4xx, 503",
// "login, importCli", "101, er.ir.exists"), matched without regard to case; an empty one
// matches everything.

// "4XX, 503," -> ["4xx", "503"]
export function terms(text) {
  return text
    .split(",")
    .map((term) => term.trim().toLowerCase())
    .filter(Boolean);
}

// "401" matches 401, "4xx" every 4xx.
export function statusMatches(wanted, status) {
  const code = String(status);
  return (
    !wanted.length ||
    wanted.some((term) => (/^\dxx$/.test(term) ? code[0] === term[0] : code === term))
  );
}

// One of `values` (an entry's operation, its codes) is one of the terms.
export function anyMatches(wanted, values) {
  return !wanted.length || values.some((value) => wanted.includes(String(value).toLowerCase()));
}

// The operation the kit is asked for (it then finds older calls too, beyond those the page
// reads): one term that is an operation of the chosen vendors, as the catalogue spells it.
// Anything else the page matches itself: several terms, and a term that is none of their
// operations ("log" on the way to "login"), which the kit would refuse with a 400.
export function kitOperation(wanted, operations) {
  if (wanted.length !== 1) return "";
  return operations.find((name) => name.toLowerCase() === wanted[0]) || "";
}
