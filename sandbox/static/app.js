/* The sandbox workspace page: polls /api/state, renders conversations, threads, the Home tab and
 * modals, and sends what the person does to the sandbox's JSON API (which signs it for the app). */
(function () {
  "use strict";

  const POLL_MS = 700;
  const $ = (id) => document.getElementById(id);

  const page = {
    workspace: null,
    user: null,
    place: "team", // "team", "leads", "dm" or "home"
    thread: null, // ts of the open thread's parent
    state: null,
    version: null,
    seen: {}, // `${user}:${channel}` -> how many messages the person has seen there
    modalSignature: null,
    pollTimer: null,
    sending: false,
  };

  /* --------------------------------------------------------------------------------- helpers */

  function say(text) {
    const status = $("status");
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 50);
  }

  function showAlert(text) {
    const alert = $("alert");
    alert.textContent = text;
    alert.hidden = false;
    window.clearTimeout(showAlert.timer);
    showAlert.timer = window.setTimeout(() => {
      alert.hidden = true;
    }, 8000);
  }

  async function api(path, body) {
    const options = body === undefined
      ? { method: "GET" }
      : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    let response;
    try {
      response = await fetch(path, options);
    } catch (failure) {
      throw new Error("The sandbox is not answering. Is `playbook-bot sandbox` still running?");
    }
    const data = await response.json().catch(() => ({ ok: false, error: "The sandbox sent an unreadable answer." }));
    if (!data.ok) throw new Error(data.error || "That did not work.");
    return data;
  }

  function conversation(kind) {
    return page.workspace.conversations[page.user].find((c) =>
      kind === "dm" ? c.kind === "dm" : c.kind === "channel" && c.name === kind
    );
  }

  function currentChannel() {
    return page.place === "home" ? null : conversation(page.place);
  }

  function conversationTitle(c) {
    return c.kind === "dm" ? `${c.name} (direct message)` : `#${c.name}`;
  }

  function names() {
    const users = {};
    page.workspace.users.forEach((u) => {
      users[u.id] = u.name;
    });
    users[page.workspace.bot.id] = page.workspace.bot.name;
    return users;
  }

  function channelNames() {
    const channels = {};
    Object.values(page.workspace.conversations).forEach((list) =>
      list.forEach((c) => {
        if (c.kind === "channel") channels[c.id] = c.name;
      })
    );
    return channels;
  }

  function timeOf(ts) {
    const when = new Date(Number(ts) * 1000);
    return when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  }

  function kitContext(where) {
    const c = page.place === "home" ? null : currentChannel();
    return {
      users: names(),
      channels: channelNames(),
      currentChannel: c && c.kind === "channel" ? c.id : null,
      say,
      act: (element, blockId, value) => act(where, element, blockId, value),
    };
  }

  /* ------------------------------------------------------------------------------- rendering */

  function renderPeople() {
    const holder = $("people");
    holder.textContent = "";
    page.workspace.users.forEach((user) => {
      const id = `person-${user.id}`;
      const row = document.createElement("div");
      row.className = "person";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "person";
      radio.id = id;
      radio.value = user.id;
      radio.checked = user.id === page.user;
      radio.addEventListener("change", () => switchUser(user.id));
      const label = document.createElement("label");
      label.htmlFor = id;
      label.innerHTML = `${BlockKit.escapeHtml(user.name)} <span class="role">${BlockKit.escapeHtml(user.role)}</span>`;
      row.append(radio, label);
      holder.appendChild(row);
    });
  }

  function countFor(channelId) {
    const messages = (page.state && page.state.conversations[channelId]) || [];
    return messages.length;
  }

  function renderConversations() {
    const list = $("conversations");
    const places = ["team", "leads", "dm", "home"];
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.place
      : null;
    list.textContent = "";
    places.forEach((place) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "conversation";
      button.dataset.place = place;
      let label;
      let unread = 0;
      if (place === "home") {
        label = "Home (Playbook app)";
      } else {
        const c = conversation(place);
        label = conversationTitle(c);
        const key = `${page.user}:${c.id}`;
        if (page.place === place) page.seen[key] = countFor(c.id);
        unread = countFor(c.id) - (page.seen[key] || 0);
      }
      button.textContent = label;
      if (unread > 0) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.textContent = `${unread} new`;
        button.append(" ", badge);
      }
      if (page.place === place) button.setAttribute("aria-current", "page");
      button.addEventListener("click", () => openPlace(place));
      item.appendChild(button);
      list.appendChild(item);
      if (focused === place) button.focus();
    });
  }

  function messageSignature(message, replies) {
    return JSON.stringify([message, replies.length, replies.length ? replies[replies.length - 1].ts : null]);
  }

  function renderMessage(message, replies, where, inThread) {
    const article = document.createElement("article");
    article.className = `message${message.ephemeral ? " ephemeral" : ""}${message.bot ? " from-app" : ""}`;
    article.dataset.ts = message.ts;
    article.tabIndex = -1;
    const head = document.createElement("div");
    head.className = "message-head";
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author;
    head.appendChild(author);
    if (message.bot) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = "App";
      head.appendChild(tag);
    }
    const time = document.createElement("time");
    time.dateTime = new Date(Number(message.ts) * 1000).toISOString();
    time.textContent = timeOf(message.ts);
    head.appendChild(time);
    if (message.edited) head.appendChild(Object.assign(document.createElement("span"), { className: "note", textContent: "(edited)" }));
    if (message.ephemeral) {
      head.appendChild(Object.assign(document.createElement("span"), { className: "tag private", textContent: "Only visible to you" }));
    }
    article.appendChild(head);
    const body = document.createElement("div");
    body.className = "message-body";
    const ctx = kitContext({ ...where, message_ts: message.ts });
    if (message.blocks && message.blocks.length) body.appendChild(BlockKit.render(message.blocks, ctx));
    else body.innerHTML = BlockKit.mrkdwn(message.text, ctx);
    (message.files || []).forEach((file) => {
      // As in Slack, a file the app uploads can be downloaded from the message it came with.
      const link = document.createElement("a");
      link.className = "file";
      link.href = `/api/file?user=${encodeURIComponent(page.user)}&id=${encodeURIComponent(file.id)}`;
      link.setAttribute("download", file.name);
      const icon = document.createElement("span");
      icon.className = "file-icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "📄";
      const title = document.createElement("span");
      title.className = "file-title";
      title.textContent = file.title;
      const detail = document.createElement("span");
      detail.className = "file-detail";
      detail.textContent = `${file.name} · ${sizeOf(file.size)} · Download`;
      link.append(icon, title, detail);
      body.appendChild(link);
    });
    article.appendChild(body);
    if (!message.ephemeral) {
      const more = moreActions(message, where);
      if (more) head.appendChild(more);
    }
    if (!inThread && !message.ephemeral) {
      const foot = document.createElement("div");
      foot.className = "message-foot";
      const open = document.createElement("button");
      open.type = "button";
      open.className = "thread-button";
      open.textContent = replies.length
        ? `${replies.length} ${replies.length === 1 ? "reply" : "replies"} — open thread`
        : "Reply in thread";
      open.setAttribute("aria-label", `${open.textContent}, on ${message.author}'s message at ${timeOf(message.ts)}`);
      open.addEventListener("click", () => openThread(message.ts));
      foot.appendChild(open);
      article.appendChild(foot);
    }
    return article;
  }

  function sizeOf(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return `${bytes} bytes`;
    return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  }

  /* A message's "More actions" menu: the app's message shortcuts, as Slack offers them. */
  function moreActions(message, where) {
    const shortcuts = (page.workspace.shortcuts || []).filter((s) => s.type === "message");
    if (!shortcuts.length || !where.channel) return null;
    const menu = document.createElement("details");
    menu.className = "more-actions";
    const summary = document.createElement("summary");
    summary.textContent = "More actions";
    summary.setAttribute("aria-label", `More actions for ${message.author}'s message at ${timeOf(message.ts)}`);
    menu.appendChild(summary);
    shortcuts.forEach((shortcut) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "menu-item";
      item.textContent = shortcut.name;
      item.addEventListener("click", () => {
        menu.open = false;
        runShortcut({ callback_id: shortcut.callback_id, channel: where.channel, message_ts: message.ts });
      });
      menu.appendChild(item);
    });
    return menu;
  }

  async function runShortcut(request) {
    try {
      await api("/api/shortcut", { user: page.user, ...request });
      say("Shortcut sent.");
    } catch (failure) {
      showAlert(failure.message);
    }
    await poll();
  }

  /* Update a list of messages in place, keyed by ts, so unchanged messages keep focus and screen
   * readers hear only what is new. */
  function syncMessages(container, items, where, inThread) {
    const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
    const existing = new Map();
    Array.from(container.children).forEach((child) => {
      if (child.dataset.ts) existing.set(child.dataset.ts, child);
      else child.remove();
    });
    let previous = null;
    let added = false;
    items.forEach(({ message, replies }) => {
      const signature = messageSignature(message, replies);
      let node = existing.get(message.ts);
      existing.delete(message.ts);
      if (!node || node.dataset.signature !== signature) {
        const fresh = renderMessage(message, replies, where, inThread);
        fresh.dataset.signature = signature;
        if (node) {
          const hadFocus = node.contains(document.activeElement);
          node.replaceWith(fresh);
          if (hadFocus) fresh.focus();
        } else {
          added = true;
        }
        node = fresh;
      }
      const expected = previous ? previous.nextSibling : container.firstChild;
      if (expected !== node) container.insertBefore(node, expected);
      previous = node;
    });
    existing.forEach((node) => node.remove());
    if (!items.length) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = inThread ? "No replies yet." : "No messages yet.";
      container.appendChild(empty);
    }
    if (added && nearBottom) container.scrollTop = container.scrollHeight;
  }

  function renderChannel() {
    const c = currentChannel();
    if (!c || !page.state) return;
    const messages = page.state.conversations[c.id] || [];
    const topLevel = messages.filter((m) => !m.thread_ts);
    const items = topLevel.map((message) => ({
      message,
      replies: messages.filter((m) => m.thread_ts === message.ts),
    }));
    syncMessages($("messages"), items, { channel: c.id }, false);
    if (page.thread) {
      const parent = messages.find((m) => m.ts === page.thread);
      const replies = messages.filter((m) => m.thread_ts === page.thread);
      const threadItems = (parent ? [parent, ...replies] : replies).map((message) => ({ message, replies: [] }));
      syncMessages($("thread-messages"), threadItems, { channel: c.id }, true);
    }
  }

  function renderHome() {
    const home = $("home");
    const view = page.state && page.state.home;
    const signature = JSON.stringify(view);
    if (home.dataset.signature === signature) return;
    home.dataset.signature = signature;
    const hadFocus = home.contains(document.activeElement);
    home.textContent = "";
    if (!view) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "Playbook has not published a Home tab for you yet.";
      home.appendChild(empty);
    } else {
      home.appendChild(BlockKit.render(view.blocks, kitContext({ home: true })));
    }
    if (hadFocus) home.focus();
  }

  function renderModal() {
    const dialog = $("modal");
    const view = page.state && page.state.modal;
    if (!view) {
      if (dialog.open) dialog.close();
      page.modalSignature = null;
      return;
    }
    const signature = JSON.stringify(view);
    if (dialog.open && signature === page.modalSignature) return;
    page.modalSignature = signature;
    $("modal-title").textContent = BlockKit.plain(view.title) || "Playbook";
    $("modal-submit").textContent = BlockKit.plain(view.submit) || "Submit";
    $("modal-submit").hidden = !view.submit;
    $("modal-close").textContent = BlockKit.plain(view.close) || "Cancel";
    $("modal-error").hidden = true;
    const body = $("modal-body");
    body.textContent = "";
    body.appendChild(BlockKit.render(view.blocks, kitContext({ view: view.id })));
    dialog.dataset.viewId = view.id;
    if (!dialog.open) dialog.showModal();
    const first = body.querySelector("input, select, textarea, button");
    (first || $("modal-submit")).focus();
  }

  function renderHeadings() {
    const c = currentChannel();
    $("channel-pane").hidden = page.place === "home";
    $("home-pane").hidden = page.place !== "home";
    if (c) {
      const title = conversationTitle(c);
      $("channel-title").textContent = title;
      $("composer-label").textContent = c.kind === "dm" ? `Message ${c.name}` : `Message #${c.name}`;
      $("channel-hint").textContent =
        c.kind === "dm"
          ? "Your direct messages with the Playbook app. Sessions you start here run here, without a thread."
          : c.name === "leads"
            ? "Where session summaries are posted for leads."
            : "Start a session here with /playbook start five-whys, then answer in its thread.";
    }
    $("thread-pane").hidden = !page.thread || page.place === "home";
  }

  function render() {
    renderHeadings();
    renderConversations();
    if (page.place === "home") renderHome();
    else renderChannel();
    renderModal();
  }

  /* ---------------------------------------------------------------------------------- polling */

  function announceNews(previous, next) {
    if (!previous || !next) return;
    page.workspace.conversations[page.user].forEach((c) => {
      const before = (previous.conversations[c.id] || []).length;
      const after = (next.conversations[c.id] || []).length;
      const visible = page.place !== "home" && currentChannel().id === c.id;
      if (after > before && !visible) say(`New message in ${conversationTitle(c)}.`);
    });
  }

  async function poll() {
    window.clearTimeout(page.pollTimer);
    const user = page.user;
    try {
      const state = await api(`/api/state?user=${encodeURIComponent(user)}`);
      if (user === page.user && state.version !== page.version) {
        announceNews(page.state, state);
        page.state = state;
        page.version = state.version;
        render();
      }
    } catch (failure) {
      showAlert(failure.message);
    }
    page.pollTimer = window.setTimeout(poll, POLL_MS);
  }

  /* ---------------------------------------------------------------------------------- actions */

  async function act(where, element, blockId, value) {
    const body = { user: page.user, action: { block_id: blockId, action_id: element.action_id, value } };
    if (where.channel) {
      body.channel = where.channel;
      body.message_ts = where.message_ts;
    } else if (where.view) {
      body.view_id = where.view;
      body.values = BlockKit.values($("modal-body"));
    } else {
      body.home = true;
    }
    try {
      await api("/api/action", body);
      say(element.type === "button" ? `Sent: ${BlockKit.plain(element.text)}.` : "Choice sent.");
    } catch (failure) {
      showAlert(failure.message);
    }
    await poll();
  }

  async function send(text, threadTs) {
    const c = currentChannel();
    if (!c || page.sending) return false;
    const trimmed = text.trim();
    if (!trimmed) {
      showAlert("Type a message first.");
      return false;
    }
    page.sending = true;
    try {
      if (trimmed.startsWith("/")) {
        await api("/api/command", { user: page.user, channel: c.id, text: trimmed, thread_ts: threadTs });
        say("Command sent. The answer is only visible to you.");
      } else {
        await api("/api/message", { user: page.user, channel: c.id, text, thread_ts: threadTs });
        say("Message sent.");
      }
      return true;
    } catch (failure) {
      showAlert(failure.message);
      return false;
    } finally {
      page.sending = false;
      await poll();
    }
  }

  function wireComposer(formId, inputId, threadOf) {
    const form = $(formId);
    const input = $(inputId);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // The box is emptied as the message goes, so what is typed while it is being sent stays typed;
      // a message that could not be sent is given back in front of it.
      const text = input.value;
      input.value = "";
      if (!(await send(text, threadOf()))) input.value = text + input.value;
      input.focus();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  function openPlace(place) {
    page.place = place;
    if (place === "home") {
      page.thread = null;
      render();
      api("/api/home", { user: page.user })
        .then(() => poll())
        .catch((failure) => showAlert(failure.message));
      $("home").focus();
      return;
    }
    page.thread = null;
    render();
    $("composer-input").focus();
  }

  function openThread(ts) {
    page.thread = ts;
    $("thread-messages").textContent = "";
    render();
    $("thread-input").focus();
    say("Thread opened. Type your reply in the thread's message box.");
  }

  function closeThread() {
    const ts = page.thread;
    page.thread = null;
    render();
    const origin = document.querySelector(`#messages article[data-ts="${CSS.escape(ts || "")}"] .thread-button`);
    (origin || $("composer-input")).focus();
  }

  function switchUser(userId) {
    page.user = userId;
    page.version = null;
    page.state = null;
    // A thread in a shared channel stays open, so a team can take turns in it; a DM is per person.
    if (page.place === "dm") page.thread = null;
    page.modalSignature = null;
    $("messages").textContent = "";
    $("thread-messages").textContent = "";
    $("home").dataset.signature = "";
    const person = page.workspace.users.find((u) => u.id === userId);
    say(`You are now ${person.name}.`);
    if (page.place === "home") openPlace("home");
    else poll();
  }

  async function submitModal(event) {
    event.preventDefault();
    const dialog = $("modal");
    const viewId = dialog.dataset.viewId;
    const body = $("modal-body");
    body.querySelectorAll(".bk-error").forEach((node) => {
      node.hidden = true;
      node.textContent = "";
    });
    body.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
    try {
      const answer = await api("/api/view/submit", { user: page.user, view_id: viewId, values: BlockKit.values(body) });
      if (answer.errors) {
        let first = null;
        Object.entries(answer.errors).forEach(([blockId, message]) => {
          const error = body.querySelector(`[data-error-for="${CSS.escape(blockId)}"]`);
          const control = body.querySelector(`.bk-field[data-block-id="${CSS.escape(blockId)}"]`);
          if (error) {
            error.textContent = message;
            error.hidden = false;
          }
          if (control) {
            control.setAttribute("aria-invalid", "true");
            first = first || control;
          }
        });
        if (first) first.focus();
        else {
          $("modal-error").textContent = Object.values(answer.errors).join(" ");
          $("modal-error").hidden = false;
        }
        return;
      }
      say("Submitted.");
    } catch (failure) {
      $("modal-error").textContent = failure.message;
      $("modal-error").hidden = false;
      return;
    }
    page.modalSignature = null;
    await poll();
  }

  async function closeModal() {
    const dialog = $("modal");
    const viewId = dialog.dataset.viewId;
    try {
      await api("/api/view/close", { user: page.user, view_id: viewId });
    } catch (failure) {
      showAlert(failure.message);
    }
    dialog.close();
    page.modalSignature = null;
    await poll();
  }

  /* ------------------------------------------------------------------------------------ start */

  async function start() {
    try {
      page.workspace = await api("/api/workspace");
    } catch (failure) {
      showAlert(failure.message);
      return;
    }
    page.user = page.workspace.users[0].id;
    $("database").textContent = page.workspace.database;
    $("workspace-name").textContent = page.workspace.team.name;
    renderPeople();
    wireComposer("composer", "composer-input", () => null);
    wireComposer("thread-composer", "thread-input", () => page.thread);
    $("thread-close").addEventListener("click", closeThread);
    $("fill-start").addEventListener("click", () => {
      const input = $("composer-input");
      input.value = `${page.workspace.command} start five-whys `;
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    });
    const globalShortcuts = (page.workspace.shortcuts || []).filter((s) => s.type === "global");
    $("shortcuts").hidden = !globalShortcuts.length;
    globalShortcuts.forEach((shortcut) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "menu-item";
      item.textContent = shortcut.name;
      item.addEventListener("click", () => {
        $("shortcuts").open = false;
        runShortcut({ callback_id: shortcut.callback_id });
      });
      $("shortcut-list").appendChild(item);
    });
    $("modal-form").addEventListener("submit", submitModal);
    $("modal-close").addEventListener("click", closeModal);
    $("modal").addEventListener("cancel", (event) => {
      event.preventDefault();
      closeModal();
    });
    document.addEventListener("click", (event) => {
      const link = event.target.closest && event.target.closest("a.permalink");
      if (!link) return;
      event.preventDefault();
      const target = page.workspace.conversations[page.user].find((c) => c.id === link.dataset.channel);
      if (!target) {
        showAlert("That message is in a conversation you are not in.");
        return;
      }
      page.place = target.kind === "dm" ? "dm" : target.name;
      openThread(link.dataset.ts);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && page.thread && !$("modal").open) closeThread();
    });
    render();
    poll();
  }

  document.addEventListener("DOMContentLoaded", start);
})();
