// connectd console: reads and drives the Kafka Connect REST API of the node that served it.
"use strict";

const $ = (sel) => document.querySelector(sel);
let selected = null;   // name of the connector shown in detail
let configDirty = false; // the user edits the config: do not overwrite it on refresh

// api calls the REST API and returns the decoded body; an error answer throws Kafka Connect's
// message. A 409 during an election or rebalance is retried a few times, as Kafka Connect clients do.
async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(method, path, body);
    } catch (e) {
      if (e.status !== 409 || attempt >= 10 || !/momentarily|rebalance|leader/i.test(e.message)) throw e;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

async function call(method, path, body) {
  const opts = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = text; }
  }
  if (!resp.ok) {
    const err = new Error((data && data.message) || resp.status + " " + resp.statusText);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

async function refreshCluster() {
  try {
    const [info, cluster] = await Promise.all([api("GET", "/"), api("GET", "/connectd/cluster")]);
    $("#node-info").textContent = `node ${cluster.node_id} · Kafka Connect ${info.version} · commit ${info.commit}`;
    fill($("#nodes tbody"), cluster.members.map((m) => el("tr", { "data-node": m.node_id },
      el("td", {}, m.node_id),
      el("td", { class: m.status === "alive" ? "healthy" : "unhealthy" }, m.status),
      el("td", {}, m.node_id === cluster.leader ? "leader" : "follower"),
      el("td", {}, m.version || ""),
      el("td", {}, el("a", { href: m.rest_url + "/ui/" }, m.rest_url)))));
  } catch (e) {
    $("#node-info").textContent = "cannot read the cluster: " + e.message;
  }
  try {
    const h = await api("GET", "/health");
    setBadge($("#health"), h.status, h.status);
  } catch (e) {
    setBadge($("#health"), e.message, e.status === 503 ? "starting" : "unhealthy");
  }
}

function setBadge(node, text, cls) {
  node.textContent = text;
  node.className = "badge " + cls;
}

async function refreshConnectors() {
  let all;
  try {
    all = await api("GET", "/connectors?expand=info&expand=status");
  } catch (e) {
    return;
  }
  const names = Object.keys(all).sort();
  $("#no-connectors").hidden = names.length > 0;
  fill($("#connectors tbody"), names.map((n) => {
    const c = all[n];
    const st = c.status || { connector: {}, tasks: [] };
    const running = st.tasks.filter((t) => t.state === "RUNNING").length;
    const row = el("tr", { "data-connector": n, class: n === selected ? "selected" : "" },
      el("td", {}, n),
      el("td", {}, st.type || (c.info && c.info.type) || ""),
      el("td", { class: "state " + (st.connector.state || "") }, st.connector.state || ""),
      el("td", {}, `${running}/${st.tasks.length} running`),
      el("td", {}, st.connector.worker_id || ""),
      el("td", {}, (c.info && c.info.config["connector.class"]) || ""));
    row.addEventListener("click", () => select(n));
    return row;
  }));
  if (selected && !all[selected]) {
    selected = null;
    $("#detail").hidden = true;
  }
}

async function select(name) {
  if (selected !== name) configDirty = false;
  selected = name;
  $("#detail").hidden = false;
  $("#detail-name").textContent = name;
  $("#detail-message").textContent = "";
  for (const r of document.querySelectorAll("#connectors tbody tr")) r.classList.toggle("selected", r.dataset.connector === name);
  await refreshDetail();
}

async function refreshDetail() {
  if (!selected) return;
  const name = selected;
  const path = "/connectors/" + encodeURIComponent(name);
  let status;
  try {
    status = await api("GET", path + "/status");
  } catch (e) {
    $("#detail-message").textContent = e.message;
    return;
  }
  if (name !== selected) return;
  setBadge($("#detail-state"), status.connector.state, status.connector.state);
  const instances = [{ label: "connector", ...status.connector }].concat(status.tasks.map((t) => ({ label: "task " + t.id, ...t })));
  fill($("#detail-tasks tbody"), instances.map((i) => el("tr", { "data-instance": i.label },
    el("td", {}, i.label), el("td", { class: "state " + i.state }, i.state), el("td", {}, i.worker_id))));
  $("#traces").replaceChildren(...instances.filter((i) => i.trace).map((i) =>
    el("div", {}, el("h3", {}, `Trace of ${i.label} (${i.state})`), el("pre", { class: "trace" }, i.trace))));
  if (!configDirty) {
    try {
      showConfig(await api("GET", path + "/config"), {});
    } catch (e) { /* deleted meanwhile */ }
  }
  try {
    const topics = await api("GET", path + "/topics");
    const list = (topics[name] && topics[name].topics) || [];
    $("#topics").textContent = list.length ? list.join(", ") : "none recorded";
  } catch (e) {
    $("#topics").textContent = e.message;
  }
  try {
    const offsets = await api("GET", path + "/offsets");
    fill($("#offsets tbody"), offsets.offsets.map((o) => el("tr", {},
      el("td", {}, JSON.stringify(o.partition)), el("td", {}, JSON.stringify(o.offset)))));
  } catch (e) {
    fill($("#offsets tbody"), [el("tr", {}, el("td", { colSpan: 2, class: "muted" }, e.message))]);
  }
}

// showConfig renders the config as editable rows, with validation errors next to their keys.
function showConfig(config, errors) {
  const keys = Object.keys(config).sort();
  fill($("#config tbody"), keys.map((k) => {
    const input = el("input", { value: config[k], "data-key": k });
    input.addEventListener("input", () => { configDirty = true; });
    const remove = el("button", { type: "button", title: "remove key" }, "×");
    remove.addEventListener("click", () => { configDirty = true; remove.closest("tr").remove(); });
    return el("tr", { "data-key": k }, el("td", {}, k), el("td", {}, input),
      el("td", { class: "error" }, (errors[k] || []).join("; "), " ", k === "name" ? "" : remove));
  }));
}

function editedConfig() {
  const out = {};
  for (const input of document.querySelectorAll("#config tbody input")) out[input.dataset.key] = input.value;
  return out;
}

// validate asks the plugin's validator and returns the errors by key.
async function validate(config) {
  const cls = config["connector.class"] || "";
  const result = await api("PUT", "/connector-plugins/" + encodeURIComponent(cls) + "/config/validate", config);
  const errors = {};
  for (const c of result.configs || []) {
    if (c.value && c.value.errors && c.value.errors.length) errors[c.value.name] = c.value.errors;
  }
  return { count: result.error_count || 0, errors };
}

async function action(method, suffix, label) {
  const msg = $("#detail-message");
  msg.className = "message";
  try {
    await api(method, "/connectors/" + encodeURIComponent(selected) + suffix);
    msg.textContent = label;
  } catch (e) {
    msg.textContent = e.message;
    msg.className = "message bad";
  }
  await refreshAll();
}

function parseLines(text) {
  const out = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const i = line.search(/[=:]/);
    if (i < 0) out[line] = "";
    else out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function newConfig() {
  const config = parseLines($("#new-config").value);
  config["connector.class"] = $("#new-class").value;
  config.name = $("#new-name").value.trim();
  return config;
}

function showErrors(box, errors, message) {
  const lines = Object.entries(errors).map(([k, errs]) => el("div", { "data-key": k }, `${k}: ${errs.join("; ")}`));
  if (message) lines.unshift(el("div", {}, message));
  box.replaceChildren(...lines);
}

async function loadPlugins() {
  try {
    const plugins = await api("GET", "/connector-plugins");
    $("#new-class").replaceChildren(...plugins.map((p) => el("option", { value: p.class }, `${p.class} (${p.type})`)));
  } catch (e) { /* retried on the next open */ }
}

async function refreshAll() {
  await Promise.all([refreshCluster(), refreshConnectors()]);
  await refreshDetail();
}

function wire() {
  $("#show-new").addEventListener("click", () => { $("#new-connector").hidden = false; loadPlugins(); $("#new-name").focus(); });
  $("#new-cancel").addEventListener("click", () => { $("#new-connector").hidden = true; });
  $("#new-validate").addEventListener("click", async () => {
    try {
      const v = await validate(newConfig());
      showErrors($("#new-errors"), v.errors, v.count ? `${v.count} error(s)` : "The configuration is valid.");
    } catch (e) { showErrors($("#new-errors"), {}, e.message); }
  });
  $("#new-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const config = newConfig();
    try {
      const v = await validate(config);
      if (v.count) {
        showErrors($("#new-errors"), v.errors, `${v.count} error(s)`);
        return;
      }
      await api("POST", "/connectors", { name: config.name, config });
      $("#new-errors").replaceChildren();
      $("#new-connector").hidden = true;
      $("#new-form").reset();
      await refreshConnectors();
      await select(config.name);
    } catch (e) { showErrors($("#new-errors"), {}, e.message); }
  });
  $("#act-pause").addEventListener("click", () => action("PUT", "/pause", "Pause requested."));
  $("#act-resume").addEventListener("click", () => action("PUT", "/resume", "Resume requested."));
  $("#act-stop").addEventListener("click", () => action("PUT", "/stop", "Stop requested."));
  $("#act-restart").addEventListener("click", () => action("POST",
    `/restart?includeTasks=${$("#restart-tasks").checked}&onlyFailed=${$("#restart-failed").checked}`, "Restart requested."));
  $("#act-delete").addEventListener("click", () => {
    if (confirm(`Delete connector ${selected}?`)) action("DELETE", "", "Deleted.");
  });
  $("#config-add").addEventListener("click", () => {
    const key = $("#config-new-key").value.trim();
    if (!key) return;
    const config = editedConfig();
    if (!(key in config)) config[key] = "";
    configDirty = true;
    showConfig(config, {});
    $("#config-new-key").value = "";
  });
  $("#config-validate").addEventListener("click", async () => {
    const config = editedConfig();
    try {
      const v = await validate(config);
      showConfig(config, v.errors);
      $("#detail-message").textContent = v.count ? `${v.count} error(s)` : "The configuration is valid.";
    } catch (e) { $("#detail-message").textContent = e.message; }
  });
  $("#config-save").addEventListener("click", async () => {
    const config = editedConfig();
    const msg = $("#detail-message");
    try {
      const v = await validate(config);
      if (v.count) {
        showConfig(config, v.errors);
        msg.textContent = `${v.count} error(s): not saved`;
        msg.className = "message bad";
        return;
      }
      await api("PUT", "/connectors/" + encodeURIComponent(selected) + "/config", config);
      configDirty = false;
      msg.textContent = "Config saved.";
      msg.className = "message";
      await refreshDetail();
    } catch (e) {
      msg.textContent = e.message;
      msg.className = "message bad";
    }
  });
  setInterval(() => { if ($("#auto-refresh").checked) refreshAll(); }, 3000);
}

wire();
refreshAll();
