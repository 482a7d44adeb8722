// The side panel's script: posts the form and history clicks to the
// extension and shows the HTML it renders (escaped, built in the extension
// host). Runs under CSP default-src 'none' with a nonce.
(function () {
  const vscode = acquireVsCodeApi();
  const form = document.getElementById("probe-form");
  const result = document.getElementById("result");
  const history = document.getElementById("history");
  const button = document.getElementById("probe-button");
  const scanButton = document.getElementById("scan-button");
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

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const request = formValues();
    vscode.setState(request);
    if (!request.target) {
      document.getElementById("target").focus();
      return;
    }
    vscode.postMessage({ type: "probe", request });
  });
  scanButton.addEventListener("click", () => {
    const request = formValues();
    vscode.setState(request);
    if (!request.target) {
      document.getElementById("target").focus();
      return;
    }
    vscode.postMessage({ type: "scan", request });
  });
  document.querySelectorAll("button.browse").forEach((b) => {
    b.addEventListener("click", () => {
      vscode.postMessage({ type: "browse", field: b.dataset.field });
    });
  });
  // History items are buttons: Enter and Space work without extra handlers.
  history.addEventListener("click", (e) => {
    const item = e.target.closest("button.history-item");
    if (item) {
      vscode.postMessage({ type: "select", id: Number(item.dataset.id) });
    }
  });

  // Buttons inside the rendered result (retry with a CA file, raw JSON).
  result.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-action]");
    if (b) vscode.postMessage({ type: b.dataset.action, id: Number(b.dataset.id) });
  });

  globalThis.addEventListener("message", (event) => {
    const m = event.data;
    if (m.type === "state") {
      result.innerHTML = m.result;
      history.innerHTML = m.history;
      button.disabled = m.running;
      scanButton.disabled = m.running;
      if (m.form) {
        // Only the fields the probe named: a palette or CodeLens probe (a target
        // alone) keeps the options typed in the form.
        for (const f of fields) {
          if (m.form[f] !== undefined) document.getElementById(f).value = m.form[f];
        }
        // The protocol goes with the target: a new target without one is direct TLS.
        if (m.form.target !== undefined && m.form.starttls === undefined) {
          document.getElementById("starttls").value = "";
        }
        vscode.setState(formValues());
      }
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
