// The settings page of tambo-auth (`/admin`): the projects, how each one verifies its users'
// tokens, trying a token, the API keys and the audit trail, over the admin API (`/admin/v1`).
// Vanilla JavaScript, no build step.
//
// The admin token lives in a variable of this script, never in localStorage, sessionStorage or
// a cookie: reloading the page forgets it. Everything the server or a person provided reaches
// the document through textContent only, never as markup.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  // The admin token, or null before it is given.
  let token = null;
  // The last `GET /admin/v1/projects` answer, and the id of the project shown.
  let listing = null;
  let selected = null;

  // Readable names of the adapters' presets (`providerKinds`); an unknown kind shows as is.
  const PRESET_NAMES = {
    auth0: "Auth0",
    clerk: "Clerk",
    supabase: "Supabase",
    workos: "WorkOS",
    "better-auth": "Better Auth",
    neon: "Neon Auth",
    google: "Google",
    entra: "Microsoft Entra ID",
    okta: "Okta",
    keycloak: "Keycloak",
    "login-gov": "Login.gov",
    github: "GitHub",
    firebase: "Firebase",
  };

  // The settings each preset needs, as a starting point (docs/providers/<kind>.md has the rest).
  const PRESET_EXAMPLES = {
    auth0: { domain: "", audience: "" },
    clerk: { frontend_api: "", authorized_parties: [] },
    supabase: { project_url: "" },
    workos: { client_id: "" },
    "better-auth": { base_url: "" },
    neon: { mode: "neon-auth", issuer: "", jwks_url: "" },
    google: { client_ids: [] },
    entra: { tenant: "", client_id: "" },
    okta: { issuer: "", audiences: [] },
    keycloak: { issuer: "", audiences: [] },
    "login-gov": { client_id: "", environment: "production" },
    github: {},
    firebase: { project_id: "" },
  };

  const PRESET = "preset:";

  // A refusal of the admin API (RFC 9457): `field` names the setting at fault.
  class Problem extends Error {
    constructor(status, body) {
      super(typeof body.detail === "string" ? body.detail : `HTTP ${status}`);
      this.status = status;
      this.field = typeof body.field === "string" ? body.field : null;
    }
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = message === "";
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

  // ------------------------------------------------------------------------------------------
  // The admin API

  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const answer = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (answer.status === 204) return null;
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Problem(answer.status, data);
    return data;
  }

  const projectPath = (id) => `/admin/v1/projects/${encodeURIComponent(id)}`;

  // Runs an action; a refused admin token sends the person back to the token form, anything
  // else is shown.
  async function act(action) {
    showError("");
    try {
      await action();
    } catch (error) {
      if (error instanceof Problem && error.status === 401) {
        signOut();
        showError("The admin token was refused: enter it again.");
      } else {
        showError(error.message);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Signing in with the admin token

  function signOut() {
    token = null;
    listing = null;
    selected = null;
    $("workspace").hidden = true;
    $("sign-in").hidden = false;
    $("sign-in-help").hidden = false;
    $("project").hidden = true;
    $("projects").replaceChildren();
    $("projects").dataset.count = "0";
    hideNewKey();
    $("audit").open = false;
    $("audit-entries").replaceChildren();
  }

  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("admin-token").value.trim();
    $("admin-token").value = "";
    act(async () => {
      try {
        await reload();
      } catch (error) {
        token = null;
        throw error;
      }
      setUpChoices();
      $("sign-in").hidden = true;
      $("sign-in-help").hidden = true;
      $("workspace").hidden = false;
    });
  });

  $("sign-out").addEventListener("click", () => {
    signOut();
    showError("");
  });

  // The profile, the strategies it allows, the presets and the templates: the same for every
  // project.
  function setUpChoices() {
    const development = listing.profile === "development";
    $("profile").dataset.profile = listing.profile;
    $("profile").textContent = development
      ? "Profile: development (the none strategy is allowed)"
      : "Profile: production";
    const none = $("strategies").querySelector('option[value="none"]');
    if (development && none === null) {
      const option = document.createElement("option");
      option.value = "none";
      option.textContent = "None: no signature check (development only)";
      $("strategies").append(option);
    } else if (!development && none !== null) {
      none.remove();
    }
    $("presets").replaceChildren(
      ...listing.providerKinds.map((kind) => {
        const option = document.createElement("option");
        option.value = PRESET + kind;
        option.textContent = PRESET_NAMES[kind] ?? kind;
        return option;
      }),
    );
    const choose = document.createElement("option");
    choose.value = "";
    choose.textContent = "Choose…";
    $("template").replaceChildren(
      choose,
      ...listing.templates.map((template, index) => {
        const option = document.createElement("option");
        option.value = String(index);
        option.textContent = template.label ?? `Template ${index + 1}`;
        return option;
      }),
    );
    $("template-field").hidden = listing.templates.length === 0;
  }

  // ------------------------------------------------------------------------------------------
  // Projects

  const current = () => listing?.projects.find((p) => p.id === selected) ?? null;

  async function reload() {
    listing = await call("GET", "/admin/v1/projects");
    const items = listing.projects.map((project) => {
      const item = document.createElement("li");
      item.dataset.projectId = project.id;
      item.classList.toggle("selected", project.id === selected);
      const open = document.createElement("button");
      open.type = "button";
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = project.name;
      const id = document.createElement("span");
      id.className = "id";
      id.textContent = project.id;
      open.append(name, id);
      if (project.managedBy === "config") {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "configuration file";
        open.append(badge);
      }
      if (project.problem) {
        const badge = document.createElement("span");
        badge.className = "badge problem";
        badge.textContent = "settings do not build";
        open.append(badge);
      }
      open.addEventListener("click", () => select(project.id));
      item.append(open);
      return item;
    });
    $("projects").replaceChildren(...items);
    $("projects").dataset.count = String(items.length);
    await refreshAudit();
  }

  function select(id) {
    selected = id;
    for (const item of $("projects").children) {
      item.classList.toggle("selected", item.dataset.projectId === id);
    }
    const project = current();
    if (project !== null) showProject(project);
  }

  function showProject(project) {
    const readOnly = project.managedBy === "config";
    $("project").hidden = false;
    $("project").dataset.projectId = project.id;
    $("project-title").textContent = project.name;
    $("project-id").textContent = project.id;
    $("project-updated").textContent = project.updated ? `· updated ${when(project.updated)}` : "";
    $("read-only").hidden = !readOnly;
    $("project-problem").hidden = !project.problem;
    $("project-problem").textContent = project.problem
      ? `The stored settings do not build (${project.problem}); the last good ones are still served.`
      : "";
    $("template").value = "";
    fill(project.verification ?? null, project.provider ?? null);
    for (const note of document.querySelectorAll(".secret-stored")) {
      note.hidden = !project.hasSecret;
    }
    for (const control of $("settings").elements) control.disabled = readOnly;
    clearErrors($("settings"));
    delete $("settings").dataset.state;
    $("saved").textContent = "";
    $("try-token").value = "";
    $("try-result").hidden = true;
    hideNewKey();
    showKeys(project);
  }

  $("new-project").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = $("new-project");
    clearErrors(form);
    const body = { name: $("project-name-input").value };
    const id = $("project-id-input").value.trim();
    if (id !== "") body.id = id;
    act(async () => {
      let project;
      try {
        project = await call("POST", "/admin/v1/projects", body);
      } catch (error) {
        if (!showProblem(form, error)) throw error;
        return;
      }
      $("project-name-input").value = "";
      $("project-id-input").value = "";
      await reload();
      select(project.id);
    });
  });

  // ------------------------------------------------------------------------------------------
  // Verification settings: the form holds one strategy's settings, or one preset's.

  // The setting a field of the form holds (`verification.issuer` → `issuer`), or null for the
  // fields that are not one setting.
  const settingName = (field) => {
    const name = field.dataset.field ?? "";
    return name.startsWith("verification.") && name !== "verification.strategy"
      ? name.slice("verification.".length)
      : null;
  };

  const settingFields = () =>
    [...$("settings").querySelectorAll(".field[data-field]")].filter(
      (field) => settingName(field) !== null,
    );

  const controlOf = (field) => field.querySelector("input, textarea, select");

  // Lists are typed as text: "a, b" or one a line.
  const isList = (name) => name === "audiences" || name === "algorithms";

  // Shows the fields the chosen strategy or preset uses, and only those.
  function showMethod() {
    const method = $("method").value;
    const kind = method.startsWith(PRESET) ? "preset" : "strategy";
    for (const field of $("settings").querySelectorAll(".field[data-for]")) {
      const uses = field.dataset.for.split(" ");
      field.hidden = !(uses.includes(kind) || uses.includes(method));
    }
  }

  // Fills the form with `verification` (a strategy's settings) and `provider` (a preset).
  function fill(verification, provider) {
    const settings = verification ?? {};
    const shown = new Set(["strategy"]);
    for (const field of settingFields()) {
      const name = settingName(field);
      const control = controlOf(field);
      const value = settings[name];
      shown.add(name);
      if (control.type === "checkbox") {
        control.checked = value === true;
      } else if (control.type === "password") {
        // Secrets are never returned: a stored one is kept unless a new one is typed.
        control.value = "";
      } else if (Array.isArray(value)) {
        control.value = value.join(", ");
      } else {
        control.value = value === undefined || value === null ? "" : String(value);
      }
    }
    const more = Object.fromEntries(Object.entries(settings).filter(([name]) => !shown.has(name)));
    $("more").value = Object.keys(more).length === 0 ? "" : JSON.stringify(more, null, 2);
    if (provider !== null && typeof provider.kind === "string") {
      const { kind, ...rest } = provider;
      $("method").value = PRESET + kind;
      $("preset-settings").value = JSON.stringify(rest, null, 2);
      $("preset-settings").dataset.kind = kind;
    } else {
      $("method").value = settings.strategy ?? "oidc-discovery";
      $("preset-settings").value = "";
      delete $("preset-settings").dataset.kind;
    }
    showMethod();
  }

  $("method").addEventListener("change", () => {
    const method = $("method").value;
    if (method.startsWith(PRESET)) {
      const kind = method.slice(PRESET.length);
      if ($("preset-settings").dataset.kind !== kind) {
        const stored = current()?.provider;
        const { kind: _, ...settings } =
          stored?.kind === kind ? stored : { kind, ...(PRESET_EXAMPLES[kind] ?? {}) };
        $("preset-settings").value = JSON.stringify(settings, null, 2);
        $("preset-settings").dataset.kind = kind;
      }
    }
    showMethod();
  });

  $("template").addEventListener("change", () => {
    const template = listing?.templates[Number($("template").value)];
    if ($("template").value === "" || template === undefined) return;
    fill(template.verification ?? null, template.provider ?? null);
    clearErrors($("settings"));
  });

  // A mistake found before sending, named like the API names its settings.
  class Invalid extends Error {
    constructor(field, detail) {
      super(detail);
      this.status = 400;
      this.field = field;
    }
  }

  function jsonObject(text, field) {
    if (text.trim() === "") return {};
    let value;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Invalid(field, `not JSON: ${error.message}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Invalid(field, "a JSON object of settings, such as {\"key\": \"value\"}");
    }
    return value;
  }

  // The body of `PUT …/verification`: what the form shows, and nothing it hides.
  function settingsBody() {
    const method = $("method").value;
    if (method.startsWith(PRESET)) {
      const settings = jsonObject($("preset-settings").value, "provider");
      const body = { provider: { ...settings, kind: method.slice(PRESET.length) } };
      if ($("allow-loopback-http").checked) body.verification = { allow_loopback_http: true };
      return body;
    }
    const verification = jsonObject($("more").value, "verification");
    verification.strategy = method;
    for (const field of settingFields()) {
      if (field.hidden) continue;
      const name = settingName(field);
      const control = controlOf(field);
      if (control.type === "checkbox") {
        if (control.checked) verification[name] = true;
        continue;
      }
      const text = control.type === "password" ? control.value : control.value.trim();
      if (text === "") continue;
      verification[name] = isList(name)
        ? text
            .split(/[,\n]/)
            .map((item) => item.trim())
            .filter((item) => item !== "")
        : text;
    }
    return { verification };
  }

  $("settings").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = $("settings");
    const id = selected;
    if (id === null) return;
    clearErrors(form);
    $("saved").textContent = "";
    form.dataset.state = "saving";
    act(async () => {
      let project;
      try {
        project = await call("PUT", `${projectPath(id)}/verification`, settingsBody());
      } catch (error) {
        form.dataset.state = "refused";
        if (!showProblem(form, error)) throw error;
        return;
      }
      await reload();
      if (selected !== id) return;
      showProject(current() ?? project);
      form.dataset.state = "saved";
      $("saved").textContent = "Saved: served within a few seconds.";
    });
  });

  function clearErrors(form) {
    for (const error of form.querySelectorAll(".error")) error.textContent = "";
    for (const field of form.querySelectorAll(".field.invalid")) {
      field.classList.remove("invalid");
      controlOf(field)?.removeAttribute("aria-invalid");
    }
  }

  // Shows a 400 next to the field it names (or the nearest shown field above it, such as
  // `provider` for `provider.audience`, or the form's own line); false for other refusals.
  function showProblem(form, error) {
    if (!(error instanceof Problem || error instanceof Invalid) || error.status !== 400) {
      return false;
    }
    let name = error.field ?? "";
    while (name !== "") {
      const field = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
      if (field !== null && !field.hidden) {
        field.classList.add("invalid");
        const control = controlOf(field);
        control?.setAttribute("aria-invalid", "true");
        field.querySelector(".error").textContent =
          name === error.field ? error.message : `${error.field}: ${error.message}`;
        control?.focus();
        return true;
      }
      const dot = name.lastIndexOf(".");
      name = dot < 0 ? "" : name.slice(0, dot);
    }
    const line = form.querySelector(":scope > .error") ?? $("error");
    line.textContent = error.field ? `${error.field}: ${error.message}` : error.message;
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Trying a token

  $("try").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = selected;
    const subject = $("try-token").value.trim();
    if (id === null || subject === "") return;
    act(async () => {
      let answer;
      try {
        answer = await call("POST", `${projectPath(id)}/verification/test`, { token: subject });
      } catch (error) {
        if (!(error instanceof Problem) || error.status === 401) throw error;
        answer = { ok: false, error: null, explanation: error.message };
      }
      if (selected !== id) return;
      $("try-result").hidden = false;
      $("try-result").dataset.ok = String(answer.ok === true);
      $("try-verdict").textContent = answer.ok
        ? "Accepted"
        : `Refused${answer.error ? ` (${answer.error})` : ""}`;
      const rows = [];
      for (const [label, key] of [
        ["User (sub)", "sub"],
        ["Issuer", "issuer"],
        ["Provider", "provider"],
        ["Tenant", "tenant"],
        ["Email", "email"],
        ["Context key", "contextKey"],
      ]) {
        const value = answer.user?.[key];
        if (value === undefined || value === null) continue;
        const term = document.createElement("dt");
        term.textContent = label;
        const detail = document.createElement("dd");
        detail.textContent = String(value);
        detail.dataset.key = key;
        rows.push(term, detail);
      }
      $("try-user").replaceChildren(...rows);
      $("try-explanation").textContent = answer.explanation ?? "";
    });
  });

  // ------------------------------------------------------------------------------------------
  // API keys

  function showKeys(project) {
    const readOnly = project.managedBy === "config";
    $("config-keys").hidden = !readOnly;
    $("config-keys").textContent = readOnly
      ? `${project.apiKeys.length} API key(s) in the configuration file.`
      : "";
    $("new-key").hidden = readOnly;
    const rows = readOnly
      ? []
      : project.apiKeys.map((key) => {
          const row = document.createElement("tr");
          row.dataset.keyId = key.id;
          const cells = [`${key.prefix}…`, when(key.created), key.lastUsed ? when(key.lastUsed) : "never"];
          for (const text of cells) {
            const cell = document.createElement("td");
            cell.textContent = text;
            row.append(cell);
          }
          const revoke = document.createElement("button");
          revoke.type = "button";
          revoke.className = "revoke";
          revoke.textContent = "Revoke";
          // Two clicks: the first asks, the second revokes.
          revoke.addEventListener("click", () => {
            if (revoke.dataset.armed !== "true") {
              revoke.dataset.armed = "true";
              revoke.textContent = "Revoke: apps using it stop exchanging";
              return;
            }
            act(async () => {
              await call("DELETE", `${projectPath(project.id)}/api-keys/${encodeURIComponent(key.id)}`);
              await reloadKeys(project.id);
            });
          });
          const cell = document.createElement("td");
          cell.append(revoke);
          row.append(cell);
          return row;
        });
    $("key-list").tBodies[0].replaceChildren(...rows);
    $("key-list").dataset.count = String(rows.length);
    $("key-list").hidden = rows.length === 0;
    $("no-keys").hidden = readOnly || rows.length > 0;
  }

  async function reloadKeys(id) {
    await reload();
    const project = current();
    if (selected === id && project !== null) showKeys(project);
  }

  function hideNewKey() {
    $("new-key-value").textContent = "";
    $("new-key-shown").hidden = true;
    $("copy-key").textContent = "Copy";
  }

  $("new-key").addEventListener("click", () => {
    const id = selected;
    if (id === null) return;
    act(async () => {
      const created = await call("POST", `${projectPath(id)}/api-keys`);
      if (selected !== id) return;
      hideNewKey();
      $("new-key-value").textContent = created.key;
      $("new-key-shown").hidden = false;
      $("new-key-shown").dataset.keyId = created.id;
      await reloadKeys(id);
    });
  });

  $("copy-key").addEventListener("click", () => {
    const key = $("new-key-value").textContent;
    navigator.clipboard.writeText(key).then(
      () => {
        $("copy-key").textContent = "Copied";
      },
      () => {
        // No clipboard: select the key for the person to copy.
        window.getSelection().selectAllChildren($("new-key-value"));
      },
    );
  });

  $("hide-key").addEventListener("click", () => hideNewKey());

  // ------------------------------------------------------------------------------------------
  // The audit trail, read when opened

  async function refreshAudit() {
    if (!$("audit").open || token === null) return;
    const { entries } = await call("GET", "/admin/v1/audit");
    $("audit-entries").replaceChildren(
      ...entries.map((entry) => {
        const row = document.createElement("tr");
        const detail = entry.detail === null ? "" : JSON.stringify(entry.detail);
        for (const text of [when(entry.at), entry.actor, entry.action, entry.project ?? "", detail]) {
          const cell = document.createElement("td");
          cell.textContent = text;
          row.append(cell);
        }
        return row;
      }),
    );
  }

  $("audit").addEventListener("toggle", () => act(refreshAudit));
})();
