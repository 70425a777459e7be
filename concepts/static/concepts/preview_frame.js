// In the panel beside the change form, an error's link puts the cursor where the error is,
// in the form field that holds the TeX, instead of leaving the form.
"use strict";
document.addEventListener("click", (event) => {
  const link = event.target.closest(".preview-error-link");
  if (!link || window.parent === window || !link.dataset.field) {
    return;
  }
  const field = window.parent.document.getElementById(link.dataset.field);
  if (!field) {
    return;
  }
  event.preventDefault();
  for (let details = field.closest("details"); details; details = details.parentElement.closest("details")) {
    details.open = true;
  }
  field.scrollIntoView({ block: "center" });
  field.focus();
  const offset = Number(link.dataset.offset) || 0;
  if (typeof field.setSelectionRange === "function") {
    field.setSelectionRange(offset, offset);
  }
});
