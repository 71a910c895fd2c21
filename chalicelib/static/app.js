"use strict";
// Text from the API or the user reaches the page through textContent only, never as markup.
(() => {
  const path = location.pathname;
  const root = new URL(path.endsWith("/") ? path : path + "/", location.origin);
  const $ = (id) => document.getElementById(id);
  const form = $("form"), row = $("row"), result = $("result");
  const inputs = [...form.querySelectorAll("fieldset input")];
  const byName = (name) => inputs.find((input) => input.name === name);
  // The API's plain decimal (chalicelib.rows); other text is sent as a string for the API to name.
  const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
  let threshold = 0.5, cutoff = "";
  const percent = (share) => `${(100 * share).toFixed(1)} %`;

  const el = (tag, text, className = "", id = "") => {
    const node = Object.assign(document.createElement(tag), { className, id });
    node.textContent = text;
    return node;
  };
  for (const input of inputs) {
    const n = input.id.slice(1);
    input.after(el("small", "", "", "h" + n), el("span", "", "error", "e" + n));
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

  fetch(new URL("model", root), { headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((card) => {
      if (!card || !Array.isArray(card.features)) return;
      for (const { name, training_range: range } of card.features) {
        const input = byName(name);
        if (input && Array.isArray(range)) $(input.id.replace("f", "h")).textContent = `${range[0]} to ${range[1]}`;
      }
      if (typeof card.decision_threshold === "number") {
        threshold = card.decision_threshold;
        cutoff = ` (malignant from ${percent(threshold)}, the model's threshold)`;
      }
      $("card").replaceChildren(el("small", `Beside each field: its range in the training data of model ${card.name} ${card.version}.`));
    })
    .catch(() => {});

  const json = (text) => {
    if (!DECIMAL.test(text)) return JSON.stringify(text);
    const number = Number(text);
    return Number.isFinite(number) ? String(number) : "1e999"; // the API calls it too large
  };

  const showPrediction = ({ prediction, diagnosis, probability_malignant: p, model = {} }) => {
    const meter = Object.assign(document.createElement("meter"), {
      id: "probability", min: 0, max: 1, low: threshold, high: threshold, optimum: 0, value: p,
    });
    const label = el("label", `Probability of malignancy: ${percent(p)}${cutoff}`);
    label.htmlFor = "probability";
    show(el("p", `The model says: ${diagnosis} (${prediction})`, "verdict"), label, meter,
      el("p", `Model ${model.name}, version ${model.version}`));
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
      response = await fetch(new URL("predictbreastcancer", root), {
        method: "POST", headers, body: `{"features":{${members.join(",")}}}`,
      });
      answer = await response.json().catch(() => null);
    } catch {
      return show(el("p", "The API could not be reached.", "refused"));
    }
    if (response.ok && answer && answer.prediction) showPrediction(answer);
    else showRefusal(response.status, answer && answer.error);
  });
})();
