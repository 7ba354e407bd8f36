// The vendor's own codes in an answer, for the journal's "error code" filter and column: the
// kit reads them (a vendor's answer_codes) and lists each entry with them, as `codes`, in place
// of its bodies (GET /requests?bodies=false).

export function answerCodes(entry) {
  return Array.isArray(entry.codes) ? entry.codes.map(String) : [];
}

// The codes that say "done" rather than "refused": QuoParts answers errorCode 0 on success and
// KeepIT repeats 200/204 in its body; XTRA and TS Digital carry a code only when they refuse.
const SUCCESS = { quoparts: ["0"], keepit: ["200", "204"] };

export function isRefusal(vendor, code) {
  return !(SUCCESS[vendor] || []).includes(code);
}
