// 钱包投诉助手 chat widget.
//
// Embed on any page:
//   <div id="wallet-chat" data-server="https://bot.example.com"></div>
//   <script src="https://bot.example.com/widget/wallet-chat.js" defer></script>
//
// It talks to Rasa's socket.io channel (bot.channels.socketio.SocketIOInput) at
// data-server (+ data-socket-path, default /socket.io). Its stylesheet is loaded
// from next to this script. Every bot and user string goes into the page as a
// text node: nothing here assigns innerHTML. What it keeps in localStorage is masked
// (mask.js), and all of it goes when the user deletes their records (删除我的记录).

import { io } from "socket.io-client";

import { formatText } from "./format.js";
import { ERASED_KEYS, signalsRecordsDeleted, storedHistory } from "./mask.js";

const MAX_MESSAGE_CHARS = 1000;
const HISTORY_LIMIT = 200;
const TYPING_QUIET_MS = 1500;
const TYPING_GIVE_UP_MS = 60000;
const STORE_PREFIX = "wallet-chat:";

const TEXT = {
  title: "钱包投诉助手",
  subtitle: "充值失败 · 盗刷被骗 · 客服不处理",
  launcher: "在线咨询",
  close: "收起",
  newChat: "新对话",
  placeholder: "说说你遇到的问题…",
  send: "发送",
  typing: "助手正在输入",
  welcome: "你好！我是钱包投诉助手。钱包遇到问题可以直接告诉我，例如：“我的微信零钱被盗刷了”。",
  connecting: "正在连接助手…",
  offline: "暂时连不上助手，正在重试…",
  tooLong: `消息太长了，请控制在 ${MAX_MESSAGE_CHARS} 字以内。`,
  slow: "助手回复较慢，请稍候；也可以直接拨打上面提到的客服热线。",
  newChatConfirm: "开始新对话会清空这里的聊天记录，确定吗？",
};

// Captured while this script runs: later, document.currentScript is another script or null.
const SCRIPT_URL = document.currentScript ? document.currentScript.src : "";

/** Small key-value store on localStorage that degrades to memory (private mode, blocked storage). */
function makeStore() {
  const memory = new Map();
  const storage = (() => {
    try {
      const probe = `${STORE_PREFIX}probe`;
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch {
      return null;
    }
  })();
  return {
    get(key) {
      const value = storage ? storage.getItem(STORE_PREFIX + key) : memory.get(key);
      return value ?? null;
    },
    set(key, value) {
      if (storage) {
        try {
          storage.setItem(STORE_PREFIX + key, value);
          return;
        } catch {
          // Quota exceeded: keep going in memory.
        }
      }
      memory.set(key, value);
    },
    remove(key) {
      if (storage) storage.removeItem(STORE_PREFIX + key);
      memory.delete(key);
    },
  };
}

/** 128 random bits as 32 hex characters, from the browser's CSPRNG. */
export function newSessionId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** document.createElement with a class and optional text (always as a text node). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Segments from format.js → text nodes and tel: links. */
function appendSegments(parent, segments) {
  for (const segment of segments) {
    if (segment.tel) {
      const link = el("a", "wc-tel", segment.text);
      link.href = `tel:${segment.tel}`;
      parent.appendChild(link);
    } else {
      parent.appendChild(document.createTextNode(segment.text));
    }
  }
}

/** Blocks from format.js → <p>, <ol>, <ul>. */
function renderBlocks(parent, text) {
  for (const block of formatText(text)) {
    if (block.kind === "paragraph") {
      const p = el("p");
      block.lines.forEach((line, index) => {
        if (index > 0) p.appendChild(el("br"));
        appendSegments(p, line);
      });
      parent.appendChild(p);
    } else {
      const list = el(block.kind === "ordered" ? "ol" : "ul");
      if (block.kind === "ordered" && block.start !== 1) list.start = block.start;
      for (const item of block.items) {
        const li = el("li");
        appendSegments(li, item);
        list.appendChild(li);
      }
      parent.appendChild(list);
    }
  }
}

function loadStylesheet() {
  if (!SCRIPT_URL || document.querySelector("link[data-wallet-chat-css]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("wallet-chat.css", SCRIPT_URL).href;
  link.dataset.walletChatCss = "";
  document.head.appendChild(link);
}

class WalletChat {
  constructor(root) {
    this.root = root;
    this.server = root.dataset.server || window.location.origin;
    this.socketPath = root.dataset.socketPath || "/socket.io";
    this.store = makeStore();
    this.sessionId = this.store.get("session");
    if (!/^[0-9a-f]{32}$/.test(this.sessionId || "")) this.resetSession();
    this.erased = false;
    this.history = this.loadHistory();
    // Rewrites a copy saved by an older version, which kept the raw text.
    if (this.history.length) this.saveHistory();
    this.pending = [];
    this.ready = false;
    this.rejections = 0;
    this.typingTimer = null;
    this.giveUpTimer = null;
    this.buildDom();
    this.renderHistory();
    this.setOpen(this.store.get("open") === "1" || root.dataset.open === "true", false);
    this.connect();
  }

  resetSession() {
    this.sessionId = newSessionId();
    this.store.set("session", this.sessionId);
    this.store.remove("history");
    this.history = [];
    this.erased = false;
  }

  loadHistory() {
    try {
      const saved = JSON.parse(this.store.get("history") || "null");
      if (saved && saved.session === this.sessionId && Array.isArray(saved.messages)) return saved.messages;
    } catch {
      // A damaged history is dropped; the conversation itself lives on the server.
    }
    return [];
  }

  saveHistory() {
    this.history = this.history.slice(-HISTORY_LIMIT);
    // After a deletion nothing is kept until the user starts the next conversation.
    if (this.erased) return;
    this.store.set("history", storedHistory(this.sessionId, this.history));
  }

  /** The server deleted this conversation (删除我的记录): forget the local copy and the session id too. */
  forgetLocalCopy() {
    for (const key of ERASED_KEYS) this.store.remove(key);
    this.history = [];
    this.erased = true;
    this.renderHistory();
  }

  /** After a deletion, the next message starts a new session (the confirmation came on the old one). */
  leaveErasedSession() {
    if (!this.erased) return;
    this.erased = false;
    this.resetSession();
    this.requestSession();
  }

  buildDom() {
    this.root.classList.add("wc-root");
    this.root.replaceChildren();

    this.launcher = el("button", "wc-launcher", TEXT.launcher);
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.addEventListener("click", () => this.setOpen(true, true));

    this.panel = el("section", "wc-panel");
    this.panel.setAttribute("aria-label", TEXT.title);

    const header = el("header", "wc-header");
    const titles = el("div", "wc-titles");
    titles.append(el("strong", "wc-title", TEXT.title), el("span", "wc-subtitle", TEXT.subtitle));
    const newChat = el("button", "wc-header-button wc-new", TEXT.newChat);
    newChat.type = "button";
    newChat.addEventListener("click", () => this.startNewConversation());
    const close = el("button", "wc-header-button wc-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", TEXT.close);
    close.addEventListener("click", () => this.setOpen(false, false));
    header.append(titles, newChat, close);

    this.status = el("div", "wc-status");
    this.status.setAttribute("role", "status");

    this.log = el("div", "wc-log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-live", "polite");

    this.typing = el("div", "wc-typing");
    this.typing.setAttribute("aria-label", TEXT.typing);
    this.typing.append(el("span", "wc-dot"), el("span", "wc-dot"), el("span", "wc-dot"));
    this.typing.hidden = true;

    const form = el("form", "wc-form");
    this.input = el("textarea", "wc-input");
    this.input.rows = 1;
    this.input.maxLength = MAX_MESSAGE_CHARS;
    this.input.placeholder = TEXT.placeholder;
    this.input.setAttribute("aria-label", TEXT.placeholder);
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    const send = el("button", "wc-send", TEXT.send);
    send.type = "submit";
    form.append(this.input, send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendTyped();
    });

    this.panel.append(header, this.status, this.log, form);
    this.root.append(this.launcher, this.panel);
  }

  setOpen(open, focus) {
    this.root.classList.toggle("wc-open", open);
    this.launcher.setAttribute("aria-expanded", String(open));
    this.store.set("open", open ? "1" : "0");
    if (open) {
      this.scrollToEnd();
      // Only when the user opened it: on page load, focusing would pop up a phone's keyboard.
      if (focus) this.input.focus();
    }
  }

  setStatus(text) {
    this.status.textContent = text || "";
    this.status.hidden = !text;
  }

  connect() {
    this.setStatus(TEXT.connecting);
    this.socket = io(this.server, { path: this.socketPath, reconnectionDelayMax: 10000 });
    this.socket.on("connect", () => this.requestSession());
    this.socket.on("session_confirm", (id) => this.onSessionConfirmed(id));
    this.socket.on("session_rejected", () => {
      // The server refused our id (e.g. one stored by an old version): start afresh, but not forever.
      this.rejections += 1;
      if (this.rejections > 2) {
        this.setStatus(TEXT.offline);
        return;
      }
      this.resetSession();
      this.renderHistory();
      this.requestSession();
    });
    this.socket.on("bot_uttered", (message) => this.onBotMessage(message));
    this.socket.on("disconnect", () => {
      this.ready = false;
      this.setStatus(TEXT.offline);
    });
    this.socket.on("connect_error", () => this.setStatus(TEXT.offline));
  }

  requestSession() {
    this.ready = false;
    this.socket.emit("session_request", { session_id: this.sessionId });
  }

  onSessionConfirmed(id) {
    if (id !== this.sessionId) return;
    this.ready = true;
    this.rejections = 0;
    this.setStatus("");
    for (const message of this.pending.splice(0)) this.emitMessage(message);
  }

  emitMessage(message) {
    if (!this.ready) {
      this.pending.push(message);
      return;
    }
    this.socket.emit("user_uttered", { message, session_id: this.sessionId });
  }

  sendTyped() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > MAX_MESSAGE_CHARS) {
      this.setStatus(TEXT.tooLong);
      return;
    }
    this.input.value = "";
    this.leaveErasedSession();
    this.addMessage({ from: "user", text });
    this.emitMessage(text);
    this.showTyping();
  }

  chooseButton(entry, button) {
    entry.used = true;
    this.leaveErasedSession();
    this.addMessage({ from: "user", text: button.title });
    this.emitMessage(button.payload);
    this.showTyping();
    this.renderHistory();
  }

  onBotMessage(message) {
    if (!message || typeof message !== "object") return;
    if (signalsRecordsDeleted(message)) {
      this.forgetLocalCopy();
      return;
    }
    const entry = { from: "bot", text: typeof message.text === "string" ? message.text : "" };
    if (Array.isArray(message.quick_replies) && message.quick_replies.length) {
      entry.buttons = message.quick_replies
        .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
        .map((b) => ({ title: b.title, payload: b.payload }));
    }
    const image = message.attachment && message.attachment.payload && message.attachment.payload.src;
    if (typeof image === "string" && /^https?:\/\//i.test(image)) entry.image = image;
    if (!entry.text && !entry.buttons && !entry.image) return;
    this.addMessage(entry);
    // More parts of the same answer usually follow; keep the dots until it goes quiet.
    this.showTyping(TYPING_QUIET_MS);
  }

  showTyping(quietMs) {
    this.typing.hidden = false;
    this.log.appendChild(this.typing);
    this.scrollToEnd();
    clearTimeout(this.typingTimer);
    clearTimeout(this.giveUpTimer);
    if (quietMs) {
      this.typingTimer = setTimeout(() => this.hideTyping(), quietMs);
    } else {
      this.giveUpTimer = setTimeout(() => {
        this.hideTyping();
        this.setStatus(TEXT.slow);
      }, TYPING_GIVE_UP_MS);
    }
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    clearTimeout(this.giveUpTimer);
    this.typing.hidden = true;
  }

  addMessage(entry) {
    // Once the user has said something, earlier questions' buttons are answered.
    if (entry.from === "user") for (const chip of this.log.querySelectorAll(".wc-chip")) chip.disabled = true;
    this.history.push(entry);
    this.saveHistory();
    this.log.insertBefore(this.renderEntry(entry, this.history.length - 1), this.typing.parentNode ? this.typing : null);
    this.scrollToEnd();
  }

  renderHistory() {
    this.log.replaceChildren(this.renderEntry({ from: "bot", text: TEXT.welcome }, -1));
    this.history.forEach((entry, index) => this.log.appendChild(this.renderEntry(entry, index)));
    if (!this.typing.hidden) this.log.appendChild(this.typing);
    this.scrollToEnd();
  }

  renderEntry(entry, index) {
    const bubble = el("div", `wc-msg ${entry.from === "user" ? "wc-user" : "wc-bot"}`);
    if (entry.from === "user") {
      bubble.textContent = entry.text;
    } else {
      renderBlocks(bubble, entry.text);
    }
    if (typeof entry.image === "string" && /^https?:\/\//i.test(entry.image)) {
      const img = el("img", "wc-image");
      img.src = entry.image;
      img.alt = "";
      bubble.appendChild(img);
    }
    if (entry.buttons && entry.buttons.length) {
      const chips = el("div", "wc-chips");
      // Buttons stay clickable until the user answers (by button or by typing).
      const active = index >= 0 && !entry.used && !this.history.slice(index + 1).some((e) => e.from === "user");
      for (const button of entry.buttons) {
        const chip = el("button", "wc-chip", button.title);
        chip.type = "button";
        chip.disabled = !active;
        chip.addEventListener("click", () => this.chooseButton(entry, button));
        chips.appendChild(chip);
      }
      bubble.appendChild(chips);
    }
    return bubble;
  }

  startNewConversation() {
    if (this.history.length && !window.confirm(TEXT.newChatConfirm)) return;
    this.resetSession();
    this.hideTyping();
    this.renderHistory();
    this.requestSession();
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}

function mount() {
  loadStylesheet();
  for (const root of document.querySelectorAll("#wallet-chat, [data-wallet-chat]")) {
    if (!root.walletChat) root.walletChat = new WalletChat(root);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mount);
} else {
  mount();
}
