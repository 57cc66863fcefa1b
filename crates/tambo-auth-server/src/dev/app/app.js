// Client-side retrieval, the example `tambo-auth dev` serves: this page signs a person in at the
// development identity provider, exchanges the ID token for a Tambo token at the API's
// /oauth/token (RFC 8693) itself, and calls /v1 with it. Vanilla JavaScript, no build step.
//
// Every call is cross-origin: the page and the API live on different ports, and the API allows
// exactly this page's origin (CORS). The Tambo token lives in a variable of this script, never
// in localStorage, sessionStorage or a cookie: reloading the page or signing out forgets it.
// User text reaches the document through textContent only, never as markup.
"use strict";

(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const API = meta("tambo-api");
  const API_KEY = meta("tambo-api-key");
  const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  const ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";
  // Exchange again once this share of the token's life has passed.
  const REFRESH_AT = 0.8;
  // A token this close to its expiry is never sent: clocks and networks are not exact. After a
  // failed refresh, the next try comes this much later (while the old token is still good).
  const MARGIN_MS = 5000;

  // Time, as the page sees it: `now()` in milliseconds, and `schedule(task, delayMs)` /
  // `cancel(handle)` for the refresh. Real time, unless a test replaces it through
  // `tamboApp.setClock` to move time forward without waiting.
  const realClock = {
    now: () => Date.now(),
    schedule: (task, delayMs) => setTimeout(task, delayMs),
    cancel: (handle) => clearTimeout(handle),
  };
  let clock = realClock;

  // The signed-in user, or null; everything known about them, forgotten at sign-out.
  // `token` is the Tambo token: good until `expiresAt`, sent until `refreshAt`.
  let session = null;
  // The thread shown, or null.
  let selected = null;

  const stats = { exchanges: 0, requests: 0, refused: 0, failed: 0 };
  const counters = {
    exchanges: "exchange-count",
    requests: "request-count",
    refused: "refused-count",
    failed: "failed-count",
  };

  const $ = (id) => document.getElementById(id);

  function count(name) {
    stats[name] += 1;
    $(counters[name]).textContent = String(stats[name]);
  }

  // Thrown to stop an action whose user signed out (or was replaced) while it waited.
  class SignedOut extends Error {}

  // HH:MM:SS of a time on the page's clock, in local time.
  function clockTime(ms) {
    const at = new Date(ms);
    return [at.getHours(), at.getMinutes(), at.getSeconds()]
      .map((n) => String(n).padStart(2, "0"))
      .join(":");
  }

  // The auth state, as Tambo's React provider names it: unauthenticated, exchanging,
  // identified, error.
  function showState(state, text) {
    const element = $("auth-state");
    element.dataset.state = state;
    element.textContent = text;
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = message === "";
  }

  // ------------------------------------------------------------------------------------------
  // Getting the token

  // A fresh ID token from the identity provider, then the exchange. With a real provider, the
  // first step is its SDK: Clerk's getToken(), Auth0's getAccessTokenSilently()...
  async function exchange(s) {
    if (session === s) showState("exchanging", `Exchanging a token for ${s.user}…`);
    const minted = await fetch(`${API}/dev/idp/token?sub=${encodeURIComponent(s.user)}`, {
      cache: "no-store",
    });
    if (!minted.ok) {
      throw new Error(`The identity provider refused: ${await minted.text()}`);
    }
    const answer = await fetch(`${API}/oauth/token`, {
      method: "POST",
      headers: {
        "x-api-key": API_KEY,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: await minted.text(),
        subject_token_type: ID_TOKEN,
      }),
      cache: "no-store",
    });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok || typeof body.access_token !== "string") {
      const code = body.error ?? `HTTP ${answer.status}`;
      throw new Error(`The exchange refused (${code}): ${body.error_description ?? ""}`);
    }
    return body;
  }

  // One exchange at a time for a session: whoever asks during one waits for the same answer.
  function refresh(s) {
    if (s.refreshing === null) {
      s.refreshing = exchange(s)
        .then(
          (answer) => {
            if (session === s) accept(s, answer);
          },
          (error) => {
            if (session === s) failed(s, error);
            throw error;
          },
        )
        .finally(() => {
          s.refreshing = null;
        });
    }
    return s.refreshing;
  }

  function accept(s, answer) {
    const now = clock.now();
    const life = answer.expires_in * 1000;
    s.token = answer.access_token;
    s.expiresAt = now + life;
    s.refreshAt = now + Math.round(life * REFRESH_AT);
    count("exchanges");
    schedule(s, s.refreshAt - now);
    showState("identified", `Identified as ${s.user} until ${clockTime(s.expiresAt)}`);
  }

  // A refresh failed: keep the old token only while it is good, and try again shortly.
  function failed(s, error) {
    const now = clock.now();
    if (s.token !== null && now < s.expiresAt - MARGIN_MS) {
      s.refreshAt = Math.min(now + MARGIN_MS, s.expiresAt - MARGIN_MS);
      schedule(s, s.refreshAt - now);
      showState(
        "error",
        `${error.message} (the current token is good until ${clockTime(s.expiresAt)}; trying again)`,
      );
    } else {
      s.token = null;
      showState("error", error.message);
    }
  }

  function schedule(s, delayMs) {
    if (s.timer !== null) clock.cancel(s.timer);
    s.timer = clock.schedule(() => {
      s.timer = null;
      if (session === s) refresh(s).catch(() => {});
    }, Math.max(0, delayMs));
  }

  // The token to send. Before the refresh point, the current one. Past it (the refresh is under
  // way, or its timer never fired: a sleeping laptop, a throttled tab), the next one: no request
  // leaves with a token at the end of its life.
  async function currentToken(s) {
    if (s.token !== null && clock.now() < s.refreshAt) return s.token;
    try {
      await refresh(s);
    } catch (error) {
      // A failed refresh may have kept a token still good for a while (see `failed`).
      if (session !== s || s.token === null || clock.now() >= s.refreshAt) throw error;
    }
    if (session !== s || s.token === null) throw new SignedOut();
    return s.token;
  }

  // ------------------------------------------------------------------------------------------
  // Calling the API

  function send(method, path, body, token) {
    count("requests");
    const headers = { authorization: `Bearer ${token}`, "x-api-key": API_KEY };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(`${API}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  }

  // Whether a 401 says the token itself was refused (RFC 6750 §3.1 `invalid_token`: expired,
  // revoked, its key removed), rather than missing or malformed.
  async function invalidToken(answer) {
    const challenge = answer.headers.get("www-authenticate") ?? "";
    if (challenge.includes('error="invalid_token"')) return true;
    const body = await answer.clone().json().catch(() => ({}));
    return body.error === "invalid_token";
  }

  // `method path` as the signed-in user; the JSON answer. A refused token is exchanged again
  // and the request sent once more, once.
  async function api(s, method, path, body) {
    let answer;
    try {
      const sent = await currentToken(s);
      answer = await send(method, path, body, sent);
      if (answer.status === 401 && (await invalidToken(answer))) {
        count("refused");
        // Forget it (unless a refresh already replaced it): the next token is a new exchange.
        if (s.token === sent) s.token = null;
        answer = await send(method, path, body, await currentToken(s));
      }
    } catch (error) {
      if (!(error instanceof SignedOut)) count("failed");
      throw error;
    }
    if (session !== s) throw new SignedOut();
    if (!answer.ok) {
      count("failed");
      const refusal = await answer.json().catch(() => ({}));
      throw new Error(`${method} ${path}: ${answer.status} ${refusal.message ?? ""}`);
    }
    return answer.status === 204 ? null : answer.json();
  }

  // ------------------------------------------------------------------------------------------
  // The page

  const textOf = (message) =>
    (message.content ?? [])
      .filter((part) => part.type === "text")
      .map((part) => part.text)
      .join("\n");

  async function loadThreads(s) {
    const list = await api(s, "GET", "/v1/threads?limit=50");
    const items = list.threads.map((thread) => {
      const item = document.createElement("li");
      item.dataset.threadId = thread.id;
      item.classList.toggle("selected", thread.id === selected);
      const open = document.createElement("button");
      open.type = "button";
      open.textContent = thread.name ?? thread.id;
      open.addEventListener("click", () => act((s) => openThread(s, thread.id)));
      item.append(open);
      return item;
    });
    $("threads").replaceChildren(...items);
    $("threads").dataset.count = String(items.length);
    $("no-threads").hidden = items.length > 0;
  }

  async function openThread(s, id) {
    const thread = await api(s, "GET", `/v1/threads/${encodeURIComponent(id)}`);
    selected = id;
    for (const item of $("threads").children) {
      item.classList.toggle("selected", item.dataset.threadId === id);
    }
    $("thread").hidden = false;
    $("thread").dataset.threadId = id;
    $("thread-title").textContent = thread.name ?? thread.id;
    const items = thread.messages.map((message) => {
      const item = document.createElement("li");
      const role = document.createElement("span");
      role.className = "role";
      role.textContent = message.role;
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = textOf(message);
      item.append(role, text);
      return item;
    });
    $("messages").replaceChildren(...items);
    $("messages").dataset.count = String(items.length);
  }

  function clearWorkspace() {
    selected = null;
    $("workspace").hidden = true;
    $("thread").hidden = true;
    $("who").textContent = "";
    $("threads").replaceChildren();
    $("threads").dataset.count = "0";
    $("no-threads").hidden = false;
    $("thread-title").textContent = "";
    $("messages").replaceChildren();
    $("messages").dataset.count = "0";
  }

  async function signIn(user) {
    signOut();
    const s = {
      user,
      token: null,
      expiresAt: 0,
      refreshAt: 0,
      timer: null,
      refreshing: null,
    };
    session = s;
    try {
      await refresh(s);
    } catch {
      // `failed` shows why.
      if (session === s) session = null;
      return;
    }
    if (session !== s) return;
    $("who").textContent = `Signed in as ${user}`;
    $("workspace").hidden = false;
    await loadThreads(s);
  }

  function signOut() {
    const s = session;
    session = null;
    if (s !== null) {
      if (s.timer !== null) clock.cancel(s.timer);
      s.timer = null;
      s.token = null;
    }
    clearWorkspace();
    showError("");
    showState("unauthenticated", "Unauthenticated");
  }

  // Runs a user's action for the current session; shows what went wrong.
  async function act(action) {
    const s = session;
    if (s === null) return;
    showError("");
    try {
      await action(s);
    } catch (error) {
      if (!(error instanceof SignedOut) && session === s) showError(error.message);
    }
  }

  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    const user = $("user").value.trim();
    signIn(user).catch((error) => showError(error.message));
  });

  $("sign-out").addEventListener("click", () => signOut());

  $("new-thread").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("thread-name").value;
    act(async (s) => {
      const thread = await api(s, "POST", "/v1/threads", { name });
      $("thread-name").value = "";
      selected = thread.id;
      await loadThreads(s);
      await openThread(s, thread.id);
    });
  });

  $("new-message").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = selected;
    const text = $("message-text").value;
    if (id === null) return;
    act(async (s) => {
      await api(s, "POST", `/v1/threads/${encodeURIComponent(id)}/messages`, {
        role: "user",
        content: [{ type: "text", text }],
      });
      $("message-text").value = "";
      await openThread(s, id);
    });
  });

  // For tests and the curious: the counters, and replacing the clock. Neither exposes a token.
  window.tamboApp = Object.freeze({
    stats: () => ({ ...stats }),
    // `next` has `now()`, `schedule(task, delayMs)` and `cancel(handle)`. A pending refresh is
    // moved onto it, at the same time of the token's life.
    setClock(next) {
      const s = session;
      if (s !== null && s.timer !== null) {
        clock.cancel(s.timer);
        s.timer = null;
      }
      const remaining = s === null ? 0 : s.refreshAt - clock.now();
      const shift = next.now() - clock.now();
      clock = next;
      if (s !== null && s.token !== null) {
        s.refreshAt += shift;
        s.expiresAt += shift;
        schedule(s, remaining);
      }
    },
  });
})();
