/* Block Kit and mrkdwn rendered as plain, accessible HTML for the local sandbox.
 *
 * Everything from the app is data, never markup: text is HTML-escaped before any formatting is
 * applied, links are limited to http(s) and mailto, and images are never fetched (their alt text is
 * shown), so nothing on the page reaches beyond this machine.
 *
 * BlockKit.render(blocks, ctx) returns a DocumentFragment. ctx = {
 *   users: {id: name}, channels: {id: name},
 *   act(element, blockId, value) -> Promise   (a click, or a choice confirmed with its button),
 *   form: true when rendering a modal, so input blocks become form fields
 * }
 */
(function () {
  "use strict";

  const EMOJI = {
    white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", tada: "🎉", wave: "👋",
    bulb: "💡", calendar: "📅", memo: "📝", pushpin: "📌", bar_chart: "📊", rotating_light: "🚨",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", thumbsup: "👍", "+1": "👍", eyes: "👀",
    mag: "🔍", question: "❓", arrow_right: "➡️", leftwards_arrow_with_hook: "↩️", pound: "💷",
    moneybag: "💰", construction: "🚧", no_entry: "⛔", red_circle: "🔴", large_green_circle: "🟢",
    large_yellow_circle: "🟡", large_orange_circle: "🟠", house: "🏠", clipboard: "📋",
    lock: "🔒", unlock: "🔓", information_source: "ℹ️", point_right: "👉", link: "🔗", pencil2: "✏️",
    page_facing_up: "📄", inbox_tray: "📥", outbox_tray: "📤", chart_with_upwards_trend: "📈",
    chart_with_downwards_trend: "📉", bust_in_silhouette: "👤", busts_in_silhouette: "👥",
    speech_balloon: "💬", thinking_face: "🤔", raising_hand: "🙋", sparkles: "✨", star: "⭐",
    heavy_plus_sign: "➕", heavy_minus_sign: "➖", heavy_multiplication_x: "✖️", zzz: "💤",
    repeat: "🔁", arrows_counterclockwise: "🔄", stopwatch: "⏱️", alarm_clock: "⏰", date: "📅",
    spiral_calendar_pad: "🗓️", books: "📚", scales: "⚖️", dart: "🎯", jigsaw: "🧩", gear: "⚙️",
    arrow_forward: "▶️", double_vertical_bar: "⏸️", black_square_for_stop: "⏹️", no_entry_sign: "🚫",
    grey_question: "❔", exclamation: "❗", large_blue_circle: "🔵", white_circle: "⚪",
    black_circle: "⚫", triangular_flag_on_post: "🚩", wastebasket: "🗑️", ok_hand: "👌",
    handshake: "🤝", seedling: "🌱", telephone_receiver: "📞", email: "📧", envelope: "✉️",
    hammer_and_wrench: "🛠️", mag_right: "🔎", busstop: "🚏", hourglass_done: "⌛",
  };

  const PERMALINK = /^https:\/\/[a-z0-9-]+\.slack\.com\/archives\/([A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?thread_ts=([\d.]+))?/;

  let serial = 0;
  function uid(prefix) {
    serial += 1;
    return `${prefix}-${serial}`;
  }

  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  /* Slack sends &, < and > entity-encoded in text; decode once (&amp; last). */
  function decodeSlack(text) {
    return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emojify(escaped) {
    return escaped.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
  }

  function safeUrl(url) {
    return /^(https?:\/\/|mailto:)/i.test(url) ? url : null;
  }

  /* One <...> entity: a mention, a channel, a special mention, a date or a link. */
  function entityHtml(inner, ctx) {
    const [target, label] = inner.split("|", 2);
    const decodedLabel = label !== undefined ? decodeSlack(label) : undefined;
    if (target.startsWith("@")) {
      const id = target.slice(1);
      const name = (ctx.users && ctx.users[id]) || decodedLabel || id;
      return `<span class="mention">@${escapeHtml(name)}</span>`;
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      const name = (ctx.channels && ctx.channels[id]) || decodedLabel || id;
      return `<span class="mention">#${escapeHtml(name)}</span>`;
    }
    if (target.startsWith("!")) {
      const special = target.slice(1);
      if (["here", "channel", "everyone"].includes(special)) {
        return `<span class="mention">@${special}</span>`;
      }
      return `<span class="mention">${escapeHtml(decodedLabel || special)}</span>`;
    }
    const permalink = decodeSlack(target).match(PERMALINK);
    if (permalink) {
      // A link to a Slack message: open it here instead of leaving for slack.com.
      const [, channel, seconds, micros, threadTs] = permalink;
      const ts = threadTs || `${seconds}.${micros}`;
      const text = escapeHtml(decodedLabel || "the message");
      return `<a href="#thread-${ts}" class="permalink" data-channel="${escapeHtml(channel)}" data-ts="${escapeHtml(ts)}">${text}</a>`;
    }
    const url = safeUrl(decodeSlack(target));
    if (url) {
      const text = decodedLabel || url;
      return `<a href="${escapeHtml(url)}" rel="noopener noreferrer" target="_blank">${escapeHtml(text)}</a>`;
    }
    return escapeHtml(`<${decodeSlack(inner)}>`);
  }

  /* Slack mrkdwn to HTML: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes, entities. */
  function mrkdwn(text, ctx) {
    const held = [];
    const hold = (html) => {
      held.push(html);
      return `\u0000${held.length - 1}\u0000`;
    };
    let s = String(text || "").replace(/<([^<>\n]+)>/g, (_, inner) => hold(entityHtml(inner, ctx)));
    s = escapeHtml(decodeSlack(s));
    s = s.replace(/```\n?([\s\S]*?)```/g, (_, code) => hold(`<pre><code>${code}</code></pre>`));
    s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${code}</code>`));
    s = emojify(s);
    s = s.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/gm, "$1<strong>$2</strong>");
    s = s.replace(/(^|[^\w_])_(?=\S)([^_\n]*?\S)_(?!\w)/gm, "$1<em>$2</em>");
    s = s.replace(/(^|[^\w~])~(?=\S)([^~\n]*?\S)~(?!\w)/gm, "$1<del>$2</del>");
    const out = [];
    let quote = [];
    const flushQuote = () => {
      if (quote.length) {
        out.push(`<blockquote>${quote.join("<br>")}</blockquote>`);
        quote = [];
      }
    };
    const lines = s.split("\n");
    lines.forEach((line, index) => {
      const quoted = line.match(/^&gt;\s?(.*)$/);
      if (quoted) {
        quote.push(quoted[1]);
        return;
      }
      flushQuote();
      out.push(line + (index < lines.length - 1 ? "<br>" : ""));
    });
    flushQuote();
    let html = out.join("");
    while (/\u0000\d+\u0000/.test(html)) {
      html = html.replace(/\u0000(\d+)\u0000/g, (_, n) => held[Number(n)]);
    }
    return html;
  }

  function textHtml(obj, ctx) {
    if (!obj) return "";
    if (typeof obj === "string") return mrkdwn(obj, ctx);
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx);
    return emojify(escapeHtml(obj.text || "")).replace(/\n/g, "<br>");
  }

  function plain(obj) {
    if (!obj) return "";
    return typeof obj === "string" ? obj : obj.text || "";
  }

  /* A plain_text object as Slack shows it on buttons and in menus: its :shortcodes: as emoji. */
  function shown(obj) {
    return emojify(plain(obj));
  }

  function el(tag, className, html) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  function visuallyHiddenLabel(forId, text) {
    const label = el("label", "visually-hidden");
    label.htmlFor = forId;
    label.textContent = text;
    return label;
  }

  /* ---------------------------------------------------------------------------- form controls */

  function optionsOf(element) {
    if (element.option_groups) {
      return element.option_groups.map((group) => ({
        label: plain(group.label),
        options: group.options || [],
      }));
    }
    return [{ label: null, options: element.options || [] }];
  }

  function selectControl(element, ctx, id) {
    const select = document.createElement("select");
    select.id = id;
    const placeholder = document.createElement("option");
    placeholder.value = "";
    placeholder.textContent = plain(element.placeholder) || "Choose…";
    select.appendChild(placeholder);
    if (element.type === "conversations_select") {
      Object.entries(ctx.channels || {}).forEach(([channelId, name]) => {
        const option = document.createElement("option");
        option.value = channelId;
        option.textContent = `#${name}`;
        select.appendChild(option);
      });
      const current = element.default_to_current_conversation ? ctx.currentChannel : null;
      const initial = element.initial_conversation || current;
      if (initial && ctx.channels && ctx.channels[initial]) select.value = initial;
    } else if (element.type === "users_select") {
      Object.entries(ctx.users || {}).forEach(([userId, name]) => {
        const option = document.createElement("option");
        option.value = userId;
        option.textContent = name;
        select.appendChild(option);
      });
      if (element.initial_user) select.value = element.initial_user;
    } else {
      optionsOf(element).forEach((group) => {
        const parent = group.label ? document.createElement("optgroup") : select;
        if (group.label) {
          parent.label = group.label;
          select.appendChild(parent);
        }
        group.options.forEach((opt) => {
          const option = document.createElement("option");
          option.value = opt.value;
          // Slack shows an option's description under its text; a native list has one line.
          option.textContent = opt.description ? `${shown(opt.text)} — ${shown(opt.description)}` : shown(opt.text);
          parent.appendChild(option);
        });
      });
      if (element.initial_option) select.value = element.initial_option.value;
    }
    return select;
  }

  function dateControl(element, id) {
    const input = document.createElement("input");
    input.type = "date";
    input.id = id;
    if (element.initial_date) input.value = element.initial_date;
    return input;
  }

  function describe(element) {
    return (
      element.accessibility_label ||
      plain(element.placeholder) ||
      {
        static_select: "Choose an option",
        users_select: "Choose a person",
        conversations_select: "Choose a channel",
        datepicker: "Choose a date",
        overflow: "More options",
      }[element.type] ||
      "Choose"
    );
  }

  /* Run an action, keeping the control busy meanwhile; errors are shown by ctx.act's caller. */
  function runAction(control, ctx, element, blockId, value) {
    if (element.confirm) {
      const question = [plain(element.confirm.title), plain(element.confirm.text)].filter(Boolean).join("\n\n");
      if (!window.confirm(question)) return;
    }
    control.disabled = true;
    control.setAttribute("aria-busy", "true");
    Promise.resolve(ctx.act(element, blockId, value)).finally(() => {
      control.disabled = false;
      control.removeAttribute("aria-busy");
    });
  }

  /* An interactive element outside an input block: buttons act at once; selects and date pickers
   * act when their "Choose" button is pressed, so moving through options with the keyboard never
   * sends anything by accident. */
  function interactive(element, blockId, ctx) {
    const type = element.type;
    if (type === "button") {
      if (element.url && safeUrl(element.url)) {
        const link = el("a", "bk-button bk-link-button");
        link.href = element.url;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        link.textContent = shown(element.text);
        return link;
      }
      const button = el("button", `bk-button${element.style ? ` bk-${element.style}` : ""}`);
      button.type = "button";
      button.textContent = shown(element.text);
      if (element.accessibility_label) button.setAttribute("aria-label", element.accessibility_label);
      button.addEventListener("click", () => runAction(button, ctx, element, blockId, element.value));
      return button;
    }
    if (["static_select", "users_select", "overflow", "datepicker"].includes(type)) {
      const wrap = el("span", "bk-choice");
      const id = uid("bk-choice");
      const label = describe(element);
      const control =
        type === "datepicker"
          ? dateControl(element, id)
          : selectControl(type === "overflow" ? { ...element, placeholder: { text: "More…" } } : element, ctx, id);
      control.dataset.blockId = blockId;
      control.dataset.actionId = element.action_id;
      const button = el("button", "bk-button");
      button.type = "button";
      button.textContent = type === "datepicker" ? "Set date" : "Choose";
      button.setAttribute("aria-label", `${button.textContent}: ${label}`);
      button.addEventListener("click", () => {
        if (!control.value) {
          ctx.say(type === "datepicker" ? "Pick a date first." : "Pick an option first.");
          control.focus();
          return;
        }
        runAction(button, ctx, element, blockId, control.value);
      });
      wrap.append(visuallyHiddenLabel(id, label), control, button);
      return wrap;
    }
    if (type === "image") return imageText(element);
    return el("span", "bk-unsupported", escapeHtml(`[${type || "unknown"} control]`));
  }

  function imageText(element) {
    const span = el("span", "bk-image-alt");
    span.textContent = `[Image: ${element.alt_text || "no description"}]`;
    return span;
  }

  /* An input block: a labelled form field whose value is sent with the modal. */
  function inputBlock(block, ctx) {
    const wrap = el("div", "bk-input");
    const element = block.element || {};
    const id = uid("bk-input");
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = plain(block.label);
    if (block.optional) label.append(el("span", "bk-optional", " (optional)"));
    wrap.appendChild(label);
    let control;
    if (element.type === "plain_text_input") {
      control = document.createElement(element.multiline ? "textarea" : "input");
      if (!element.multiline) control.type = "text";
      if (element.multiline) control.rows = 4;
      if (element.max_length) control.maxLength = element.max_length;
      if (element.initial_value) control.value = element.initial_value;
      if (element.placeholder) control.placeholder = plain(element.placeholder);
      control.id = id;
    } else if (["static_select", "users_select", "conversations_select"].includes(element.type)) {
      control = selectControl(element, ctx, id);
    } else if (element.type === "datepicker") {
      control = dateControl(element, id);
    } else {
      control = el("span", "bk-unsupported", escapeHtml(`[${element.type || "unknown"} input]`));
    }
    if (!block.optional && control.tagName !== "SPAN") control.setAttribute("aria-required", "true");
    control.dataset.blockId = block.block_id;
    control.dataset.actionId = element.action_id;
    control.classList.add("bk-field");
    const described = [];
    if (block.hint) {
      const hint = el("p", "bk-hint");
      hint.id = uid("bk-hint");
      hint.textContent = plain(block.hint);
      described.push(hint.id);
      wrap.append(control, hint);
    } else {
      wrap.append(control);
    }
    const error = el("p", "bk-error");
    error.id = uid("bk-error");
    error.hidden = true;
    error.dataset.errorFor = block.block_id;
    described.push(error.id);
    control.setAttribute("aria-describedby", described.join(" "));
    wrap.appendChild(error);
    return wrap;
  }

  /* ------------------------------------------------------------------------------------ blocks */

  function richText(block, ctx) {
    const parts = [];
    const inline = (item) => {
      if (item.type === "text") {
        let html = escapeHtml(item.text || "").replace(/\n/g, "<br>");
        const style = item.style || {};
        if (style.code) html = `<code>${html}</code>`;
        if (style.bold) html = `<strong>${html}</strong>`;
        if (style.italic) html = `<em>${html}</em>`;
        if (style.strike) html = `<del>${html}</del>`;
        return html;
      }
      if (item.type === "link") return entityHtml(`${item.url}|${item.text || item.url}`, ctx);
      if (item.type === "user") return entityHtml(`@${item.user_id}`, ctx);
      if (item.type === "channel") return entityHtml(`#${item.channel_id}`, ctx);
      if (item.type === "emoji") return EMOJI[item.name] || `:${escapeHtml(item.name)}:`;
      return "";
    };
    (block.elements || []).forEach((section) => {
      const inner = (section.elements || []).map((item) =>
        item.elements ? `<li>${item.elements.map(inline).join("")}</li>` : inline(item)
      );
      if (section.type === "rich_text_list") {
        const tag = section.style === "ordered" ? "ol" : "ul";
        parts.push(`<${tag}>${inner.join("")}</${tag}>`);
      } else if (section.type === "rich_text_quote") parts.push(`<blockquote>${inner.join("")}</blockquote>`);
      else if (section.type === "rich_text_preformatted") parts.push(`<pre>${inner.join("")}</pre>`);
      else parts.push(`<p>${inner.join("")}</p>`);
    });
    return el("div", "bk-rich-text", parts.join(""));
  }

  function renderBlock(block, ctx) {
    const blockId = block.block_id;
    switch (block.type) {
      case "header": {
        const node = el("h3", "bk-header");
        node.innerHTML = emojify(escapeHtml(plain(block.text)));
        return node;
      }
      case "divider":
        return el("hr", "bk-divider");
      case "section": {
        const node = el("div", "bk-section");
        const body = el("div", "bk-section-body");
        if (block.text) body.appendChild(el("div", "bk-text", textHtml(block.text, ctx)));
        if (block.fields && block.fields.length) {
          const fields = el("div", "bk-fields");
          block.fields.forEach((field) => fields.appendChild(el("div", "bk-field-text", textHtml(field, ctx))));
          body.appendChild(fields);
        }
        node.appendChild(body);
        if (block.accessory) {
          const accessory = el("div", "bk-accessory");
          accessory.appendChild(interactive(block.accessory, blockId, ctx));
          node.appendChild(accessory);
        }
        return node;
      }
      case "context": {
        const node = el("div", "bk-context");
        (block.elements || []).forEach((item) => {
          node.appendChild(item.type === "image" ? imageText(item) : el("span", "", textHtml(item, ctx)));
        });
        return node;
      }
      case "actions": {
        const node = el("div", "bk-actions");
        node.setAttribute("role", "group");
        node.setAttribute("aria-label", "Actions");
        (block.elements || []).forEach((element) => node.appendChild(interactive(element, blockId, ctx)));
        return node;
      }
      case "input":
        return inputBlock(block, ctx);
      case "image": {
        const node = el("figure", "bk-image");
        node.appendChild(imageText(block));
        if (block.title) node.appendChild(el("figcaption", "", escapeHtml(plain(block.title))));
        return node;
      }
      case "rich_text":
        return richText(block, ctx);
      case "markdown":
        return el("div", "bk-text", escapeHtml(block.text || "").replace(/\n/g, "<br>"));
      default:
        return el("p", "bk-unsupported", escapeHtml(`[${block.type} block: not shown in the sandbox]`));
    }
  }

  function render(blocks, ctx) {
    const fragment = document.createDocumentFragment();
    (blocks || []).forEach((block) => {
      if (block && typeof block === "object") fragment.appendChild(renderBlock(block, ctx));
    });
    return fragment;
  }

  /* The modal's current values: {block_id: {action_id: value}}. */
  function values(container) {
    const result = {};
    container.querySelectorAll(".bk-field, .bk-choice select, .bk-choice input").forEach((control) => {
      const block = control.dataset.blockId;
      const action = control.dataset.actionId;
      if (!block || !action || control.tagName === "SPAN") return;
      result[block] = result[block] || {};
      result[block][action] = control.value;
    });
    return result;
  }

  window.BlockKit = { render, mrkdwn, plain, values, escapeHtml };
})();
