// The side panel's script: posts the form, Cancel and result buttons to the
// extension and shows the HTML it renders (escaped, built in the extension
// host). Runs under CSP default-src 'none' with a nonce.
(function () {
  const vscode = acquireVsCodeApi();
  const form = document.getElementById("probe-form");
  const result = document.getElementById("result");
  const button = document.getElementById("probe-button");
  const scanButton = document.getElementById("scan-button");
  const target = document.getElementById("target");
  const targetError = document.getElementById("target-error");
  const fields = [
    "target",
    "caFile",
    "certFile",
    "keyFile",
    "alpn",
    "serverName",
    "starttls",
  ];

  const saved = vscode.getState() || {};
  for (const f of fields) {
    if (saved[f]) document.getElementById(f).value = saved[f];
  }
  function formValues() {
    const v = {};
    for (const f of fields) {
      const s = document.getElementById(f).value.trim();
      if (s) v[f] = s;
    }
    return v;
  }
  // The extension checks the target with the CLI's own parser and answers a
  // typo with "invalid": the message goes next to the field.
  function showInvalid(message) {
    targetError.textContent = message;
    targetError.hidden = false;
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", "target-error");
    target.focus();
  }
  function clearInvalid() {
    if (targetError.hidden) return;
    targetError.hidden = true;
    targetError.textContent = "";
    target.removeAttribute("aria-invalid");
    target.removeAttribute("aria-describedby");
  }
  target.addEventListener("input", clearInvalid);

  function submit(type) {
    const request = formValues();
    vscode.setState(request);
    vscode.postMessage({
      type,
      request: { ...request, target: request.target ?? "" },
    });
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit("probe");
  });
  scanButton.addEventListener("click", () => submit("scan"));
  document.querySelectorAll("button.browse").forEach((b) => {
    b.addEventListener("click", () => {
      vscode.postMessage({ type: "browse", field: b.dataset.field });
    });
  });

  // Buttons inside the rendered result (Cancel, retry with a CA file, raw JSON, copy).
  result.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-action]");
    if (b) {
      vscode.postMessage({
        type: b.dataset.action,
        id: Number(b.dataset.id),
        value: b.dataset.value,
      });
    }
  });

  let wasRunning = false;
  globalThis.addEventListener("message", (event) => {
    const m = event.data;
    if (m.type === "progress") {
      // A scan's progress: only the bar and its text change.
      const bar = document.querySelector("#running progress");
      const text = document.getElementById("scan-progress");
      if (!bar || !text) return;
      bar.max = 100;
      bar.value = m.percent;
      text.textContent = m.text;
      text.dataset.percent = String(m.percent);
    } else if (m.type === "state") {
      const hadFocus = result.contains(document.activeElement);
      result.innerHTML = m.result;
      button.disabled = m.running;
      scanButton.disabled = m.running;
      if (m.running) {
        clearInvalid();
        // Keyboard users land on Cancel when a probe starts (not on every repaint).
        if (!wasRunning || hadFocus) {
          document.getElementById("cancel-probe")?.focus();
        }
      } else if (hadFocus) target.focus();
      wasRunning = m.running;
      if (m.form) {
        // Only the fields the probe named: a palette or CodeLens probe (a target
        // alone) keeps the options typed in the form.
        for (const f of fields) {
          if (m.form[f] !== undefined) {
            document.getElementById(f).value = m.form[f];
          }
        }
        // The protocol goes with the target: a new target without one is direct TLS.
        if (m.form.target !== undefined && m.form.starttls === undefined) {
          document.getElementById("starttls").value = "";
        }
        vscode.setState(formValues());
      }
    } else if (m.type === "invalid") {
      showInvalid(m.message);
    } else if (m.type === "browsed") {
      const input = document.getElementById(m.field);
      input.value = m.path;
      document.getElementById("options").open = true;
      input.focus();
      vscode.setState(formValues());
    }
  });
  vscode.postMessage({ type: "ready" });
})();
