// Notes: live character counts (counted as the server counts), topic and mention
// suggestions while typing, and the gallery's arrows and dots. Works without it too.
(function () {
  "use strict";

  // The server stores text with CRLF as LF, without control characters, trimmed, and
  // counts code points (an emoji or a Chinese character is one).
  function serverLength(value) {
    var text = value.replace(/\r\n?/g, "\n").replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, "").trim();
    return Array.from(text).length;
  }

  function setupCounts(root) {
    root.querySelectorAll("[data-count-for]").forEach(function (out) {
      var input = document.getElementById(out.getAttribute("data-count-for"));
      if (!input) return;
      var max = parseInt(input.getAttribute("data-count-max"), 10);
      function update() {
        var n = serverLength(input.value);
        out.textContent = n + " / " + max;
        out.classList.toggle("over", n > max);
        input.setAttribute("aria-invalid", n > max ? "true" : "false");
      }
      input.addEventListener("input", update);
      update();
    });
  }

  function setupSuggestions(form) {
    var url = form.getAttribute("data-suggest-url");
    form.querySelectorAll("[data-suggest]").forEach(function (area) {
      var list = area.parentElement.querySelector(".suggestions");
      var items = [], active = -1, request = 0, current = null;

      function hide() { list.hidden = true; list.innerHTML = ""; items = []; active = -1; current = null; }

      function fragment() {
        var before = area.value.slice(0, area.selectionStart);
        var m = before.match(/(^|[^A-Za-z0-9_])([#＃])([^\s#＃@＠,.!?;:，。！？；：、]*)$/);
        if (m) return { kind: "topic", start: before.length - m[3].length - 1, prefix: m[3] };
        m = before.match(/(^|[^A-Za-z0-9_.])([@＠])([A-Za-z0-9_]*)$/);
        if (m) return { kind: "handle", start: before.length - m[3].length - 1, prefix: m[3] };
        return null;
      }

      function choose(index) {
        var item = items[index];
        if (!item || !current) return;
        var insert = current.kind === "topic" ? "#" + item.name + "# " : "@" + item.handle + " ";
        var end = area.selectionStart;
        area.value = area.value.slice(0, current.start) + insert + area.value.slice(end);
        var caret = current.start + insert.length;
        area.setSelectionRange(caret, caret);
        hide();
        area.dispatchEvent(new Event("input", { bubbles: true }));
        area.focus();
      }

      function show(found, data) {
        items = found.kind === "topic" ? data.topics : data.handles;
        list.innerHTML = "";
        if (!items || !items.length) { hide(); return; }
        current = found;
        items.forEach(function (item, i) {
          var li = document.createElement("li");
          li.setAttribute("role", "option");
          li.textContent = found.kind === "topic"
            ? "#" + item.name + " · " + item.count
            : "@" + item.handle + (item.display_name ? " · " + item.display_name : "");
          li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
          list.appendChild(li);
        });
        active = -1;
        list.hidden = false;
      }

      area.addEventListener("input", function () {
        var found = fragment();
        if (!found) { hide(); return; }
        var mine = ++request;
        var query = (found.kind === "topic" ? "topic=" : "handle=") + encodeURIComponent(found.prefix);
        fetch(url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { if (data && mine === request) show(found, data); })
          .catch(hide);
      });
      area.addEventListener("keydown", function (e) {
        if (list.hidden) return;
        var options = list.children;
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          active = (active + (e.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
          Array.prototype.forEach.call(options, function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
        } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) {
          e.preventDefault();
          choose(active);
        } else if (e.key === "Escape") {
          hide();
        }
      });
      area.addEventListener("blur", function () { setTimeout(hide, 150); });
    });
  }

  function setupGallery(gallery) {
    var track = gallery.querySelector(".gallery-track");
    var dots = gallery.querySelectorAll("[data-gallery-dot]");
    function index() { return Math.round(track.scrollLeft / Math.max(1, track.clientWidth)); }
    function go(i) {
      var n = track.children.length;
      i = Math.max(0, Math.min(n - 1, i));
      track.scrollTo({ left: i * track.clientWidth });
    }
    function mark() { var i = index(); dots.forEach(function (d, k) { d.setAttribute("aria-current", k === i ? "true" : "false"); }); }
    var prev = gallery.querySelector("[data-gallery-prev]"), next = gallery.querySelector("[data-gallery-next]");
    if (prev) prev.addEventListener("click", function () { go(index() - 1); });
    if (next) next.addEventListener("click", function () { go(index() + 1); });
    dots.forEach(function (d, k) { d.addEventListener("click", function (e) { e.preventDefault(); go(k); }); });
    track.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight") { e.preventDefault(); go(index() + 1); }
      if (e.key === "ArrowLeft") { e.preventDefault(); go(index() - 1); }
    });
    track.addEventListener("scroll", function () { window.requestAnimationFrame(mark); }, { passive: true });
    // Images fade in over their blurhash placeholder once loaded.
    track.querySelectorAll("img").forEach(function (img) {
      if (!img.complete) { img.style.opacity = 0; img.addEventListener("load", function () { img.style.transition = "opacity .2s"; img.style.opacity = 1; }); }
    });
    mark();
  }

  function init() {
    document.querySelectorAll("form.compose").forEach(function (form) { setupCounts(form); setupSuggestions(form); });
    document.querySelectorAll("[data-gallery]").forEach(setupGallery);
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (e) { if (!window.confirm(button.getAttribute("data-confirm"))) e.preventDefault(); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
