// The vendor's own codes in an answer, for the journal's "error code" filter and column.
//
// A journal entry may carry them as `codes` (the kit's answer_codes); where it does not, they
// are read here from the answer shapes each vendor documents.

const READERS = {
  // The envelope's errorCode, then each row's (importCli answers one row per customer).
  quoparts: (answer) => [answer.errorCode, ...list(answer.data).map((row) => row && row.errorCode)],
  // The envelope's errorCode, then each record's Item4.Code.
  xtra: (answer) => [
    answer.errorCode,
    ...list(answer.result && answer.result.records).map((r) => r && r.Item4 && r.Item4.Code),
  ],
  // The answer's code (200, 204, 206, 400, 401, 422, 429, 500).
  keepit: (answer) => [answer.code],
  // The error body's code (the HTTP status as text); a 202 has none.
  tsdigital: (answer) => [answer.code],
};

function list(value) {
  return Array.isArray(value) ? value : [];
}

export function answerCodes(entry) {
  if (Array.isArray(entry.codes)) return entry.codes.map(String);
  const answer = entry.response;
  const read = READERS[entry.vendor];
  if (!read || !answer || typeof answer !== "object" || Array.isArray(answer)) return [];
  // As the kit's code_list: absent codes left out, each once, as text, in order.
  const found = read(answer).filter((code) => code !== null && code !== undefined);
  return [...new Set(found.map(String))];
}

// The codes that say "done" rather than "refused": QuoParts answers errorCode 0 on success and
// KeepIT repeats 200/204 in its body; XTRA and TS Digital carry a code only when they refuse.
const SUCCESS = { quoparts: ["0"], keepit: ["200", "204"] };

export function isRefusal(vendor, code) {
  return !(SUCCESS[vendor] || []).includes(code);
}
