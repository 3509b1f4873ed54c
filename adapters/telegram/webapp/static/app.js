// The Mini App page: the documents form and document capture. No framework, nothing fetched from
// elsewhere. Telegram passes the signed init data and the theme in location.hash (tgWebAppData,
// tgWebAppThemeParams); every API call carries the init data as "Authorization: tma <initData>".
"use strict";
(function () {
  const API = "api/";
  const STORE = "zadarma-bot.webapp.launch";
  const main = document.getElementById("app");
  let state = null;

  // ---------------------------------------------------------------- Telegram
  function launchParams() {
    const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
    let initData = hash.get("tgWebAppData") || "";
    let theme = hash.get("tgWebAppThemeParams") || "";
    const tg = window.Telegram && window.Telegram.WebApp;
    if (!initData && tg && tg.initData) initData = tg.initData;
    if (initData) {
      try { sessionStorage.setItem(STORE, JSON.stringify({ initData, theme })); } catch (e) { /* private mode */ }
    } else {
      try {
        const kept = JSON.parse(sessionStorage.getItem(STORE) || "{}");
        initData = kept.initData || "";
        theme = theme || kept.theme || "";
      } catch (e) { /* nothing kept */ }
    }
    let themeParams = {};
    try { themeParams = theme ? JSON.parse(theme) : (tg && tg.themeParams) || {}; } catch (e) { themeParams = {}; }
    return { initData, themeParams };
  }

  function applyTheme(params) {
    for (const [name, value] of Object.entries(params || {})) {
      if (/^[a-z_]{1,40}$/.test(name) && typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) {
        document.documentElement.style.setProperty("--tg-" + name, value);
      }
    }
  }

  function postEvent(type, data) {
    const payload = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
        window.TelegramWebviewProxy.postEvent(type, payload);
      } else if (window.external && typeof window.external.notify === "function") {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "https://web.telegram.org");
      }
    } catch (e) { /* outside Telegram: nothing to tell */ }
  }

  const launch = launchParams();
  applyTheme(launch.themeParams);

  // ---------------------------------------------------------------- helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
  }

  function humanSize(size) {
    if (size >= 1048576) {
      const mb = size / 1048576;
      return (mb >= 10 || Number.isInteger(mb) ? mb.toFixed(0) : mb.toFixed(1)) + " MB";
    }
    if (size >= 1024) return Math.floor(size / 1024) + " KB";
    return size + " B";
  }

  function t(name, values) {
    return fill(state && state.texts ? state.texts[name] || "" : "", values || {});
  }

  function screen(...children) {
    main.replaceChildren(...children.filter(Boolean));
    const heading = main.querySelector("h1");
    if (heading) document.title = heading.textContent;
  }

  function failure(message) {
    screen(el("p", { class: "alert", role: "alert", text: message }));
  }

  // ---------------------------------------------------------------- the API
  function request(method, path, body) {
    const headers = { Authorization: "tma " + launch.initData };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(API + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    }).then(async (response) => ({ status: response.status, body: await response.json().catch(() => ({})) }));
  }

  function uploadRequest(form, onProgress) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", API + "upload");
      xhr.setRequestHeader("Authorization", "tma " + launch.initData);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
      });
      xhr.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
        resolve({ status: xhr.status, body });
      });
      xhr.addEventListener("error", () => resolve({ status: 0, body: {} }));
      xhr.send(form);
    });
  }

  function answered(result, onInvalid) {
    const { status, body } = result;
    if (status === 200) return show(body);
    if (status === 409 && body.state) return show(body.state, body.message);
    if (status === 422 || status === 413) return onInvalid(body);
    if (status === 0) return onInvalid({ message: t("network") });
    if (body.message) return status === 401 ? failure(body.message) : onInvalid(body);
    return onInvalid({ message: t("failed") });
  }

  // ---------------------------------------------------------------- pages
  function show(next, message, keep) {
    state = next;
    document.documentElement.lang = next.language || "en";
    const notes = (next.notes || []).map((text) => el("p", { class: "note", role: "status", text }));
    const alert = message ? el("p", { class: "alert", role: "alert", text: message }) : null;
    if (next.kind === "form") showForm(next.form, notes, alert, keep || {});
    else if (next.kind === "upload") showUpload(next, notes, alert);
    else showChat(next, notes, alert);
    window.scrollTo(0, 0);
  }

  const AUTOCOMPLETE = {
    first_name: "given-name", last_name: "family-name", middle_name: "additional-name",
    email: "email", phone: "tel", city: "address-level2", zip_code: "postal-code",
    organization: "organization", date_of_birth: "bday",
  };

  function control(field, id, described, value) {
    const common = { id, name: field.name, "aria-describedby": described, "data-kind": field.kind };
    if (field.required) common["aria-required"] = "true";
    if (field.kind === "choice") {
      const select = el("select", common, el("option", { value: "", text: t("choose") }));
      for (const choice of field.choices) {
        select.append(el("option", { value: choice.value, text: choice.label, selected: choice.value === value }));
      }
      return select;
    }
    const limits = field.max_length ? { maxlength: field.max_length } : {};
    if (field.kind === "multiline") {
      const area = el("textarea", { ...common, ...limits, rows: 3 });
      area.value = value;
      return area;
    }
    const types = { date: "date", email: "email", phone: "tel" };
    const input = el("input", {
      ...common, ...limits, type: types[field.kind] || "text",
      autocomplete: AUTOCOMPLETE[field.name] || "off",
      autocapitalize: field.kind === "country" ? "characters" : null,
      inputmode: field.kind === "phone" ? "tel" : field.kind === "email" ? "email" : null,
      spellcheck: "false",
    });
    input.value = value;
    return input;
  }

  function showForm(form, notes, alert, keep) {
    const summary = el("p", { class: "alert", role: "alert", tabindex: "-1", hidden: true });
    const card = el("div", { class: "card" });
    const inputs = {};
    const errors = {};
    for (const field of form.fields) {
      const id = "f-" + field.name;
      const hintId = id + "-hint";
      const errorId = id + "-error";
      const tag = field.required ? t("required") : field.required_when || t("optional");
      const label = el("label", { for: id }, field.label, " ", el("span", { class: "tag", text: tag }));
      const hint = field.hint ? el("p", { class: "hint", id: hintId, text: field.hint }) : null;
      const described = [hint ? hintId : "", errorId].filter(Boolean).join(" ");
      const value = field.name in keep ? keep[field.name] : field.value || "";
      const input = control(field, id, described, value);
      const error = el("p", { class: "error", id: errorId, hidden: true });
      inputs[field.name] = input;
      errors[field.name] = error;
      card.append(el("div", { class: "field" }, label, hint, input, error));
    }
    const submit = el("button", { type: "submit", text: form.submit });
    const page = el("form", { novalidate: true, "aria-labelledby": "form-title" },
      el("h1", { id: "form-title", text: form.title }),
      ...notes, alert,
      form.intro ? el("p", { class: "intro", text: form.intro }) : null,
      summary, card, submit,
      el("p", { class: "private", text: t("private") }));

    // A field only some answers require (a company's name) is shown while that answer is chosen.
    const conditional = form.fields.filter((field) => field.required_if && inputs[field.required_if[0]]);
    function showConditional() {
      for (const field of conditional) {
        const [other, wanted] = field.required_if;
        const shown = inputs[other].value === wanted || inputs[field.name].value !== "";
        inputs[field.name].closest(".field").hidden = !shown;
      }
    }
    for (const field of conditional) inputs[field.required_if[0]].addEventListener("change", showConditional);
    showConditional();

    function mark(found, message) {
      let first = null;
      for (const [name, error] of Object.entries(errors)) {
        const text = found[name] || "";
        error.textContent = text;
        error.hidden = !text;
        inputs[name].setAttribute("aria-invalid", text ? "true" : "false");
        if (text) inputs[name].closest(".field").hidden = false;
        if (text && !first) first = inputs[name];
      }
      summary.textContent = message || "";
      summary.hidden = !message;
      if (first) first.focus();
      else if (message) summary.focus();
    }

    page.addEventListener("submit", (event) => {
      event.preventDefault();
      const answers = {};
      for (const [name, input] of Object.entries(inputs)) answers[name] = input.value.trim();
      submit.disabled = true;
      submit.textContent = t("sending");
      request("POST", "form", { form: form.token, answers }).catch(() => ({ status: 0, body: {} })).then((result) => {
        submit.disabled = false;
        submit.textContent = form.submit;
        if (result.status === 409 && result.body.state) return show(result.body.state, result.body.message, answers);
        if (result.status === 200 && result.body.kind === "form") {
          // A form that passed its checks yet is still on screen was not applied: what the chat was told.
          const next = result.body;
          return show({ ...next, notes: [] }, (next.notes || []).join("\n") || t("failed"), answers);
        }
        return answered(result, (body) => mark(body.errors || {}, body.message));
      });
    });
    screen(page);
    if (form.errors && Object.keys(form.errors).length) mark(form.errors, t("refused"));
  }

  function showUpload(next, notes, alert) {
    const upload = next.upload;
    let chosen = null; // { file, image, rotation }
    const problem = el("p", { class: "alert", role: "alert", hidden: true });
    const preview = el("div", { class: "preview", hidden: true });
    const canvas = el("canvas", { role: "img", "aria-label": "" });
    const fileLine = el("p", { class: "file-line", role: "status" });
    const rotate = el("button", { type: "button", class: "secondary", text: t("rotate"), hidden: true });
    const send = el("button", { type: "button", text: t("upload"), disabled: true });
    const bar = el("progress", { max: "100", value: "0", "aria-labelledby": "progress-text" });
    const barText = el("p", { id: "progress-text", class: "file-line", "aria-live": "polite" });
    const progress = el("div", { class: "progress", hidden: true }, bar, barText);
    preview.append(canvas);

    function say(message) { problem.textContent = message || ""; problem.hidden = !message; }

    function draw() {
      const { image, rotation } = chosen;
      const turned = rotation % 180 !== 0;
      canvas.width = turned ? image.naturalHeight : image.naturalWidth;
      canvas.height = turned ? image.naturalWidth : image.naturalHeight;
      const ctx = canvas.getContext("2d");
      ctx.save();
      ctx.translate(canvas.width / 2, canvas.height / 2);
      ctx.rotate((rotation * Math.PI) / 180);
      ctx.drawImage(image, -image.naturalWidth / 2, -image.naturalHeight / 2);
      ctx.restore();
      canvas.setAttribute("aria-label", chosen.file.name);
    }

    function tooBig(size) {
      return size > upload.max_bytes ? t("too_big", { size: humanSize(size), limit: humanSize(upload.max_bytes) }) : "";
    }

    function choose(file) {
      say("");
      chosen = null;
      send.disabled = true;
      rotate.hidden = true;
      preview.hidden = true;
      if (!file) return;
      fileLine.textContent = file.name + " (" + humanSize(file.size) + ")";
      if (tooBig(file.size)) return say(tooBig(file.size));
      if (file.type === "application/pdf") {
        chosen = { file, image: null, rotation: 0 };
        fileLine.textContent = t("pdf_chosen", { name: file.name, size: humanSize(file.size) });
        send.disabled = false;
        return;
      }
      if (!/^image\//.test(file.type)) return say(t("wrong_type"));
      const image = new Image();
      const url = URL.createObjectURL(file);
      image.addEventListener("load", () => {
        URL.revokeObjectURL(url);
        chosen = { file, image, rotation: 0 };
        draw();
        preview.hidden = false;
        rotate.hidden = false;
        send.disabled = false;
      });
      image.addEventListener("error", () => { URL.revokeObjectURL(url); say(t("wrong_type")); });
      image.src = url;
    }

    function blobOf() {
      // Turned images are re-encoded as JPEG from the canvas; others go as they are.
      if (!chosen.image || chosen.rotation === 0) return Promise.resolve({ blob: chosen.file, name: chosen.file.name });
      const name = chosen.file.name.replace(/\.[^.]*$/, "") + ".jpg";
      return new Promise((resolve) => canvas.toBlob((blob) => resolve({ blob, name }), "image/jpeg", 0.92));
    }

    rotate.addEventListener("click", () => { chosen.rotation = (chosen.rotation + 90) % 360; draw(); });
    send.addEventListener("click", () => {
      send.disabled = true;
      rotate.disabled = true;
      blobOf().then(({ blob, name }) => {
        if (!blob) { send.disabled = false; rotate.disabled = false; return say(t("wrong_type")); }
        if (tooBig(blob.size)) { send.disabled = false; rotate.disabled = false; return say(tooBig(blob.size)); }
        const form = new FormData();
        form.append("screen", upload.screen);
        form.append("file", blob, name);
        progress.hidden = false;
        bar.value = 0;
        barText.textContent = t("uploading", { percent: 0 });
        return uploadRequest(form, (percent) => {
          bar.value = percent;
          barText.textContent = t("uploading", { percent });
        }).then((result) => answered(result, (body) => {
          progress.hidden = true;
          send.disabled = false;
          rotate.disabled = false;
          say(body.message || t("failed"));
        }));
      });
    });

    const photo = el("input", { type: "file", id: "photo", accept: "image/*", capture: "environment" });
    const file = el("input", { type: "file", id: "file", accept: "image/*,application/pdf" });
    for (const input of [photo, file]) input.addEventListener("change", () => choose(input.files[0]));
    screen(el("h1", { text: t("title") }), ...notes, alert,
      el("p", { class: "prompt", text: next.text }),
      el("div", { class: "card" },
        el("p", { class: "hint", text: t("pick_hint") }),
        el("label", { class: "pick" }, t("take_photo"), photo),
        el("label", { class: "pick" }, t("pick_file"), file),
        fileLine, preview, rotate, problem, progress, send),
      el("p", { class: "private", text: t("private") }));
  }

  function showChat(next, notes, alert) {
    screen(el("h1", { text: t("title") }), ...notes, alert,
      el("p", { class: "prompt", text: next.text }),
      el("p", { class: "intro", text: t("in_chat") }),
      el("button", { type: "button", text: t("back_to_chat"), onclick: () => postEvent("web_app_close") }));
  }

  // ---------------------------------------------------------------- start
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  request("GET", "state").then(
    (result) => answered(result, (body) => failure(body.message || "…")),
    () => failure("…"),
  );
})();
