// Operator console: a page over the /console/* JSON routes (Shiku envelope). The console
// token lives in this closure only (never localStorage), so closing the tab signs out.
"use strict";
(() => {
  let token = null;
  const state = { usersPage: 0, roomsPage: 0, room: null, logs: null, job: null };
  const $ = (sel) => document.querySelector(sel);
  const status = (text) => { $("#status").textContent = text; };

  // `key`: the Idempotency-Key of a creation (see create()).
  async function call(path, params = {}, key = null) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) body.set(k, v);
    if (token) body.set("access_token", token);
    const headers = key ? { "Idempotency-Key": key } : {};
    const res = await fetch(path, { method: "POST", body, headers, credentials: "same-origin" });
    let out;
    try { out = await res.json(); } catch { throw new Error(`HTTP ${res.status}`); }
    if (out.resultCode !== 1) {
      if (out.resultCode === 1030101 || out.resultCode === 1030102) signedOut("Session ended: sign in again.");
      throw new Error(out.resultMsg || `error ${out.resultCode}`);
    }
    return out.data;
  }

  // A creation (room, send job, broadcast): one fresh Idempotency-Key per form submit, sent
  // again on the one retry after a network failure, so a lost answer never creates twice.
  async function create(path, params) {
    const key = crypto.randomUUID();
    try { return await call(path, params, key); } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      return call(path, params, key);
    }
  }

  // Runs an action, reporting its outcome in the live status line.
  async function act(label, fn) {
    status(`${label}…`);
    try { await fn(); status(`${label}: done`); } catch (e) { status(`${label}: ${e.message}`); }
  }

  function cell(row, text) { const td = row.insertCell(); td.textContent = text ?? ""; return td; }
  function button(td, text, onClick, label) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.addEventListener("click", onClick);
    if (label) b.setAttribute("aria-label", label);
    td.append(b, " ");
    return b;
  }
  function fields(form) { return Object.fromEntries(new FormData(form).entries()); }
  const when = (secs) => (secs ? new Date(secs * 1000).toLocaleString() : "");

  function show(page) {
    for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== `page-${page}`;
    for (const b of document.querySelectorAll("#nav [data-page]")) {
      if (b.dataset.page === page) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
    }
    $("#main").focus();
    const load = { dashboard: loadDashboard, users: loadUsers, rooms: loadRooms }[page];
    if (load) act(`Loading ${page}`, load);
  }

  function signedOut(message) {
    token = null;
    $("#nav").hidden = true;
    show("signin");
    status(message);
  }

  async function loadDashboard() {
    const d = await call("/console/userStatus");
    const dash = $("#dash");
    dash.replaceChildren();
    const items = [["Users", d.total], ["Online now", d.onlineCount], ["Offline", d.offlineCount],
      ["Rooms", d.roomCount], ["Messages today", d.messagesToday]];
    for (const [k, v] of items) {
      if (v == null) continue;
      const div = document.createElement("div");
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v; dd.dataset.key = k;
      div.append(dt, dd); dash.append(div);
    }
  }

  async function loadUsers() {
    const f = fields($("#users-search"));
    const d = await call("/console/userList", { ...f, pageIndex: state.usersPage, pageSize: 20 });
    const list = d.list ?? d;
    $("#users-page").textContent = state.usersPage + 1;
    const tbody = $("#users-table tbody");
    tbody.replaceChildren();
    for (const u of list) {
      const tr = tbody.insertRow();
      tr.dataset.userId = u.userId;
      cell(tr, u.userId); cell(tr, u.nickname); cell(tr, u.telephone);
      cell(tr, u.onlinestate ? "online" : "offline"); cell(tr, u.status === 0 ? "disabled" : "active");
      const td = tr.insertCell();
      button(td, "Edit", () => editUser(u), `Edit ${u.nickname}`);
      if (u.status === 0) {
        button(td, "Enable", () => act("Enable", async () => { await call("/console/updateUser", { userId: u.userId, status: 1 }); await loadUsers(); }), `Enable ${u.nickname}`);
      } else {
        button(td, "Disable", () => act("Disable", async () => { await call("/console/updateUser", { userId: u.userId, status: 0 }); await loadUsers(); }), `Disable ${u.nickname}`);
      }
      button(td, "Delete", () => {
        if (confirm(`Delete ${u.nickname} (${u.userId})?`)) act("Delete", async () => { await call("/console/deleteUser", { userId: u.userId }); await loadUsers(); });
      }, `Delete ${u.nickname}`);
    }
    $("#users-next").disabled = d.more === undefined ? list.length < 20 : !d.more;
    $("#users-prev").disabled = state.usersPage === 0;
  }

  function editUser(u) {
    const f = $("#user-edit");
    f.hidden = false;
    $("#e-id").textContent = `${u.nickname} (${u.userId})`;
    f.userId.value = u.userId; f.nickname.value = u.nickname ?? ""; f.description.value = u.description ?? "";
    f.sex.value = ""; f.password.value = "";
    f.nickname.focus();
  }

  async function saveUser(f) {
    const v = fields(f);
    await call("/console/updateUser", v);
    f.password.value = "";
    f.hidden = true;
    await loadUsers();
  }

  // A comma separated id list as the JSON list the routes take.
  const idList = (text) => JSON.stringify((text || "").split(/[\s,]+/).filter(Boolean).map(Number));

  async function addRoom(f) {
    const v = fields(f);
    const room = { name: v.name, desc: v.desc, userId: Number(v.userId) };
    const d = await create("/console/addRoom", { room: JSON.stringify(room), ids: idList(v.ids) });
    f.reset();
    state.roomsPage = 0;
    await loadRooms();
    status(`Room created: ${d.name ?? v.name} (${d.id ?? ""})`);
  }

  async function loadRooms() {
    const f = fields($("#rooms-search"));
    const d = await call("/console/roomList", { ...f, pageIndex: state.roomsPage, pageSize: 20 });
    const list = d.list ?? d;
    $("#rooms-page").textContent = state.roomsPage + 1;
    const tbody = $("#rooms-table tbody");
    tbody.replaceChildren();
    for (const r of list) {
      const tr = tbody.insertRow();
      tr.dataset.roomId = r.id;
      cell(tr, r.id); cell(tr, r.name); cell(tr, r.userId); cell(tr, r.userSize);
      const td = tr.insertCell();
      button(td, "Members", () => act("Members", () => loadMembers(r)), `Members of ${r.name}`);
      button(td, "Messages", () => { show("logs"); $("#l-room").value = r.id; act("Room messages", () => loadLogs("group", { room_jid_id: r.id })); }, `Messages of ${r.name}`);
      button(td, "Dismiss", () => {
        if (confirm(`Dismiss room ${r.name}?`)) act("Dismiss", async () => { await call("/console/deleteRoom", { roomId: r.id }); await loadRooms(); });
      }, `Dismiss ${r.name}`);
    }
    $("#rooms-next").disabled = d.more === undefined ? list.length < 20 : !d.more;
    $("#rooms-prev").disabled = state.roomsPage === 0;
  }

  async function loadMembers(r) {
    state.room = r;
    const d = await call("/console/roomUserManager", { id: r.id, pageIndex: 0, pageSize: 50 });
    const list = d.list ?? d;
    $("#members").hidden = false;
    $("#m-room").textContent = r.name;
    const tbody = $("#members-table tbody");
    tbody.replaceChildren();
    for (const m of list) {
      const tr = tbody.insertRow();
      tr.dataset.userId = m.userId;
      cell(tr, m.userId); cell(tr, m.nickname); cell(tr, { 1: "owner", 2: "admin" }[m.role] || "member");
      button(tr.insertCell(), "Remove", () => act("Remove member", async () => {
        await call("/console/deleteMember", { roomId: r.id, userId: m.userId }); await loadMembers(r);
      }), `Remove ${m.nickname}`);
    }
  }

  // Tombstones every match of the shown filters, a call at a time (each ≤ 1000 messages).
  async function deleteAllLogs() {
    const { kind, params } = state.logs;
    const path = kind === "group" ? "/console/groupchat_logs_all/del" : "/console/chat_logs_all/del";
    let deleted = 0;
    for (;;) {
      const d = await call(path, params);
      deleted += d.deleted ?? 0;
      if (!d.more) break;
    }
    await loadLogs(kind, params);
    return deleted;
  }

  async function loadLogs(kind, params) {
    state.logs = { kind, params };
    $("#logs-del-all").disabled = false;
    const path = kind === "group" ? "/console/groupchat_logs_all" : "/console/chat_logs_all";
    const d = await call(path, { ...params, pageIndex: 0, pageSize: 50 });
    const list = d.list ?? d;
    $("#logs-caption").textContent = kind === "group" ? `Messages of room ${params.room_jid_id}` : "1:1 messages";
    const tbody = $("#logs-table tbody");
    tbody.replaceChildren();
    for (const m of list) {
      const tr = tbody.insertRow();
      tr.dataset.messageId = m.messageId;
      cell(tr, when(m.timeSend)); cell(tr, m.fromUserId ?? m.sender);
      cell(tr, m.roomJid ?? m.toUserId ?? m.receiver ?? params.room_jid_id); cell(tr, m.isRecall ? "(deleted)" : m.content);
      const td = tr.insertCell();
      if (!m.isRecall) button(td, "Delete", () => act("Delete message", async () => {
        await call(`${path}/del`, { ...params, messageId: m.messageId }); await loadLogs(kind, params);
      }), "Delete this message");
    }
  }

  function showJob(j) {
    $("#job").textContent = `Job ${j.jobId}: ${j.status ?? "queued"}` +
      (j.done != null ? `, ${j.done} sent` : "") + (j.failed ? `, ${j.failed} failed` : "");
    $("#job").dataset.status = j.status ?? "queued";
  }
  function startJob(path, d) {
    state.job = { path, jobId: d.jobId };
    $("#job-refresh").hidden = false;
    showJob(d);
  }
  async function jobProgress() {
    if (!state.job) return;
    showJob(await call(state.job.path, { jobId: state.job.jobId }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("#signin").addEventListener("submit", (e) => {
      e.preventDefault();
      act("Sign in", async () => {
        const d = await call("/console/login", fields(e.target));
        token = d.access_token || d.accessToken;
        e.target.password.value = "";
        $("#nav").hidden = false;
        show("dashboard");
      });
    });
    $("#signout").addEventListener("click", () => act("Sign out", async () => {
      try { await call("/console/logout"); } finally { signedOut("Signed out."); }
    }));
    for (const b of document.querySelectorAll("#nav [data-page]")) b.addEventListener("click", () => show(b.dataset.page));
    $("#dash-refresh").addEventListener("click", () => act("Refresh", loadDashboard));
    $("#users-search").addEventListener("submit", (e) => { e.preventDefault(); state.usersPage = 0; act("Search users", loadUsers); });
    $("#users-prev").addEventListener("click", () => { state.usersPage = Math.max(0, state.usersPage - 1); act("Users", loadUsers); });
    $("#users-next").addEventListener("click", () => { state.usersPage += 1; act("Users", loadUsers); });
    $("#rooms-search").addEventListener("submit", (e) => { e.preventDefault(); state.roomsPage = 0; act("Search rooms", loadRooms); });
    $("#rooms-prev").addEventListener("click", () => { state.roomsPage = Math.max(0, state.roomsPage - 1); act("Rooms", loadRooms); });
    $("#rooms-next").addEventListener("click", () => { state.roomsPage += 1; act("Rooms", loadRooms); });
    $("#logs-single").addEventListener("submit", (e) => { e.preventDefault(); act("1:1 messages", () => loadLogs("single", fields(e.target))); });
    $("#logs-group").addEventListener("submit", (e) => { e.preventDefault(); act("Room messages", () => loadLogs("group", fields(e.target))); });
    $("#users-table").addEventListener("keydown", (e) => { if (e.key === "Escape") $("#user-edit").hidden = true; });
    $("#user-edit").addEventListener("submit", (e) => { e.preventDefault(); act("Save user", () => saveUser(e.target)); });
    $("#e-cancel").addEventListener("click", () => { $("#user-edit").hidden = true; });
    $("#members-add").addEventListener("submit", (e) => {
      e.preventDefault();
      act("Add members", async () => {
        await call("/console/roomUserManager", { id: state.room.id, userIds: idList(fields(e.target).userIds), pageSize: 50 });
        e.target.reset();
        await loadMembers(state.room);
      });
    });
    $("#room-add").addEventListener("submit", (e) => { e.preventDefault(); act("Create room", () => addRoom(e.target)); });
    $("#logs-del-all").addEventListener("click", () => {
      if (state.logs && confirm("Delete every message matching these filters?")) {
        act("Delete messages", async () => { const n = await deleteAllLogs(); status(`Deleted ${n} messages`); });
      }
    });
    $("#broadcast").addEventListener("submit", (e) => {
      e.preventDefault();
      act("Broadcast", async () => { startJob("/console/pushToAll", await create("/console/pushToAll", fields(e.target))); e.target.reset(); });
    });
    $("#send-one").addEventListener("submit", (e) => {
      e.preventDefault();
      act("Send", async () => { startJob("/console/sendMessage", await create("/console/sendMessage", fields(e.target))); });
    });
    $("#job-refresh").addEventListener("click", () => act("Progress", jobProgress));
    show("signin");
  });
})();
