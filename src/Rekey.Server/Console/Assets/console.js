// Rekey console: progressive enhancement only. Every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("rekey-theme"); } catch (e) { /* storage off */ }
  if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);

  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }

  ready(function () {
    // Theme toggle.
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.addEventListener("click", function () {
        var dark = root.getAttribute("data-theme") === "dark" ||
          (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
        var next = dark ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem("rekey-theme", next); } catch (e) { /* storage off */ }
      });
    });

    // Copy buttons: data-copy="#id" copies that element's text.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          var label = button.textContent;
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = label; }, 1500);
        });
      });
    });

    // Confirmations: forms with data-confirm ask first.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
      });
    });

    // Typed confirmation: the submit button stays disabled until the field holds the expected text.
    document.querySelectorAll("[data-type-to-confirm]").forEach(function (input) {
      var button = input.form && input.form.querySelector("button[type=submit]");
      if (!button) return;
      var check = function () { button.disabled = input.value !== input.getAttribute("data-type-to-confirm"); };
      input.addEventListener("input", check);
      check();
    });

    // Countdowns: <time data-countdown datetime="…"> shows "in 3 h 4 min" / "2 d ago", every 30 s.
    function span(ms) {
      var s = Math.round(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      return d > 0 ? d + " d " + h + " h" : h > 0 ? h + " h " + m + " min" : m > 0 ? m + " min" : (s % 60) + " s";
    }
    function tick() {
      document.querySelectorAll("time[data-countdown]").forEach(function (t) {
        var ms = Date.parse(t.getAttribute("datetime")) - Date.now();
        t.textContent = ms >= 0 ? "in " + span(ms) : span(ms) + " ago";
        t.title = new Date(t.getAttribute("datetime")).toLocaleString();
      });
    }
    tick();
    setInterval(tick, 30000);

    // The client secret rules as you type: the server's own rule texts, carried by data attributes.
    document.querySelectorAll("input[data-secret-rules]").forEach(function (input) {
      var out = document.getElementById(input.getAttribute("aria-describedby").split(" ")[0]);
      var max = parseInt(input.getAttribute("maxlength") || "86", 10);
      input.addEventListener("input", function () {
        var v = input.value, message = "";
        if (v.length === 0) message = input.getAttribute("data-msg-empty");
        else if (v.length > max) message = input.getAttribute("data-msg-long").replace("{0}", v.length).replace("{1}", max);
        else {
          for (var i = 0; i < v.length; i++) {
            if (!/[A-Za-z0-9_-]/.test(v[i])) { message = input.getAttribute("data-msg-char").replace("{0}", i + 1); break; }
          }
        }
        input.setAttribute("aria-invalid", message ? "true" : "false");
        if (out) out.textContent = message || (v.length + " of " + max + " characters; allowed.");
      });
    });
  });
})();
