// Pure text formatting for the widget: bot text in, a small block structure out.
// Nothing here touches the DOM, so the widget can only ever put these strings
// into text nodes (never innerHTML), and node's test runner can check it.

// "1. …", "2、…", "3) …" — the assistant's numbered steps.
const ORDERED_ITEM = /^\s*(\d{1,2})[.．、)）]\s*(.+)$/;
// "· …", "• …", "- …" — the assistant's bullet lines (hotline lists).
const BULLET_ITEM = /^\s*(?:[·•・]\s*|[-*]\s+)(.+)$/;

// Chinese service and personal phone numbers, recognised by shape, not by a list:
//   400/800 numbers (400-606-5500, 4006065500), landlines with area code (010-12345678),
//   mobiles (13812345678), 5–6 digit service numbers starting 95/96/12 (95188, 95017,
//   96110, 12315, 12363, 12348) and the 3-digit emergency numbers (110, 119, 120, 122).
// Not preceded by a digit/letter/dot/dash, not followed by one or by a unit
// (元, 天, % …), so amounts, dates and times stay plain text.
const PHONE = new RegExp(
  "(?<![\\w.\\-/])" +
    "(" +
    "[48]00[- ]?\\d{3}[- ]?\\d{4}" +
    "|0\\d{2,3}-\\d{7,8}" +
    "|1[3-9]\\d{9}" +
    "|(?:95|96|12)\\d{3,4}" +
    "|1(?:1[09]|2[02])" +
    ")" +
    "(?![\\w\\-/]|[.．]\\d|\\s*(?:元|块|%|％|天|小时|分钟|秒|个|笔|次|年|月|日|号|万|千|百|岁|人|条|件|页))",
  "g",
);

/** Split one line into text and phone-number segments: [{text}, {text, tel}]. */
export function linkPhones(line) {
  const segments = [];
  let last = 0;
  for (const match of line.matchAll(PHONE)) {
    if (match.index > last) segments.push({ text: line.slice(last, match.index) });
    segments.push({ text: match[0], tel: match[0].replace(/\D/g, "") });
    last = match.index + match[0].length;
  }
  if (last < line.length) segments.push({ text: line.slice(last) });
  return segments;
}

/**
 * Bot text → blocks:
 *   {kind: "paragraph", lines: [segments]}
 *   {kind: "ordered", start: n, items: [segments]}
 *   {kind: "bullets", items: [segments]}
 */
export function formatText(text) {
  const blocks = [];
  let current = null;
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  for (const line of lines) {
    const ordered = ORDERED_ITEM.exec(line);
    const bullet = ordered ? null : BULLET_ITEM.exec(line);
    if (ordered) {
      if (!current || current.kind !== "ordered") {
        current = { kind: "ordered", start: Number(ordered[1]), items: [] };
        blocks.push(current);
      }
      current.items.push(linkPhones(ordered[2]));
    } else if (bullet) {
      if (!current || current.kind !== "bullets") {
        current = { kind: "bullets", items: [] };
        blocks.push(current);
      }
      current.items.push(linkPhones(bullet[1]));
    } else if (line.trim() === "") {
      current = null;
    } else {
      if (!current || current.kind !== "paragraph") {
        current = { kind: "paragraph", lines: [] };
        blocks.push(current);
      }
      current.lines.push(linkPhones(line));
    }
  }
  return blocks;
}
