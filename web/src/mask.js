// Masking for the widget's local copy of a conversation (localStorage), so a shared or
// lost computer does not keep card numbers, ID numbers, codes or passwords in plain text.
// The server masks authoritatively (assistant_core/masking.py); these are the same rules
// at a simpler level, erring towards masking: a masked order number in the local history
// costs little, the real one is in the conversation on the server.

// Runs of digits joined by one kind of separator (one or two spaces, a dot or a hyphen); an X may end one.
const CHUNK = /(?<![0-9])\d+(?:(?:[ \u3000\u00a0]{1,2}|[.-])\d+)*(?:[Xx](?![0-9A-Za-z]))?/g;
const CARD_CUE = /(?:卡号|银行卡|信用卡|储蓄卡|借记卡|card)[^0-9]{0,6}$/i;
const ID_CUE = /(?:身份证|证件号)[^0-9]{0,6}$/;
const ORDER_CUE = /(?:订单|单号|工单|编号|交易号|流水号|交易单|商户单|批次号|快递|运单|order|ticket)[^0-9]{0,6}$/i;
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[47]|35|3[0689]|5[06-8]|6|9)/;
const PROVINCES = new Set(
  "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split(" "),
);

const CODE_WORD = "(?:验证码|校验码|动态码|短信码|(?<![A-Za-z])code(?![A-Za-z]))";
const UNITS = "元|块|角|毛|万|千|百|次|个|条|分钟|秒|年|月|日|号|点|时|天|位|人|%|％|[.．:：]\\d|rmb";
const NOT_A_CODE_AFTER = `(?![0-9])(?!\\s*(?:${UNITS}))`;
const CODE_AFTER = new RegExp(`(${CODE_WORD})([^0-9\\n]{0,10}?)(?<![0-9.*])(\\d{4,8})${NOT_A_CODE_AFTER}`, "gi");
const CODE_BEFORE = new RegExp(`(?<![0-9.\\-*])(\\d{4,8})${NOT_A_CODE_AFTER}([^0-9\\n]{0,10}?)(${CODE_WORD})`, "gi");
const OTHER_LABEL = /订单|单号|工单|编号|流水|交易号|电话|手机|尾号|卡号|金额|客服|热线|号码|身份证/;
const SECRET = "([!-~]+)(?![!-~])(?!\\s*(?:位|次|遍|个))";
const PASSWORDS = [
  new RegExp(`(密码)(\\s*(?:就是|也是|是|为|[:：=])?\\s*)${SECRET}`, "g"),
  new RegExp(`((?<![A-Za-z])(?:password|passwd|pwd))(\\s*[:：=]\\s*|\\s+is\\s+)${SECRET}`, "gi"),
];
const MOBILE = /(?<![0-9])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9])/g;
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

function luhnOk(digits) {
  let total = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let value = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) value = value > 4 ? value * 2 - 9 : value * 2;
    total += value;
  }
  return total % 10 === 0;
}

function realDate(year, month, day) {
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1900 && year <= 2099 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** 18 characters (or 15 digits) with a province code and a real birth date; the check character is not needed. */
function isIdNumber(chars) {
  const value = chars.toUpperCase();
  if (!PROVINCES.has(value.slice(0, 2))) return false;
  if (/^\d{17}[\dX]$/.test(value)) return realDate(+value.slice(6, 10), +value.slice(10, 12), +value.slice(12, 14));
  if (/^\d{15}$/.test(value)) return realDate(1900 + +value.slice(6, 8), +value.slice(8, 10), +value.slice(10, 12));
  return false;
}

function isCard(digits, cued) {
  if (!/^\d{13,19}$/.test(digits)) return false;
  return cued || (CARD_PREFIX.test(digits) && luhnOk(digits));
}

/** Keep the first and last four digits: 6222 **** **** 0128. */
function maskDigits(value) {
  const total = (value.match(/[0-9Xx]/g) || []).length;
  let seen = 0;
  return value.replace(/[0-9Xx]/g, (c) => {
    seen += 1;
    return seen <= 4 || seen > total - 4 ? c : "*";
  });
}

function maskNumbers(text) {
  return text.replace(CHUNK, (value, offset) => {
    const before = text.slice(Math.max(0, offset - 12), offset);
    if (ORDER_CUE.test(before)) return value;
    const chars = value.replace(/[^0-9Xx]/g, "");
    if (chars.length < 13 || chars.length > 19) return value;
    if (isIdNumber(chars) || (ID_CUE.test(before) && /^\d{17}[\dXx]$/.test(chars))) return maskDigits(value);
    return isCard(chars, CARD_CUE.test(before)) ? maskDigits(value) : value;
  });
}

function maskCodes(text) {
  const after = text.replace(CODE_AFTER, (whole, word, between, code) =>
    OTHER_LABEL.test(between) ? whole : word + between + "*".repeat(code.length),
  );
  return after.replace(CODE_BEFORE, (whole, code, between, word) =>
    OTHER_LABEL.test(between) ? whole : "*".repeat(code.length) + between + word,
  );
}

function maskPasswords(text) {
  let out = text;
  for (const pattern of PASSWORDS) {
    out = out.replace(pattern, (whole, word, between, token) => {
      const secret = token.replace(/[.,;:!?)\]}'"]+$/, "");
      if (!secret || /^\*+$/.test(secret)) return whole;
      return word + between + "***" + token.slice(secret.length);
    });
  }
  return out;
}

function maskMobile(value) {
  const at = [];
  for (let i = 0; i < value.length; i += 1) if (/\d/.test(value[i])) at.push(i);
  const hidden = new Set(at.slice(-8, -4));
  return Array.from(value, (c, i) => (hidden.has(i) ? "*" : c)).join("");
}

function maskEmail(value) {
  const at = value.indexOf("@");
  return `${value.slice(0, 1)}***${value.slice(at)}`;
}

/** Text as the widget may keep it in the browser: cards, ID numbers, codes, passwords, mobiles, e-mails masked. */
export function maskForStorage(text) {
  if (typeof text !== "string" || !text) return text;
  const contacts = text.replace(MOBILE, maskMobile).replace(EMAIL, maskEmail);
  return maskPasswords(maskCodes(maskNumbers(contacts)));
}

/** What the widget writes under its "history" key: the session and its messages, their text masked. */
export function storedHistory(sessionId, history) {
  const messages = history.map((entry) => ({ ...entry, text: maskForStorage(entry.text) }));
  return JSON.stringify({ session: sessionId, messages });
}

/** The keys the widget clears when the user's records are deleted: the conversation and its session id. */
export const ERASED_KEYS = ["history", "session"];

/** Whether a bot_uttered payload is the server's "records deleted" signal (actions/privacy_actions.py). */
export function signalsRecordsDeleted(message) {
  if (!message || typeof message !== "object") return false;
  return message.records_deleted === true || (!!message.custom && message.custom.records_deleted === true);
}
