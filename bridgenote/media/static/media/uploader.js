/* Bridgenote uploader: choose or drop photos/videos, upload each to /api/media/ with
 * progress, poll until processed, reorder (drag, or the move buttons on touch screens), pick
 * the cover, describe, remove. Keeps hidden inputs "attachment_ids" (in order) and "cover_id"
 * in the enclosing form. Every user-facing text comes translated from data-msg-* attributes. */
(function () {
  "use strict";

  var POLL_MS = [800, 1200, 2000, 3000];

  /* --- blurhash decoding (https://blurha.sh, MIT), to paint a placeholder -------------- */
  var B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
  function b83(str, from, to) {
    var value = 0;
    for (var i = from; i < to; i++) value = value * 83 + B83.indexOf(str[i]);
    return value;
  }
  function toLinear(v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  function toSrgb(v) {
    v = Math.max(0, Math.min(1, v));
    return Math.round(v <= 0.0031308 ? v * 12.92 * 255 : (1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255);
  }
  function signPow(v, e) { return (v < 0 ? -1 : 1) * Math.pow(Math.abs(v), e); }
  function paintBlurhash(canvas, hash) {
    if (!hash || hash.length < 6) return false;
    var size = b83(hash, 0, 1), nx = (size % 9) + 1, ny = Math.floor(size / 9) + 1;
    var maxAc = (b83(hash, 1, 2) + 1) / 166, colors = [];
    var dc = b83(hash, 2, 6);
    colors.push([toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]);
    for (var i = 1; i < nx * ny; i++) {
      var ac = b83(hash, 4 + i * 2, 6 + i * 2);
      colors.push([signPow((Math.floor(ac / 361) - 9) / 9, 2) * maxAc,
                   signPow((Math.floor(ac / 19) % 19 - 9) / 9, 2) * maxAc,
                   signPow((ac % 19 - 9) / 9, 2) * maxAc]);
    }
    var w = 32, h = 32, ctx = canvas.getContext("2d");
    canvas.width = w; canvas.height = h;
    var img = ctx.createImageData(w, h);
    for (var y = 0; y < h; y++) {
      for (var x = 0; x < w; x++) {
        var r = 0, g = 0, b = 0;
        for (var j = 0; j < ny; j++) {
          for (var k = 0; k < nx; k++) {
            var basis = Math.cos(Math.PI * x * k / w) * Math.cos(Math.PI * y * j / h), c = colors[k + j * nx];
            r += c[0] * basis; g += c[1] * basis; b += c[2] * basis;
          }
        }
        var p = 4 * (x + y * w);
        img.data[p] = toSrgb(r); img.data[p + 1] = toSrgb(g); img.data[p + 2] = toSrgb(b); img.data[p + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return true;
  }

  /* --- helpers ------------------------------------------------------------------------ */
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text) node.textContent = text;
    return node;
  }
  function csrfToken(form) {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (e) { /* fall through */ }
    var field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function kindOf(file) {
    if (/^video\//.test(file.type)) return "video";
    if (/\.(mp4|mov|m4v|webm)$/i.test(file.name) && !file.type) return "video";
    return "image";
  }

  function Uploader(root) {
    this.root = root;
    this.form = root.closest("form");
    this.api = root.getAttribute("data-api");
    this.maxImages = parseInt(root.getAttribute("data-max-images"), 10) || 18;
    this.list = root.querySelector("[data-uploader-list]");
    this.inputs = root.querySelector("[data-uploader-inputs]");
    this.items = [];
    this.coverId = root.getAttribute("data-cover-id") || "";
    var initial = document.getElementById("bn-uploader-initial");
    var self = this;
    (initial ? JSON.parse(initial.textContent) : []).forEach(function (data) { self.addExisting(data); });
    this.bind();
    this.sync();
  }

  /* One request at a time: uploads go one after another (a phone's uplink is the limit, and
   * the first photo is ready sooner), with polls and edits slotted in between. */
  Uploader.prototype.enqueue = function (task) {
    var self = this;
    this.queue = (this.queue || Promise.resolve()).then(function () {
      return new Promise(function (done) { task(done); });
    });
    return this.queue;
  };

  Uploader.prototype.msg = function (name) { return this.root.getAttribute("data-msg-" + name) || ""; };

  Uploader.prototype.bind = function () {
    var self = this, input = this.root.querySelector("[data-uploader-input]");
    var drop = this.root.querySelector("[data-uploader-drop]");
    input.addEventListener("change", function () {
      self.addFiles(Array.prototype.slice.call(input.files));
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        if (!event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") < 0) return;
        event.preventDefault(); drop.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      self.addFiles(Array.prototype.slice.call(event.dataTransfer.files));
    });
    if (this.form) {
      this.form.addEventListener("submit", function (event) {
        if (self.items.some(function (item) { return !item.id && !item.error; })) {
          event.preventDefault();
          self.flash(self.msg("still-uploading"));
        }
      });
    }
  };

  Uploader.prototype.flash = function (message) {
    var box = this.root.querySelector("[data-uploader-errors]");
    if (!box) {
      box = el("ul", { "class": "errorlist", "data-uploader-errors": "" });
      this.root.insertBefore(box, this.root.firstChild);
    }
    box.innerHTML = "";
    box.appendChild(el("li", { role: "alert" }, message));
  };

  /* The rules: up to maxImages photos, or exactly one video, never both. */
  Uploader.prototype.refusal = function (kind) {
    var live = this.items.filter(function (item) { return !item.error; });
    var videos = live.filter(function (item) { return item.kind === "video"; }).length;
    var images = live.length - videos;
    if (kind === "video" && images) return this.msg("not-both");
    if (kind === "video" && videos) return this.msg("one-video");
    if (kind === "image" && videos) return this.msg("not-both");
    if (kind === "image" && images >= this.maxImages) return this.msg("too-many-images");
    return "";
  };

  Uploader.prototype.addFiles = function (files) {
    var self = this;
    files.forEach(function (file) {
      var item = self.newItem(kindOf(file));
      item.localUrl = URL.createObjectURL(file);
      var refusal = self.refusal(item.kind);
      self.items.push(item);
      if (refusal) { self.fail(item, refusal); } else { self.upload(item, file); }
      self.render(item);
    });
    this.sync();
  };

  Uploader.prototype.addExisting = function (data) {
    var item = this.newItem(data.kind);
    this.apply(item, data);
    this.items.push(item);
    this.render(item);
    if (item.state === "uploaded" || item.state === "processing") this.poll(item, 0);
  };

  Uploader.prototype.newItem = function (kind) {
    var node = el("li", { "class": "bn-uploader-item", draggable: "true" });
    return { kind: kind, id: "", state: "uploading", progress: 0, node: node, data: null, error: "" };
  };

  Uploader.prototype.apply = function (item, data) {
    item.id = data.id; item.kind = data.kind; item.state = data.state; item.data = data;
    if (data.state === "failed") item.error = data.message || this.msg("failed");
  };

  Uploader.prototype.fail = function (item, message) { item.error = message; item.state = "failed"; };

  Uploader.prototype.upload = function (item, file) {
    var self = this;
    this.enqueue(function (done) { self.send(item, file, done); });
  };

  Uploader.prototype.send = function (item, file, done) {
    var self = this, xhr = new XMLHttpRequest(), body = new FormData();
    if (this.items.indexOf(item) < 0) { done(); return; }  // removed while waiting
    body.append("file", file, file.name);
    xhr.open("POST", this.api);
    xhr.setRequestHeader("X-CSRFToken", csrfToken(this.form));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { item.progress = event.loaded / event.total; self.render(item); }
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 202 && data) {
        self.apply(item, data);
        self.poll(item, 0);
      } else if (xhr.status === 401 || xhr.status === 403) {
        self.fail(item, self.msg("signed-out"));
      } else {
        self.fail(item, (data && data.message) || self.msg("network"));
      }
      self.render(item); self.sync(); done();
    });
    xhr.addEventListener("error", function () {
      self.fail(item, self.msg("network")); self.render(item); self.sync(); done();
    });
    xhr.send(body);
  };

  Uploader.prototype.poll = function (item, attempt) {
    var self = this;
    window.setTimeout(function () {
      if (self.items.indexOf(item) < 0) return;  // removed meanwhile
      self.enqueue(function (done) {
        fetch(self.api + item.id, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            done();
            if (!data) { self.poll(item, attempt + 1); return; }
            if (self.items.indexOf(item) < 0) return;
            self.apply(item, data); self.render(item); self.sync();
            if (data.state === "uploaded" || data.state === "processing") self.poll(item, attempt + 1);
          })
          .catch(function () { done(); self.poll(item, attempt + 1); });
      });
    }, POLL_MS[Math.min(attempt, POLL_MS.length - 1)]);
  };

  Uploader.prototype.remove = function (item) {
    this.items.splice(this.items.indexOf(item), 1);
    item.node.remove();
    if (item.localUrl) URL.revokeObjectURL(item.localUrl);
    if (item.id) {
      var self = this, url = this.api + item.id, token = csrfToken(this.form);
      // 409 means a saved note uses it: then it only leaves this form's list.
      this.enqueue(function (done) {
        fetch(url, { method: "DELETE", credentials: "same-origin",
                     headers: { "X-CSRFToken": token, Accept: "application/json" } })
          .then(done, done);  // on failure the server purges the orphan later
      });
    }
    if (item.id === this.coverId) this.coverId = "";
    this.sync();
  };

  Uploader.prototype.move = function (item, delta) {
    var from = this.items.indexOf(item), to = from + delta;
    if (to < 0 || to >= this.items.length) return;
    this.items.splice(from, 1); this.items.splice(to, 0, item);
    this.sync();
    var button = item.node.querySelector(delta < 0 ? "[data-left]" : "[data-right]");
    if (button && !button.disabled) button.focus();
  };

  Uploader.prototype.render = function (item) {
    var self = this, node = item.node, data = item.data || {};
    var card = data.renditions && data.renditions.card;
    var typing = node.querySelector(".bn-alt");  // keep what is being typed across redraws
    typing = typing && typing === document.activeElement ? typing.value : null;
    node.innerHTML = "";
    node.classList.toggle("failed", !!item.error);
    node.setAttribute("data-id", item.id);
    var thumb = el("div", { "class": "bn-thumb" });
    node.appendChild(thumb);
    if (card && card.url) {
      thumb.appendChild(el("img", { src: card.url, alt: data.alt_text || "" }));
    } else {
      var canvas = el("canvas", { "aria-hidden": "true" });
      if (paintBlurhash(canvas, data.blurhash)) thumb.appendChild(canvas);
      if (item.localUrl && item.kind === "image") {
        var img = el("img", { src: item.localUrl, alt: "" });
        img.addEventListener("error", function () { img.remove(); });  // e.g. HEIC outside Safari
        thumb.appendChild(img);
      } else if (item.localUrl) {
        thumb.appendChild(el("video", { src: item.localUrl, muted: "", playsinline: "", preload: "metadata" }));
      }
    }
    if (item.kind === "image" && item.id && item.id === this.currentCover()) {
      thumb.appendChild(el("span", { "class": "bn-cover-badge" }, this.msg("cover")));
    }
    var tools = el("div", { "class": "bn-tools" });
    var index = this.items.indexOf(item);
    var left = el("button", { type: "button", "data-left": "", "aria-label": this.msg("move-left"), title: this.msg("move-left") }, "‹");
    var right = el("button", { type: "button", "data-right": "", "aria-label": this.msg("move-right"), title: this.msg("move-right") }, "›");
    left.disabled = index <= 0; right.disabled = index < 0 || index >= this.items.length - 1;
    left.addEventListener("click", function () { self.move(item, -1); });
    right.addEventListener("click", function () { self.move(item, 1); });
    var remove = el("button", { type: "button", "data-remove": "", "aria-label": this.msg("remove"), title: this.msg("remove") }, "×");
    remove.addEventListener("click", function () { self.remove(item); });
    tools.appendChild(remove); tools.appendChild(left); tools.appendChild(right);
    if (item.kind === "image" && item.id && !item.error && item.id !== this.currentCover()) {
      var cover = el("button", { type: "button", "data-cover": "", "aria-label": this.msg("set-cover"), title: this.msg("set-cover") }, "★");
      cover.addEventListener("click", function () { self.coverId = item.id; self.sync(); });
      tools.appendChild(cover);
    }
    thumb.appendChild(tools);
    if (item.state === "uploading" && !item.error) {
      var bar = el("progress", { max: "100" }); bar.value = Math.round(item.progress * 100);
      thumb.appendChild(bar);
    }
    var label = item.error ? this.msg("failed") : {
      uploading: this.msg("uploading"), uploaded: this.msg("processing"),
      processing: this.msg("processing"), ready: item.kind === "video" ? this.msg("video") : this.msg("ready")
    }[item.state];
    thumb.appendChild(el("span", { "class": "bn-state", "data-state": item.error ? "failed" : item.state }, label));
    if (item.error) node.appendChild(el("p", { "class": "bn-error", role: "alert" }, item.error));
    if (item.id && !item.error) {
      var alt = el("input", { type: "text", "class": "bn-alt", maxlength: "1500",
                              placeholder: this.msg("alt"), "aria-label": this.msg("alt") });
      alt.value = typing !== null ? typing : (data.alt_text || "");
      alt.addEventListener("change", function () { self.describe(item, alt.value); });
      node.appendChild(alt);
      if (typing !== null) alt.focus();
    }
    this.bindDrag(item);
  };

  Uploader.prototype.describe = function (item, text) {
    var self = this;
    this.enqueue(function (done) {
      fetch(self.api + item.id, {
        method: "PATCH", credentials: "same-origin", body: JSON.stringify({ alt_text: text }),
        headers: { "X-CSRFToken": csrfToken(self.form), "Content-Type": "application/json", Accept: "application/json" }
      }).then(function (response) { return response.json(); }).then(function (data) {
        done();
        if (data && data.id) { item.data = data; } else if (data && data.message) { self.flash(data.message); }
      }).catch(function () { done(); self.flash(self.msg("network")); });
    });
  };

  Uploader.prototype.bindDrag = function (item) {
    var self = this, node = item.node;
    if (node.getAttribute("data-drag-bound")) return;
    node.setAttribute("data-drag-bound", "1");
    node.addEventListener("dragstart", function (event) {
      self.dragged = item; node.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.id || "");
    });
    node.addEventListener("dragend", function () {
      node.classList.remove("dragging"); self.dragged = null; self.clearDropMarks();
    });
    node.addEventListener("dragover", function (event) {
      if (!self.dragged || self.dragged === item) return;
      event.preventDefault();
      var box = node.getBoundingClientRect(), after = event.clientX > box.left + box.width / 2;
      self.clearDropMarks();
      node.classList.add(after ? "drop-after" : "drop-before");
    });
    node.addEventListener("drop", function (event) {
      if (!self.dragged || self.dragged === item) return;
      event.preventDefault();
      var box = node.getBoundingClientRect(), after = event.clientX > box.left + box.width / 2;
      self.items.splice(self.items.indexOf(self.dragged), 1);
      self.items.splice(self.items.indexOf(item) + (after ? 1 : 0), 0, self.dragged);
      self.clearDropMarks(); self.sync();
    });
  };

  Uploader.prototype.clearDropMarks = function () {
    this.items.forEach(function (other) { other.node.classList.remove("drop-before", "drop-after"); });
  };

  /* The cover: the chosen photo if still present, else the first usable photo. */
  Uploader.prototype.currentCover = function () {
    var self = this, usable = this.items.filter(function (item) { return item.kind === "image" && item.id && !item.error; });
    if (usable.some(function (item) { return item.id === self.coverId; })) return this.coverId;
    return usable.length ? usable[0].id : "";
  };

  /* Redraw the list in order and rewrite the hidden inputs of the form. */
  Uploader.prototype.sync = function () {
    var self = this;
    this.items.forEach(function (item) { self.list.appendChild(item.node); self.render(item); });
    this.inputs.innerHTML = "";
    this.items.forEach(function (item) {
      if (item.id && !item.error) self.inputs.appendChild(el("input", { type: "hidden", name: "attachment_ids", value: item.id }));
    });
    this.inputs.appendChild(el("input", { type: "hidden", name: "cover_id", value: this.currentCover() }));
    this.root.dispatchEvent(new CustomEvent("uploader:change", { bubbles: true, detail: { ids: this.items.map(function (i) { return i.id; }) } }));
  };

  function init(scope) {
    (scope || document).querySelectorAll("[data-uploader]").forEach(function (root) {
      if (!root.bnUploader) root.bnUploader = new Uploader(root);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
