"use strict";
// Text from the API or the user reaches the page through textContent only, never as markup.
(() => {
  const path = location.pathname;
  const root = new URL(path.endsWith("/") ? path : path + "/", location.origin);
  const $ = (id) => document.getElementById(id);
  const form = $("form"), row = $("row"), result = $("result"), key = $("key");
  // The route, task and classes (chalicelib/pages.py).
  const model = JSON.parse($("model").textContent);
  const inputs = [...form.querySelectorAll("fieldset input")];
  const byName = (name) => inputs.find((input) => input.name === name);
  // The API's plain decimal (chalicelib.rows); other text is sent as a string, for the API.
  const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
  const OUTSIDE = "Outside the training range: the model would extrapolate.";
  const el = (tag, text = "", className = "") => {
    const node = Object.assign(document.createElement(tag), { className });
    node.textContent = text;
    return node;
  };
  // Each field's training range, from its hint ("<low> to <high> <unit>"), and a message slot.
  const ranges = new Map(inputs.map((input) => {
    const n = input.id.slice(1), hint = $(`h${n}`);
    hint.after(Object.assign(el("span"), { id: `e${n}` }));
    input.setAttribute("aria-describedby", `h${n} e${n}`);
    Object.assign(input, { inputMode: "decimal", required: true });
    return [input, hint.textContent.split(" to ").map(parseFloat)];
  }));
  const show = (...nodes) => $("answer").replaceChildren(...nodes);
  // A field's message slot is the last id it is described by: an error, or a warning.
  const mark = (input, message, warn = false) => {
    const slot = $(input.getAttribute("aria-describedby").split(" ").pop());
    slot.textContent = message;
    slot.className = warn ? "warn" : "";
    input.classList.toggle("out", warn && message !== "");
    if (message && !warn) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  // A value outside its training range is marked as it is typed, before anything is sent.
  const check = (input) => {
    const [low, high] = ranges.get(input), text = input.value.trim(), value = Number(text);
    const out = DECIMAL.test(text) && isFinite(value) && (value < low || value > high);
    mark(input, out ? OUTSIDE : "", true);
  };
  const clear = () => { mark(row, ""); inputs.forEach(check); };
  inputs.forEach((input) => input.addEventListener("input", () => check(input)));

  const fill = (text) => {
    const values = text.trim().split(/[,\t]/);
    if (values.length !== inputs.length) {
      mark(row, `Expected ${inputs.length} comma-separated values, found ${values.length}.`);
      return row.focus();
    }
    inputs.forEach((input, i) => { input.value = values[i].trim(); });
    clear();
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
  const percent = (p) => `${(100 * p).toFixed(1)}\u00a0%`;
  const name = (code) => `${model.classes[code]} (${code})`;
  // A bar per probability: the positive class's, marked at the threshold, or each class's.
  const bars = (answer) => model.task === "binary_classification"
    ? [[model.positive, answer[model.probability], model.threshold]]
    : Object.entries(answer.probabilities || {});
  const done = (...nodes) => { show(...nodes); result.focus(); };

  const showPrediction = (answer) => {
    const { prediction, model: identity = {}, warnings = [] } = answer;
    const verdict = model.task === "regression" ? `${model.target} ${prediction}` : name(prediction);
    const nodes = [el("p", `The model says: ${verdict}`, "verdict")];
    bars(answer).forEach(([code, p, threshold], i) => {
      const meter = Object.assign(el("meter"), { id: `p${i + 1}`, min: 0, max: 1, value: p });
      const label = el("label", `Probability of ${name(code)}: ${percent(p)}`);
      const scale = el("div", "", "scale");
      label.htmlFor = meter.id;
      scale.append(meter);
      nodes.push(label, scale);
      if (threshold) {
        Object.assign(meter, { low: threshold, high: threshold, optimum: 0 });
        const tick = scale.appendChild(el("span", "", "mark"));
        tick.style.left = `${100 * threshold}%`;
        const other = Object.keys(model.classes).find((c) => c !== code);
        nodes.push(el("p", `The mark is the threshold, ${percent(threshold)}: from it up the `
          + `model says ${name(code)}, below it ${name(other)}.`));
      }
    });
    for (const warning of warnings) {
      warning.features.forEach((feature) => mark(byName(feature), OUTSIDE, true));
      nodes.push(el("p", warning.message, "warn"));
    }
    done(...nodes, el("p", `Model ${identity.name}, version ${identity.version}`));
  };

  const showRefusal = (status, error) => {
    if (!error) {
      const why = status === 403 ? ": check the API key" : "";
      return done(el("p", `The API refused the request (HTTP ${status})${why}.`, "refused"));
    }
    const input = byName(error.feature) || inputs[error.position - 1];
    const said = el("p", `The API refused the input (HTTP ${status}, ${error.code}): ${error.message}`, "refused");
    if (!input) return done(said);
    show(said);
    mark(input, error.message);
    input.focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    const members = inputs.map((input) => `${JSON.stringify(input.name)}:${json(input.value.trim())}`);
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (key && key.value.trim()) headers["x-api-key"] = key.value.trim();
    show(el("p", "Asking the model…"));
    let response, answer;
    try {
      response = await fetch(new URL(model.route, root), {
        method: "POST", headers, body: `{"features":{${members.join(",")}}}`,
      });
      answer = await response.json().catch(() => null);
    } catch {
      return done(el("p", "The API could not be reached.", "refused"));
    }
    if (response.ok && answer instanceof Object && "prediction" in answer) showPrediction(answer);
    else showRefusal(response.status, answer && answer.error);
  });
})();
