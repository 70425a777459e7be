// The preview panel beside the concept's change form opens and closes from the page's tools.
// Closed, the form has the window's whole width (no inline column scrolls out of sight); the
// panel's page is loaded the first time it opens, and the choice is kept for the next page.
"use strict";
(() => {
  const panel = document.getElementById("preview-panel");
  const toggles = document.querySelectorAll(".preview-toggle");
  if (!panel || toggles.length === 0) {
    return;
  }
  const frame = document.getElementById("preview-frame");
  const remembered = "concept-preview-open";
  const show = (open) => {
    panel.hidden = !open;
    for (const toggle of toggles) {
      toggle.setAttribute("aria-expanded", String(open));
      if (toggle.dataset.labelled !== undefined) {
        toggle.textContent = open ? "Hide preview" : "Show preview";
      }
    }
    if (open && !frame.getAttribute("src")) {
      frame.setAttribute("src", frame.dataset.src);
    }
    try {
      window.localStorage.setItem(remembered, open ? "1" : "");
    } catch (error) {
      // Storage refused (private mode): the panel still opens, only the choice is not kept.
    }
  };
  for (const toggle of toggles) {
    toggle.addEventListener("click", (event) => {
      event.preventDefault();
      show(panel.hidden);
    });
  }
  let open = false;
  try {
    open = window.localStorage.getItem(remembered) === "1";
  } catch (error) {
    open = false;
  }
  show(open);
})();
