// What the widget keeps in localStorage: masked text, and nothing after 删除我的记录. `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ERASED_KEYS, maskForStorage, signalsRecordsDeleted, storedHistory } from "../src/mask.js";

test("card numbers with any separator keep only their first and last four digits", () => {
  assert.equal(maskForStorage("卡号 6222 0212 3456 7890 128"), "卡号 6222 **** **** ***0 128");
  assert.equal(maskForStorage("被盗刷的卡4111111111111111"), "被盗刷的卡4111********1111");
  assert.equal(maskForStorage("银行卡6222-0212-3456-7890"), "银行卡6222-****-****-7890");
  assert.equal(maskForStorage("卡 4111.1111.1111.1111 被扣款"), "卡 4111.****.****.1111 被扣款");
});

test("ID numbers, codes, passwords, mobiles and e-mails are masked", () => {
  assert.equal(maskForStorage("身份证110101199003074514"), "身份证1101**********4514");
  assert.equal(maskForStorage("验证码是 482913，我给了对方"), "验证码是 ******，我给了对方");
  assert.equal(maskForStorage("对方让我报 482913 这个验证码"), "对方让我报 ****** 这个验证码");
  assert.equal(maskForStorage("支付密码是abc123。"), "支付密码是***。");
  assert.equal(maskForStorage("我的手机 13812345678"), "我的手机 138****5678");
  assert.equal(maskForStorage("邮箱 zhang.san@example.com"), "邮箱 z***@example.com");
});

test("order numbers, amounts, dates and hotlines stay as they are", () => {
  for (const text of [
    "订单号2026112512345678901充值没到账",
    "被刷了 12000 元，验证码发了 3 次",
    "2024.11.03 转账失败，工单 T20241118007",
    "支付宝客服 95188，京东 400-606-5500",
  ]) {
    assert.equal(maskForStorage(text), text);
  }
});

test("the stored history is masked, the session kept, the entries' other fields intact", () => {
  const history = [
    { from: "user", text: "卡号6222021234567890128被盗刷" },
    { from: "bot", text: "请拨打95588", buttons: [{ title: "下一步", payload: "/next" }] },
  ];
  const saved = JSON.parse(storedHistory("ab".repeat(16), history));
  assert.equal(saved.session, "ab".repeat(16));
  assert.ok(!JSON.stringify(saved).includes("6222021234567890128"));
  assert.equal(saved.messages[0].text, "卡号6222***********0128被盗刷");
  assert.deepEqual(saved.messages[1], history[1]);
  assert.equal(history[0].text, "卡号6222021234567890128被盗刷"); // the page itself still shows what was typed
});

test("the server's deletion signal is recognised and clears the history and the session id", () => {
  assert.ok(signalsRecordsDeleted({ records_deleted: true }));
  assert.ok(signalsRecordsDeleted({ custom: { records_deleted: true } }));
  assert.ok(!signalsRecordsDeleted({ text: "已删除你的聊天记录和案件档案 ✅" }));
  assert.ok(!signalsRecordsDeleted({ records_deleted: "true" }));
  assert.ok(!signalsRecordsDeleted(null));
  assert.deepEqual([...ERASED_KEYS].sort(), ["history", "session"]);
});
