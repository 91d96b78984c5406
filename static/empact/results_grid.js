/* The results grid (oap/admin_grid.py): Enter moves to the next figure, a pasted column fills
   the rows below. The server reads and checks every value; this only moves the cursor. */
(function () {
  "use strict";
  const form = document.getElementById("results-grid");
  if (!form) return;
  const note = document.getElementById("grid-paste-note");
  const shown = () => Array.from(form.querySelectorAll("input[data-grid-value]"))
    .filter((input) => input.offsetParent !== null);

  form.addEventListener("keydown", (event) => {
    const input = event.target;
    if (event.key !== "Enter" || !input.matches("input[data-grid-value]")) return;
    event.preventDefault();  // Enter moves on; the buttons save
    const inputs = shown();
    const next = inputs[inputs.indexOf(input) + (event.shiftKey ? -1 : 1)];
    const target = next || (event.shiftKey ? null : document.getElementById("grid-save"));
    if (target) {
      target.focus();
      if (target.select) target.select();
    }
  });

  form.addEventListener("paste", (event) => {
    const input = event.target;
    if (!input.matches("input[data-grid-value]")) return;
    const text = (event.clipboardData || window.clipboardData).getData("text");
    const cells = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n")
      .map((line) => line.split("\t")[0].trim());
    if (cells.length < 2) return;  // one cell: the browser's own paste
    event.preventDefault();
    const inputs = shown();
    const start = inputs.indexOf(input);
    let filled = 0;
    cells.forEach((cell, offset) => {
      const target = inputs[start + offset];
      if (!target) return;
      target.value = cell;
      target.classList.add("pasted");
      filled += 1;
    });
    const left = cells.length - filled;
    note.textContent = `${filled} values pasted into consecutive rows` +
      (left ? `; ${left} did not fit (no more rows below).` : ".") + " Check them, then save.";
    const last = inputs[start + filled - 1];
    if (last) last.focus();
  });
})();
