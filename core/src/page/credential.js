// The credential page's copy-link button (conferral::page). Without script the link stays
// readable and selectable in its text box.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.querySelector(".copied");
    if (!field || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = "Link copied.";
      } catch {
        field.select();
        if (status) status.textContent = "Select the link and copy it.";
      }
    });
  }
});
