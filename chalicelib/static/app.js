"use strict";
// Text from the API or the user reaches the page through textContent only, never as markup.
(() => {
  const path = location.pathname;
  const root = new URL(path.endsWith("/") ? path : path + "/", location.origin);
  const $ = (id) => document.getElementById(id);
  const form = $("form"), row = $("row"), result = $("result");
  // The route, task and classes, from the model's contract (chalicelib/pages.py).
  const model = JSON.parse($("model").textContent);
  const inputs = [...form.querySelectorAll("fieldset input")];
  const byName = (name) => inputs.find((input) => input.name === name);
  // The API's plain decimal (chalicelib.rows); other text is sent as a string for the API to name.
  const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

  const el = (tag, text, className = "") => {
    const node = Object.assign(document.createElement(tag), { className });
    node.textContent = text;
    return node;
  };
  for (const input of inputs) {
    const n = input.id.slice(1);
    input.setAttribute("aria-describedby", `h${n} e${n}`);
  }
  const show = (...nodes) => result.replaceChildren(...nodes);
  // A field's error slot is the last id it is described by.
  const mark = (input, message) => {
    $(input.getAttribute("aria-describedby").split(" ").pop()).textContent = message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const clear = () => [row, ...inputs].forEach((input) => mark(input, ""));

  const fill = (text) => {
    clear();
    const values = text.trim().split(/[,\t]/);
    if (values.length !== inputs.length) {
      mark(row, `Expected ${inputs.length} comma-separated values, found ${values.length}.`);
      row.focus();
    } else inputs.forEach((input, i) => { input.value = values[i].trim(); });
  };
  $("fill").addEventListener("click", () => fill(row.value));
  for (const button of form.querySelectorAll("[data-row]")) {
    button.addEventListener("click", () => fill(row.value = button.dataset.row));
  }

  const json = (text) => {
    if (!DECIMAL.test(text)) return JSON.stringify(text);
    const number = Number(text);
    return Number.isFinite(number) ? String(number) : "1e999"; // the API calls it too large
  };
  const percent = (p) => `${(100 * p).toFixed(1)} %`;

  // A labelled bar per probability: the positive class's (binary), or each class's.
  const bars = (answer) => model.task === "binary_classification"
    ? [[`${model.classes[model.positive]} (${model.positive})`, answer[model.probability], model.threshold]]
    : Object.entries(answer.probabilities || {}).map(([code, p]) => [`${model.classes[code]} (${code})`, p]);

  const showPrediction = (answer) => {
    const { prediction, model: identity = {} } = answer;
    const verdict = model.task === "regression"
      ? `${model.target} ${prediction}` : `${model.classes[prediction]} (${prediction})`;
    const nodes = [el("p", `The model says: ${verdict}`, "verdict")];
    bars(answer).forEach(([name, p, threshold], i) => {
      const meter = Object.assign(document.createElement("meter"), { id: `p${i + 1}`, min: 0, max: 1, value: p });
      const label = el("label", `Probability of ${name}: ${percent(p)}`);
      if (threshold) {
        Object.assign(meter, { low: threshold, high: threshold, optimum: 0 });
        label.textContent += `; the threshold is ${percent(threshold)}`;
      }
      label.htmlFor = meter.id;
      nodes.push(label, meter);
    });
    show(...nodes, el("p", `Model ${identity.name}, version ${identity.version}`));
  };

  const showRefusal = (status, error) => {
    if (!error) {
      const why = status === 403 ? ": check the API key" : "";
      return show(el("p", `The API refused the request (HTTP ${status})${why}.`, "refused"));
    }
    const input = byName(error.feature) || inputs[error.position - 1];
    if (input) {
      mark(input, error.message);
      input.focus();
    }
    show(el("p", `The API refused the input (HTTP ${status}, ${error.code}): ${error.message}`, "refused"));
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const members = inputs.map((input) => `${JSON.stringify(input.name)}:${json(input.value.trim())}`);
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const key = $("key").value.trim();
    if (key) headers["x-api-key"] = key;
    show(el("p", "Asking the model…"));
    let response, answer;
    try {
      response = await fetch(new URL(model.route, root), {
        method: "POST", headers, body: `{"features":{${members.join(",")}}}`,
      });
      answer = await response.json().catch(() => null);
    } catch {
      return show(el("p", "The API could not be reached.", "refused"));
    }
    if (response.ok && answer instanceof Object && "prediction" in answer) showPrediction(answer);
    else showRefusal(response.status, answer && answer.error);
  });
})();
