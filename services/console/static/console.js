// xueji console: confirmations (确定/取消) before a form goes, and file checks before an upload.
"use strict";

function ask(message) {
  // one modal dialog; resolves true on 确定, false on 取消 or Escape
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector(".message").textContent = message;
  return new Promise((resolve) => {
    const ok = dialog.querySelector("button.ok"), cancel = dialog.querySelector("button.cancel");
    const done = (answer) => { ok.onclick = cancel.onclick = dialog.oncancel = null; dialog.close(); resolve(answer); };
    ok.onclick = () => done(true);
    cancel.onclick = () => done(false);
    dialog.oncancel = (event) => { event.preventDefault(); done(false); };
    dialog.showModal();
    cancel.focus();
  });
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset.confirm || form.dataset.confirmed === "yes") return;
  event.preventDefault();
  if (!(await ask(form.dataset.confirm))) return;
  if (form.dataset.confirm2 && !(await ask(form.dataset.confirm2))) return;
  const flag = form.querySelector("input[name=confirm]");
  if (flag) flag.value = "yes";
  form.dataset.confirmed = "yes";
  form.requestSubmit ? form.requestSubmit(event.submitter || undefined) : form.submit();
});

function checkFiles(input) {
  const max = Number(input.dataset.maxBytes), types = input.dataset.types.split(",");
  const list = document.getElementById(input.dataset.problems);
  const chosen = document.getElementById(input.dataset.chosen);
  list.replaceChildren(); chosen.replaceChildren();
  let bad = 0;
  for (const file of input.files) {
    let ext = (file.name.split(".").pop() || "").toLowerCase();
    if (ext === "jpeg") ext = "jpg";
    const item = document.createElement("li");
    item.textContent = `${file.name}（${(file.size / 1024).toFixed(0)} KB）`;
    chosen.append(item);
    const problem = !types.includes(ext) ? "只能上传 DOC、RAR、JPG 文件"
      : file.size > max ? "文件超过 2 MB" : file.size === 0 ? "文件是空的" : null;
    if (problem) {
      bad += 1;
      const li = document.createElement("li");
      li.textContent = `${file.name}：${problem}`;
      list.append(li);
    }
  }
  const submit = input.form.querySelector("button[type=submit]");
  if (submit) submit.disabled = bad > 0;
}

document.addEventListener("change", (event) => {
  if (event.target.matches("input[type=file][data-max-bytes]")) checkFiles(event.target);
});

// 变更: show old → new as the registrar types
document.addEventListener("input", (event) => {
  const target = event.target.dataset && event.target.dataset.preview;
  if (!target) return;
  const cell = document.getElementById(target);
  if (cell) cell.textContent = event.target.value || "（不变）";
});
