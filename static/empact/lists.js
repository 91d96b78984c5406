/* Labels each cell of an admin list with its column's name, for the phone layout of
   static/empact/admin.css (rows as cards). Nothing else changes. */
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const table = document.getElementById("result_list");
  if (!table) return;
  const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.innerText.trim());
  table.querySelectorAll("tbody tr").forEach((row) => {
    Array.from(row.children).forEach((cell, index) => {
      if (heads[index] && !cell.classList.contains("action-checkbox")) cell.dataset.label = heads[index];
    });
  });
});
