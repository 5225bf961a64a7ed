// Unit tests of the widget's text formatting: `npm test` (node's own test runner).
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatText, linkPhones } from "../src/format.js";

const tels = (line) => linkPhones(line).filter((s) => s.tel).map((s) => s.tel);

test("hotlines of every shape become tel: links", () => {
  assert.deepEqual(tels("微信支付客服热线：95017"), ["95017"]);
  assert.deepEqual(tels("支付宝 95188，京东 400-606-5500，Apple 400-666-8800"), ["95188", "4006065500", "4006668800"]);
  assert.deepEqual(tels("拨打12315或12363，紧急情况打110，反诈96110，法律咨询12348。"), [
    "12315",
    "12363",
    "110",
    "96110",
    "12348",
  ]);
  assert.deepEqual(tels("银行 010-12345678，手机 13812345678"), ["01012345678", "13812345678"]);
});

test("amounts, dates, durations and list numbers stay text", () => {
  assert.deepEqual(tels("被刷了 120 元，等 15 天，第 3 步（共 5 步），2024.12.15 下午"), []);
  assert.deepEqual(tels("金额 12000元、95017.5、订单号 A12315X、1234567890123"), []);
});

test("the phone number text itself is kept, only the href is digits", () => {
  assert.deepEqual(linkPhones("热线 400-606-5500 转人工"), [
    { text: "热线 " },
    { text: "400-606-5500", tel: "4006065500" },
    { text: " 转人工" },
  ]);
});

test("numbered lines become one ordered list, bullets a list, the rest paragraphs", () => {
  const blocks = formatText("⚠️ 请马上做这几件事：\n1. 冻结账户\n2. 拨打95017\n\n· 支付宝：95188\n· 微信支付：95017\n结尾");
  assert.deepEqual(
    blocks.map((b) => b.kind),
    ["paragraph", "ordered", "bullets", "paragraph"],
  );
  assert.equal(blocks[1].start, 1);
  assert.equal(blocks[1].items.length, 2);
  assert.deepEqual(blocks[1].items[1], [{ text: "拨打" }, { text: "95017", tel: "95017" }]);
});

test("markup in bot text is returned as plain text for text nodes", () => {
  const [block] = formatText('<img src=x onerror="alert(1)">');
  assert.equal(block.lines[0][0].text, '<img src=x onerror="alert(1)">');
});
