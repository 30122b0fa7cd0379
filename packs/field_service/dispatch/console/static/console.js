/*
 * The dispatch console: the queue of tasks to place (left), the schedule board (centre,
 * vis-timeline: one row per engineer, working hours and absences shaded, tasks as bars with
 * their travel before them) and the map (right, Leaflet). Everything comes from the dispatch
 * API; every drop is checked by the server against every hard rule, and a refused drop can
 * be forced where the rules allow it (the override is kept on the task).
 *
 * Live: server-sent events (/api/v1/dispatch/events) say when anything the board shows
 * changed, and the board is read again; without them it polls /api/v1/dispatch/stamp.
 *
 * Hooks for tests and tools: rows carry data-engineer-id, bars and queue cards
 * data-task-id; #dc has data-state="ready" once the board is drawn.
 */
(function () {
  "use strict";

  const settings = JSON.parse(document.getElementById("dc-settings").textContent);
  const T = settings.texts;
  const LANG = settings.lang;
  const REFRESH_MS = 60000; // a full read now and then, whatever the live events say
  const POLL_MS = 2000; // without server-sent events
  const SNAP_MS = 5 * 60 * 1000;
  const DAY_HOURS = [7, 21]; // the part of a day the board opens on (local hours)
  const root = document.getElementById("dc");
  const state = {
    board: null,
    day: null, // YYYY-MM-DD
    days: 1,
    group: "",
    selected: null, // a queue task chosen for click-to-place
    pending: null, // the drop the problem panel is about
    busy: false,
    offsetMinutes: 0,
    routeEngineer: null,
    proposal: null, // a ready proposal shown on the board
    undo: null, // the proposal committed last, which Undo takes back
  };
  let timeline = null;
  let items = null;
  let groups = null;
  let map = null;
  let mapLayers = null;
  let csrf = null;

  // ---- words and times ------------------------------------------------------------------
  function say(key, params) {
    const text = T[key] || key;
    return text.replace(/\{(\w+)\}/g, (all, name) => (params && params[name] !== undefined ? String(params[name]) : all));
  }

  function local(instant) {
    // an instant as the board's wall clock (a Date whose UTC fields are the local ones)
    return new Date(new Date(instant).getTime() + state.offsetMinutes * 60000);
  }

  function clock(instant) {
    if (!instant) return "";
    const d = local(instant);
    return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  }

  function dayAndClock(instant) {
    const d = local(instant);
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()} ${clock(instant)}`;
  }

  function span(minutes) {
    const total = Math.abs(Math.round(minutes));
    if (total < 60) return say("minutes", { n: total });
    return say("hours", { h: Math.floor(total / 60), m: total % 60 });
  }

  const WEEKDAYS = {
    en: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    "zh-CN": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
  };

  function dayLabel(m) {
    return `${m.month() + 1}/${m.date()} ${WEEKDAYS[LANG][m.day()]}`;
  }

  function setStatus(text, kind) {
    const box = document.getElementById("dc-status");
    box.textContent = text;
    box.dataset.kind = kind || "";
  }

  // ---- the API ----------------------------------------------------------------------------
  async function api(method, url, body) {
    const headers = { Accept: "application/json", "Accept-Language": LANG };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = await token();
    }
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = { detail: response.statusText };
    }
    if (response.status === 401) {
      window.location.assign("/app/login?next=/app/dispatch");
    }
    return { status: response.status, data };
  }

  async function token() {
    if (!csrf) {
      const answer = await fetch("/api/v1/auth/csrf", { credentials: "same-origin" });
      csrf = (await answer.json()).csrf_token;
    }
    return csrf;
  }

  // ---- loading the board ------------------------------------------------------------------
  /** The answer early.js started reading for `url`, once; null when it read another. */
  async function firstAnswer(url) {
    const early = window.__dcEarly;
    window.__dcEarly = null;
    if (!early || early.url !== url) return null;
    try {
      const response = await early.answer;
      return { status: response.status, data: await response.json() };
    } catch (error) {
      return null; // read it again the usual way
    }
  }

  /** Read the board again and draw it; `done` is what the status line then says. */
  async function load(keepWindow, done) {
    const query = new URLSearchParams({ date: state.day, days: String(state.days) });
    if (state.group) query.set("service_group", state.group);
    setStatus(say("loading"));
    let answer;
    performance.mark("dc:load");
    const url = `/api/v1/dispatch/board?${query}`;
    try {
      answer = await firstAnswer(url) || await api("GET", url);
    } catch (error) {
      setStatus(say("failed", { detail: String(error) }), "error");
      return;
    }
    if (answer.status !== 200) {
      setStatus(answer.data.detail || answer.data.title || String(answer.status), "error");
      return;
    }
    const board = answer.data;
    state.board = board;
    const midnight = Date.parse(`${board.date}T00:00:00Z`);
    state.offsetMinutes = Math.round((midnight - Date.parse(board.start)) / 60000);
    performance.mark("dc:read");
    fillFilters(board);
    drawQueue();
    performance.mark("dc:queue");
    drawBoard(keepWindow);
    performance.mark("dc:board");
    root.dataset.state = "ready";
    // the map after the board has been painted: the board is what the dispatcher reads first
    window.setTimeout(() => {
      drawMap(!keepWindow);
      performance.mark("dc:map");
    }, 0);
    if (done) {
      setStatus(done.text, done.kind);
    } else {
      setStatus(say("loaded", { time: clock(board.now) }));
    }
  }

  function fillFilters(board) {
    const groupSelect = document.getElementById("dc-group");
    if (groupSelect.options.length === 1) {
      for (const group of board.groups) {
        groupSelect.add(new Option(group.name, String(group.id)));
      }
      groupSelect.value = state.group;
    }
    const skills = new Set();
    const types = new Set();
    for (const task of board.queue) {
      for (const need of task.required_skills || []) skills.add(typeof need === "string" ? need : need.skill);
      if (task.type) types.add(task.type);
    }
    refill(document.getElementById("dc-skill"), [...skills].filter(Boolean).sort());
    refill(document.getElementById("dc-type"), [...types].sort());
  }

  function refill(select, values) {
    const chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const value of values) select.add(new Option(value, value));
    select.value = values.includes(chosen) ? chosen : "";
  }

  // ---- the queue --------------------------------------------------------------------------
  function wanted(task) {
    const priority = document.getElementById("dc-priority").value;
    const risk = document.getElementById("dc-risk").value;
    const skill = document.getElementById("dc-skill").value;
    const type = document.getElementById("dc-type").value;
    if (priority && task.priority !== priority) return false;
    if (risk && task.risk !== risk) return false;
    if (type && task.type !== type) return false;
    if (skill && !(task.required_skills || []).some((n) => (typeof n === "string" ? n : n.skill) === skill)) return false;
    return true;
  }

  function drawQueue() {
    const list = document.getElementById("dc-queue");
    list.replaceChildren();
    const shown = state.board.queue.filter(wanted);
    document.getElementById("dc-queue-count").textContent = String(shown.length);
    if (!shown.length) {
      const empty = document.createElement("li");
      empty.className = "dc-empty";
      empty.textContent = say("none_waiting");
      list.append(empty);
    }
    for (const task of shown) {
      list.append(card(task));
    }
  }

  function card(task) {
    const item = document.createElement("li");
    item.className = `dc-card dc-priority-${task.priority}` + (task.risk ? ` dc-risk-${task.risk}` : "");
    item.dataset.taskId = String(task.id);
    item.tabIndex = 0;
    item.setAttribute("role", "button");
    item.setAttribute("aria-pressed", state.selected === task.id ? "true" : "false");
    item.draggable = task.status === "new" || task.status === "dispatched";
    const head = document.createElement("div");
    head.className = "dc-card-head";
    const number = document.createElement("strong");
    number.textContent = task.number || `#${task.id}`;
    const badge = document.createElement("span");
    badge.className = "dc-badge";
    badge.textContent = say(`priority_${task.priority}`);
    head.append(number, badge);
    const what = document.createElement("p");
    what.className = "dc-card-what";
    what.textContent = task.description;
    const due = document.createElement("p");
    due.className = "dc-due";
    if (task.minutes_left === null) {
      due.textContent = say("no_due");
    } else if (task.minutes_left < 0) {
      due.textContent = say("overdue", { time: span(task.minutes_left) });
    } else {
      due.textContent = `${say("left", { time: span(task.minutes_left) })} · ${dayAndClock(task.sla_due)}`;
    }
    const facts = document.createElement("p");
    facts.className = "dc-card-facts";
    const skills = (task.required_skills || []).map((n) => (typeof n === "string" ? n : `${n.skill}${n.level ? " ≥" + n.level : ""}`));
    const status = task.status === "new" ? say("unassigned") : task.start ? say(`status_${task.status}`) : say("unscheduled");
    facts.textContent = [status, span(task.duration), ...skills].join(" · ");
    item.append(head, what, due, facts);
    if (task.window_start || task.window_end) {
      const window = document.createElement("p");
      window.className = "dc-card-facts";
      window.textContent = say("window", { from: task.window_start ? dayAndClock(task.window_start) : "…", to: task.window_end ? dayAndClock(task.window_end) : "…" });
      item.append(window);
    }
    if (task.status === "new") {
      const slots = document.createElement("button");
      slots.type = "button";
      slots.className = "dc-card-action";
      slots.dataset.action = "slots";
      slots.textContent = say("best_slots");
      slots.addEventListener("click", (event) => {
        event.stopPropagation();
        showSlots(task);
      });
      item.append(slots);
    }
    item.addEventListener("dragstart", (event) => {
      const payload = { id: `drop-${task.id}`, type: "range", content: task.number || String(task.id), taskId: task.id };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text", JSON.stringify(payload));
    });
    const choose = () => {
      state.selected = state.selected === task.id ? null : task.id;
      drawQueue();
      if (state.selected) setStatus(say("selected", { task: task.number }));
    };
    item.addEventListener("click", choose);
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose();
      }
    });
    return item;
  }

  // ---- the board --------------------------------------------------------------------------
  function engineerRow(engineer, count) {
    const label = document.createElement("div");
    label.className = "dc-row";
    label.dataset.engineerId = String(engineer.id);
    const name = document.createElement("strong");
    name.textContent = engineer.name;
    const load = document.createElement("span");
    load.className = "dc-row-load";
    load.textContent = say("tasks_count", { n: count });
    label.append(name, load);
    if (engineer.position) {
      const dot = document.createElement("span");
      dot.className = `dc-dot ${engineer.position.stale ? "stale" : "fresh"}`;
      dot.title = say("stale_since", { time: dayAndClock(engineer.position.seen_at) });
      label.prepend(dot);
    }
    label.addEventListener("click", () => {
      state.routeEngineer = state.routeEngineer === engineer.id ? null : engineer.id;
      drawMap(false);
    });
    return label;
  }

  function bar(task) {
    const node = document.createElement("span");
    node.className = "dc-bar";
    node.dataset.taskId = String(task.id);
    // the bar is narrow: the number's last part (FT-202611-00042 -> 00042); all of it on hover
    node.textContent = String(task.number || task.id).split("-").pop();
    return node;
  }

  function tooltip(task) {
    const lines = [
      `${task.number} · ${say(`status_${task.status}`)} · ${say(`priority_${task.priority}`)}`,
      `${clock(task.start)}–${clock(task.end)} (${span(task.duration)})`,
      task.description,
    ];
    if (task.travel_minutes !== null && task.travel_minutes !== undefined) lines.push(say("travel", { minutes: task.travel_minutes }));
    if (task.sla_due) lines.push(task.minutes_left < 0 ? say("overdue", { time: span(task.minutes_left) }) : say("left", { time: span(task.minutes_left) }));
    if (task.override) lines.push(say("override", { text: task.override }));
    return lines.join("\n");
  }

  function boardItems(board) {
    const out = [];
    const start = Date.parse(board.start);
    const end = Date.parse(board.end);
    for (const engineer of board.engineers) {
      let cursor = start;
      engineer.working.forEach(([from, to], k) => {
        const a = Date.parse(from);
        if (a > cursor) out.push(shade(`off-${engineer.id}-${k}`, engineer.id, cursor, a, "dc-off"));
        cursor = Math.max(cursor, Date.parse(to));
      });
      if (cursor < end) out.push(shade(`off-${engineer.id}-end`, engineer.id, cursor, end, "dc-off"));
      engineer.absences.forEach(([from, to, reason], k) => {
        out.push(shade(`away-${engineer.id}-${k}`, engineer.id, from, to, "dc-absence", reason));
      });
    }
    for (const task of board.tasks) {
      const movable = ["new", "dispatched", "accepted", "en_route"].includes(task.status);
      out.push({
        id: `task-${task.id}`,
        taskId: task.id,
        group: task.engineer,
        start: task.start,
        end: task.end,
        type: "range",
        content: bar(task),
        title: tooltip(task),
        className: [`dc-status-${task.status}`, task.risk ? `dc-risk-${task.risk}` : "", task.override ? "dc-override" : "", task.travel_minutes ? "dc-has-travel" : ""].join(" ").trim(),
        // the travel before the bar is drawn by CSS (::before, --travel minutes wide): a
        // thousand items of its own would make the board several times slower to draw
        style: task.travel_minutes ? `--travel: ${Number(task.travel_minutes)}` : "",
        editable: movable ? { updateTime: true, updateGroup: task.status === "new" || task.status === "dispatched", remove: false } : false,
        sig: JSON.stringify([task.version, task.engineer, task.start, task.end, task.status, task.risk, task.minutes_left, task.travel_minutes]),
      });
    }
    return out;
  }

  function shade(id, group, start, end, className, title) {
    const sig = JSON.stringify([group, start, end, className, title || ""]);
    return { id, group, start, end, type: "background", className, title: title || "", sig };
  }

  function drawBoard(keepWindow) {
    const board = state.board;
    const counts = new Map();
    for (const task of board.tasks) counts.set(task.engineer, (counts.get(task.engineer) || 0) + 1);
    const rows = board.engineers.map((engineer, order) => ({
      id: engineer.id,
      content: engineerRow(engineer, counts.get(engineer.id) || 0),
      order,
      sig: JSON.stringify([engineer.name, order, counts.get(engineer.id) || 0, engineer.position && engineer.position.stale]),
    }));
    const everything = boardItems(board);
    if (!timeline) {
      items = new vis.DataSet(everything);
      groups = new vis.DataSet(rows);
      timeline = new vis.Timeline(document.getElementById("dc-timeline"), items, groups, options(board));
      timeline.on("click", onBoardClick);
      timeline.on("rangechanged", (range) => markWindow(range.start, range.end));
      timeline.on("rangechange", (range) => scaleTravel(range.start, range.end));
      showWindow(board);
      return;
    }
    // only what changed is drawn again: a board of a thousand bars stays quick to refresh
    sync(groups, rows);
    sync(items, everything);
    if (state.proposal) showProposed(state.proposal.plan);
    if (!keepWindow) {
      timeline.setOptions({ min: board.start, max: board.end });
      showWindow(board);
    }
  }

  /** Make `set` (a vis DataSet) hold `wanted`, touching only entries whose `sig` changed. */
  function sync(set, wanted) {
    const keep = new Set();
    const changed = [];
    for (const entry of wanted) {
      keep.add(entry.id);
      const current = set.get(entry.id);
      if (!current || current.sig !== entry.sig) changed.push(entry);
    }
    const gone = set.getIds({ filter: (entry) => !keep.has(entry.id) && !entry.proposed });
    if (gone.length) set.remove(gone);
    if (changed.length) set.update(changed);
  }

  function showWindow(board) {
    // a day opens on its working part (DAY_HOURS, wider when work lies outside it); the
    // rest of the day is a scroll or a zoom away; a week shows the whole week
    let from = Date.parse(board.start);
    let to = Date.parse(board.end);
    if (board.days === 1) {
      const hour = 3600 * 1000;
      const starts = board.tasks.map((t) => Date.parse(t.start) - (t.travel_minutes || 0) * 60000);
      const ends = board.tasks.map((t) => Date.parse(t.end));
      from = Math.max(from, Math.min(from + DAY_HOURS[0] * hour, ...starts.map((t) => t - hour)));
      to = Math.min(to, Math.max(from + (DAY_HOURS[1] - DAY_HOURS[0]) * hour, ...ends.map((t) => t + hour)));
    }
    timeline.setWindow(from, to, { animation: false });
    markWindow(from, to);
  }

  function scaleTravel(from, to) {
    // pixels per minute of the board, for the travel drawn before each bar
    const panel = document.querySelector("#dc-timeline .vis-panel.vis-center");
    const minutes = (new Date(to).getTime() - new Date(from).getTime()) / 60000;
    if (panel && minutes > 0) {
      document.getElementById("dc-timeline").style.setProperty("--dc-px-per-min", `${panel.clientWidth / minutes}px`);
    }
  }

  function markWindow(from, to) {
    scaleTravel(from, to);
    const box = document.getElementById("dc-timeline");
    box.dataset.windowStart = String(new Date(from).getTime());
    box.dataset.windowEnd = String(new Date(to).getTime());
  }

  function options(board) {
    // no start/end here: with them, vis-timeline stays hidden until the range changes
    return {
      min: board.start,
      max: board.end,
      zoomMin: 30 * 60 * 1000,
      stack: false,
      orientation: "top",
      groupOrder: "order",
      selectable: true,
      itemsAlwaysDraggable: { item: true, range: true },
      editable: { add: true, updateTime: true, updateGroup: true, remove: false, overrideItems: false },
      snap: (date) => Math.round(date.valueOf() / SNAP_MS) * SNAP_MS,
      moment: (date) => vis.moment(date).utcOffset(state.offsetMinutes),
      format: {
        minorLabels: (date, scale) => (scale === "day" || scale === "weekday" ? dayLabel(date) : date.format("HH:mm")),
        majorLabels: (date, scale) => (scale === "day" || scale === "weekday" || scale === "month" ? `${date.year()}-${date.month() + 1}` : dayLabel(date)),
      },
      locale: "en",
      showCurrentTime: true,
      tooltip: { followMouse: true, overflowMethod: "cap" },
      margin: { item: { horizontal: 0, vertical: 6 } },
      onAdd: onDropFromQueue,
      onMove: onMoveBar,
      onMoving: (item, callback) => callback(item),
    };
  }

  function engineerName(id) {
    const found = state.board.engineers.find((e) => e.id === id);
    return found ? found.name : `#${id}`;
  }

  function taskOf(id) {
    return state.board.tasks.find((t) => t.id === id) || state.board.queue.find((t) => t.id === id);
  }

  function onDropFromQueue(item, callback) {
    callback(null); // the server's answer redraws the board
    if (!item.taskId || item.group === undefined || item.group === null) return;
    const task = taskOf(item.taskId);
    drop(task, item.group, new Date(item.start), task ? task.duration : undefined);
  }

  function onMoveBar(item, callback) {
    const task = taskOf(item.taskId);
    const minutes = Math.max(5, Math.round((new Date(item.end) - new Date(item.start)) / 60000));
    callback(null); // back where it was until the server placed it
    drop(task, item.group, new Date(item.start), minutes);
  }

  function onBoardClick(props) {
    if (!state.selected || props.group === null || props.group === undefined || props.what === "item") return;
    const task = taskOf(state.selected);
    const at = new Date(Math.round(props.time.valueOf() / SNAP_MS) * SNAP_MS);
    state.selected = null;
    drop(task, props.group, at, task ? task.duration : undefined);
  }

  async function drop(task, engineerId, start, minutes) {
    if (!task || state.busy) return;
    state.busy = true;
    setStatus(say("checking"));
    const body = { task: task.id, engineer: engineerId, start: start.toISOString(), version: task.version };
    if (minutes) body.duration = minutes;
    try {
      const answer = await api("POST", "/api/v1/dispatch/place", body);
      if (answer.status === 200) {
        const text = say("placed", { task: task.number, engineer: engineerName(engineerId), time: dayAndClock(body.start) });
        await load(true, { text, kind: "ok" });
      } else if (answer.status === 409 && answer.data.violations) {
        showProblem(task, engineerId, body, answer.data.violations);
        setStatus("");
      } else {
        await load(true, { text: answer.data.detail || answer.data.title || String(answer.status), kind: "error" });
      }
    } catch (error) {
      setStatus(say("failed", { detail: String(error) }), "error");
    } finally {
      state.busy = false;
    }
  }

  // ---- refused drops ----------------------------------------------------------------------
  function showProblem(task, engineerId, body, violations) {
    state.pending = { task, engineerId, body };
    const panel = document.getElementById("dc-problem");
    document.getElementById("dc-problem-title").textContent = say("refused_title", {
      task: task.number,
      engineer: engineerName(engineerId),
      time: dayAndClock(body.start),
    });
    const list = document.getElementById("dc-violations");
    list.replaceChildren();
    for (const violation of violations) {
      const line = document.createElement("li");
      line.dataset.rule = violation.rule;
      line.className = violation.forcible ? "" : "dc-hard";
      line.textContent = T[`rule_${violation.rule}`] ? say(`rule_${violation.rule}`, violation.params) : violation.message;
      list.append(line);
    }
    const forcible = violations.every((v) => v.forcible);
    panel.querySelector('[data-action="force"]').hidden = !forcible;
    document.getElementById("dc-reason-row").hidden = !forcible;
    if (!forcible) {
      const line = document.createElement("li");
      line.className = "dc-hard";
      line.textContent = say("cannot_force");
      list.append(line);
    }
    document.getElementById("dc-reason").value = "";
    panel.hidden = false;
    panel.querySelector(forcible ? '[data-action="force"]' : '[data-action="dismiss"]').focus();
  }

  async function force() {
    const pending = state.pending;
    if (!pending) return;
    const reason = document.getElementById("dc-reason").value.trim();
    const body = { ...pending.body, force: true };
    if (reason) body.reason = reason;
    const answer = await api("POST", "/api/v1/dispatch/place", body);
    hideProblem();
    if (answer.status === 200) {
      const text = say("forced", { task: pending.task.number, engineer: engineerName(pending.engineerId), time: dayAndClock(body.start) });
      await load(true, { text, kind: "ok" });
    } else {
      await load(true, { text: answer.data.detail || answer.data.title || String(answer.status), kind: "error" });
    }
  }

  function hideProblem() {
    state.pending = null;
    document.getElementById("dc-problem").hidden = true;
  }

  // ---- the best slots for one task ------------------------------------------------------
  async function showSlots(task) {
    const panel = document.getElementById("dc-slots");
    const list = document.getElementById("dc-slot-list");
    document.getElementById("dc-slots-title").textContent = say("slots_title", { task: task.number });
    list.replaceChildren();
    panel.hidden = false;
    setStatus(say("finding"));
    const answer = await api("POST", "/api/v1/dispatch/insert", { task: task.id, date: state.day, limit: 3 });
    setStatus("");
    if (answer.status !== 200) {
      list.append(line(answer.data.detail || answer.data.title || String(answer.status), "dc-hard"));
      return;
    }
    if (!answer.data.best) {
      list.append(line(say("no_slot", { reason: answer.data.reason }), "dc-hard"));
      return;
    }
    for (const slot of [answer.data.best, ...answer.data.alternatives]) {
      const item = document.createElement("li");
      item.dataset.engineerId = String(slot.engineer);
      const what = document.createElement("p");
      what.className = "dc-slot-what";
      what.textContent = say("slot_line", { engineer: engineerName(slot.engineer), from: dayAndClock(slot.start), to: clock(slot.end) });
      const why = document.createElement("p");
      why.className = "dc-card-facts";
      const timing = slot.late_minutes > 0 ? say("slot_late", { time: span(slot.late_minutes) }) : say("slot_on_time");
      why.textContent = `${say("slot_why", { km: slot.added_travel_km, minutes: Math.round(slot.added_travel_minutes), position: slot.position + 1 })}; ${timing}`;
      const place = document.createElement("button");
      place.type = "button";
      place.className = "primary";
      place.dataset.action = "place-slot";
      place.textContent = say("place_here");
      place.addEventListener("click", () => {
        panel.hidden = true;
        drop(task, slot.engineer, new Date(slot.start), task.duration);
      });
      item.append(what, why, place);
      list.append(item);
    }
    list.querySelector("button").focus();
  }

  function line(text, className) {
    const item = document.createElement("li");
    item.className = className || "";
    item.textContent = text;
    return item;
  }

  // ---- optimising the day: a proposal, its diff, commit and undo -----------------------
  function openOptimise() {
    const panel = document.getElementById("dc-optimise");
    document.getElementById("dc-optimise-form").hidden = false;
    document.getElementById("dc-progress").hidden = true;
    document.getElementById("dc-diff").hidden = true;
    panel.hidden = false;
    panel.querySelector('[data-action="start-optimise"]').focus();
  }

  function closeOptimise() {
    document.getElementById("dc-optimise").hidden = true;
    state.proposal = null;
    showProposed(null);
  }

  async function startOptimise() {
    const body = {
      date: state.day,
      move: document.getElementById("dc-move").value,
      seconds: Number(document.getElementById("dc-seconds").value),
    };
    if (state.group) body.service_group = Number(state.group);
    document.getElementById("dc-optimise-form").hidden = true;
    const progress = document.getElementById("dc-progress");
    progress.hidden = false;
    progress.value = 0;
    const queued = await api("POST", "/api/v1/dispatch/optimize", body);
    if (queued.status !== 202) {
      setStatus(queued.data.detail || queued.data.title || String(queued.status), "error");
      closeOptimise();
      return;
    }
    let proposal = queued.data;
    while (proposal.status === "queued" || proposal.status === "running") {
      await new Promise((resolve) => window.setTimeout(resolve, 700));
      const read = await api("GET", queued.data.url);
      if (read.status !== 200) break;
      proposal = read.data;
      progress.value = proposal.progress || 0;
      setStatus(say("running", { n: proposal.progress || 0 }));
    }
    progress.hidden = true;
    if (proposal.status !== "ready") {
      setStatus(say("optimise_failed", { error: proposal.error || proposal.status }), "error");
      closeOptimise();
      return;
    }
    state.proposal = proposal;
    const diff = await api("GET", `/api/v1/dispatch/proposals/${proposal.id}/diff`);
    if (diff.status !== 200) {
      setStatus(diff.data.detail || String(diff.status), "error");
      return;
    }
    setStatus("");
    showDiff(diff.data);
    showProposed(proposal.plan);
  }

  function showDiff(diff) {
    document.getElementById("dc-diff-counts").textContent = say("diff_counts", diff.counts);
    const totals = document.getElementById("dc-diff-totals");
    totals.replaceChildren();
    for (const [key, pair] of Object.entries(diff.totals)) {
      totals.append(row(say(`total_${key}`), pair.now, pair.proposed, key));
    }
    const loads = document.getElementById("dc-diff-loads");
    loads.replaceChildren();
    for (const load of diff.engineers) {
      const line = (l) => say("load_line", { tasks: l.tasks, hours: l.hours });
      loads.append(row(load.name, line(load.now), line(load.proposed), `engineer-${load.engineer}`));
    }
    const list = document.getElementById("dc-diff-tasks");
    list.replaceChildren();
    for (const change of diff.tasks.filter((c) => c.change !== "unchanged")) {
      const item = document.createElement("li");
      item.dataset.taskId = String(change.task);
      item.dataset.change = change.change;
      const params = { task: change.number, reason: change.reason };
      if (change.after) {
        Object.assign(params, { engineer: engineerName(change.after.engineer), time: dayAndClock(change.after.start) });
      }
      if (change.before && change.before.engineer) {
        Object.assign(params, { from_engineer: engineerName(change.before.engineer), from_time: change.before.start ? dayAndClock(change.before.start) : "" });
      }
      item.textContent = say(`change_${change.change}`, params);
      list.append(item);
    }
    document.getElementById("dc-diff").hidden = false;
    document.querySelector('#dc-diff [data-action="commit"]').focus();
  }

  function row(label, now, proposed, key) {
    const line = document.createElement("tr");
    line.dataset.key = key;
    for (const [tag, text] of [["th", label], ["td", now], ["td", proposed]]) {
      const cell = document.createElement(tag);
      cell.textContent = text === null || text === undefined ? "–" : String(text);
      line.append(cell);
    }
    return line;
  }

  function showProposed(plan) {
    if (!items) return;
    items.remove(items.getIds({ filter: (item) => item.proposed }));
    if (!plan) return;
    const moving = new Set(plan.movable || []);
    for (const route of plan.routes) {
      for (const visit of route.tasks) {
        if (!moving.has(visit.task)) continue;
        const task = taskOf(visit.task);
        items.add({
          id: `proposed-${visit.task}`,
          proposed: true,
          group: route.engineer,
          start: visit.start,
          end: visit.end,
          type: "range",
          content: (task && task.number ? task.number : String(visit.task)).split("-").pop(),
          className: "dc-proposed",
          editable: false,
          selectable: false,
        });
      }
    }
  }

  async function commitProposal() {
    const proposal = state.proposal;
    if (!proposal) return;
    const answer = await api("POST", `/api/v1/dispatch/proposals/${proposal.id}/commit`);
    closeOptimise();
    if (answer.status === 200) {
      state.undo = proposal.id;
      document.getElementById("dc-undo-box").hidden = false;
      await load(true, { text: say("committed", answer.data), kind: "ok" });
    } else {
      await load(true, { text: answer.data.detail || String(answer.status), kind: "error" });
    }
  }

  async function undoProposal() {
    if (!state.undo) return;
    const answer = await api("POST", `/api/v1/dispatch/proposals/${state.undo}/undo`);
    state.undo = null;
    document.getElementById("dc-undo-box").hidden = true;
    if (answer.status === 200) {
      await load(true, { text: say("undone", answer.data), kind: "ok" });
    } else {
      await load(true, { text: answer.data.detail || String(answer.status), kind: "error" });
    }
  }

  // ---- the map ----------------------------------------------------------------------------
  function drawMap(fit = true) {
    const box = document.getElementById("dc-map");
    if (!window.L || box.closest("[hidden]") || root.dataset.map === "off") return;
    if (!map) {
      map = L.map(box, { attributionControl: Boolean(settings.tiles), zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
      if (settings.tiles) {
        L.tileLayer(settings.tiles, { maxZoom: 19 }).addTo(map);
      } else {
        box.classList.add("dc-plain");
        box.title = say("no_map");
      }
    }
    if (mapLayers) mapLayers.remove();
    mapLayers = L.layerGroup().addTo(map);
    const bounds = [];
    for (const group of state.board.groups) {
      // its boundary when it has one, else the hull of its engineers' and tasks' places
      const corners = Array.isArray(group.polygon) && group.polygon.length >= 3 ? group.polygon : hull(placesOf(group.id));
      if (corners.length >= 3) {
        const area = L.polygon(corners, { className: "dc-area", weight: 1 }).addTo(mapLayers);
        area.bindTooltip(group.name, { permanent: !settings.tiles, direction: "center", className: "dc-area-label" });
        corners.forEach((p) => bounds.push(p));
      }
    }
    const cluster = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 }) : L.layerGroup();
    const pins = [];
    for (const task of [...state.board.tasks, ...state.board.queue]) {
      if (!task.location) continue;
      const at = [task.location.lat, task.location.lng];
      const icon = L.divIcon({ className: `dc-pin dc-status-${task.status}${task.risk ? " dc-risk-" + task.risk : ""}`, html: "", iconSize: [14, 14] });
      const marker = L.marker(at, { icon, title: task.number || "" });
      marker.bindTooltip(`${task.number} · ${say(`status_${task.status}`)}`);
      pins.push(marker);
      bounds.push(at);
    }
    if (cluster.addLayers) {
      cluster.addLayers(pins); // in one go: a thousand pins one by one take seconds
    } else {
      pins.forEach((pin) => cluster.addLayer(pin));
    }
    cluster.addTo(mapLayers);
    for (const engineer of state.board.engineers) {
      if (!engineer.position) continue;
      const at = [engineer.position.lat, engineer.position.lng];
      const dot = L.circleMarker(at, { radius: 8, className: `dc-engineer ${engineer.position.stale ? "stale" : "fresh"}`, weight: 2 });
      dot.bindTooltip(`${engineer.name} · ${say("stale_since", { time: dayAndClock(engineer.position.seen_at) })}`);
      dot.on("click", () => {
        state.routeEngineer = engineer.id;
        drawMap(false);
      });
      dot.addTo(mapLayers);
      bounds.push(at);
    }
    if (state.routeEngineer) {
      const engineer = state.board.engineers.find((e) => e.id === state.routeEngineer);
      const stops = state.board.tasks.filter((t) => t.engineer === state.routeEngineer && t.location).map((t) => [t.location.lat, t.location.lng]);
      if (engineer && engineer.start_place) stops.unshift([engineer.start_place.lat, engineer.start_place.lng]);
      if (stops.length > 1) L.polyline(stops, { className: "dc-route", weight: 4 }).addTo(mapLayers);
    }
    if (!fit && state.mapShown) {
      // a refresh keeps where the dispatcher panned and zoomed
    } else if (bounds.length) {
      map.fitBounds(bounds, { padding: [20, 20], maxZoom: 15 });
    } else {
      map.setView([31.23, 121.47], 10);
    }
    state.mapShown = true;
    map.invalidateSize();
  }

  function placesOf(groupId) {
    const places = [];
    for (const task of [...state.board.tasks, ...state.board.queue]) {
      if (task.service_group === groupId && task.location) places.push([task.location.lat, task.location.lng]);
    }
    for (const engineer of state.board.engineers) {
      if (engineer.groups.includes(groupId) && engineer.home) places.push([engineer.home.lat, engineer.home.lng]);
    }
    return places;
  }

  function hull(points) {
    // Andrew's monotone chain: the convex hull of [lat, lng] points, in order
    const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    if (sorted.length < 3) return [];
    const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    const half = (list) => {
      const out = [];
      for (const point of list) {
        while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], point) <= 0) out.pop();
        out.push(point);
      }
      out.pop();
      return out;
    };
    return [...half(sorted), ...half([...sorted].reverse())];
  }

  // ---- the toolbar ------------------------------------------------------------------------
  function shiftDay(days) {
    const d = new Date(`${state.day}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    state.day = d.toISOString().slice(0, 10);
    document.getElementById("dc-date").value = state.day;
    load(false);
  }

  function today() {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: settings.zone || "UTC", year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date());
    const get = (type) => parts.find((p) => p.type === type).value;
    return `${get("year")}-${get("month")}-${get("day")}`;
  }

  function start() {
    const params = new URLSearchParams(window.location.search);
    // the day the server chose for early.js (the date asked for, else today in the user's zone)
    const early = window.__dcEarly && new URL(window.__dcEarly.url, window.location.href);
    state.day = (early && early.searchParams.get("date")) || params.get("date") || settings.today || today();
    state.group = params.get("service_group") || "";
    document.getElementById("dc-date").value = state.day;
    root.querySelector('[data-action="prev"]').addEventListener("click", () => shiftDay(-state.days));
    root.querySelector('[data-action="next"]').addEventListener("click", () => shiftDay(state.days));
    root.querySelector('[data-action="today"]').addEventListener("click", () => {
      state.day = today();
      document.getElementById("dc-date").value = state.day;
      load(false);
    });
    document.getElementById("dc-date").addEventListener("change", (event) => {
      if (event.target.value) {
        state.day = event.target.value;
        load(false);
      }
    });
    for (const button of root.querySelectorAll("[data-view]")) {
      button.addEventListener("click", () => {
        state.days = Number(button.dataset.view);
        root.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
        load(false);
      });
    }
    document.getElementById("dc-group").addEventListener("change", (event) => {
      state.group = event.target.value;
      load(false);
    });
    for (const id of ["dc-priority", "dc-risk", "dc-skill", "dc-type"]) {
      document.getElementById(id).addEventListener("change", drawQueue);
    }
    const mapButton = root.querySelector('[data-action="map"]');
    mapButton.addEventListener("click", () => {
      const on = root.dataset.map === "off";
      root.dataset.map = on ? "on" : "off";
      mapButton.setAttribute("aria-pressed", String(on));
      if (on) drawMap();
      if (timeline) timeline.redraw();
    });
    root.querySelector('[data-action="force"]').addEventListener("click", force);
    root.querySelector('[data-action="dismiss"]').addEventListener("click", hideProblem);
    root.querySelector('[data-action="optimise"]').addEventListener("click", openOptimise);
    root.querySelector('[data-action="start-optimise"]').addEventListener("click", startOptimise);
    root.querySelector('[data-action="close-optimise"]').addEventListener("click", closeOptimise);
    root.querySelector('[data-action="commit"]').addEventListener("click", commitProposal);
    root.querySelector('[data-action="discard"]').addEventListener("click", closeOptimise);
    root.querySelector('[data-action="undo"]').addEventListener("click", undoProposal);
    root.querySelector('[data-action="close-slots"]').addEventListener("click", () => {
      document.getElementById("dc-slots").hidden = true;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        hideProblem();
        document.getElementById("dc-slots").hidden = true;
      }
    });
    load(false);
    listen();
    window.setInterval(() => {
      if (document.visibilityState === "visible") refresh();
    }, REFRESH_MS);
  }

  // ---- live: another dispatcher's drop, an engineer's step, a new task -------------------
  let refreshTimer = null;

  function refresh() {
    // a burst of changes (a commit of many tasks) is one read of the board
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(() => {
      if (state.busy || state.pending || !state.board) {
        refresh();
      } else {
        load(true);
      }
    }, 60);
  }

  function listen() {
    if (!window.EventSource) {
      poll(null);
      return;
    }
    const events = new EventSource("/api/v1/dispatch/events");
    events.addEventListener("changed", refresh);
    events.addEventListener("error", () => {
      if (events.readyState === EventSource.CLOSED) {
        poll(null); // refused or not supported on the way (a proxy): ask every few seconds
      }
    });
  }

  async function poll(last) {
    let stamp = last;
    try {
      const answer = await api("GET", "/api/v1/dispatch/stamp");
      if (answer.status === 200) {
        if (last !== null && answer.data.stamp !== last) refresh();
        stamp = answer.data.stamp;
      }
    } catch (error) {
      // offline for a moment: the next poll tries again
    }
    window.setTimeout(() => poll(stamp), POLL_MS);
  }

  start();
})();
