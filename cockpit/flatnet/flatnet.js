// flatnetd's Cockpit page. Everything shown comes from the daemon on the
// system bus (org.flatnet.flatnet1, flatnetd(8)): the Network objects and the
// Manager's properties through cockpit.dbus proxies, which follow
// GetManagedObjects, InterfacesAdded/Removed and PropertiesChanged, so the page
// never polls. Changes go through the daemon's own methods; it decides who may
// make them (root, or polkit's org.flatnet.flatnet1.manage) and the page shows
// its refusal word for word. The drop-in editor is checked by Manager.Check,
// the validator of `flatnetctl check`; nothing is written unless it passes.
"use strict";

(function () {
    const BUS = "org.flatnet.flatnet1";
    const ROOT = "/org/flatnet/flatnet1";
    const MANAGER = "org.flatnet.flatnet1.Manager";
    const NETWORK = "org.flatnet.flatnet1.Network";
    const CHECK_DELAY_MS = 250;

    const $ = (id) => document.getElementById(id);
    const client = cockpit.dbus(BUS, { bus: "system", superuser: "try" });
    const manager = client.proxy(MANAGER, ROOT);
    const networks = client.proxies(NETWORK, ROOT);
    const admin = cockpit.permission({ admin: true });

    // ---- small helpers ----

    function el(tag, attrs, ...children) {
        const e = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
            if (v === null || v === undefined || v === false) continue;
            if (k === "text") e.textContent = v;
            else if (k === "class") e.className = v;
            else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
            else e.setAttribute(k, v === true ? "" : String(v));
        }
        for (const c of children) if (c !== null && c !== undefined) e.append(c);
        return e;
    }

    /** A value of an a{sv} dict as cockpit.dbus hands it over ({t, v}). */
    function dv(dict, key) {
        const x = dict && dict[key];
        return x === undefined ? undefined : x.v;
    }

    function diagText(d) {
        return dv(d, "Text") || dv(d, "Message") || "";
    }

    function errorText(ex) {
        return (ex && (ex.message || ex.problem)) ? cockpit.message(ex) : String(ex);
    }

    function quote(word) {
        return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : "'" + word.replace(/'/g, "'\\''") + "'";
    }

    function alertError(what, ex) {
        const box = $("alert");
        box.replaceChildren(el("strong", { text: what + " failed: " }), el("span", { class: "fn-error-text", text: errorText(ex) }));
        box.hidden = false;
    }

    function say(text) {
        $("alert").hidden = true;
        $("status").textContent = text;
    }

    function call(method, args, signature) {
        return client.call(ROOT, MANAGER, method, args || [], { type: signature || "" });
    }

    // ---- authorization: the daemon decides, the page says why ----

    function updateAccess() {
        const note = $("access");
        if (admin.allowed === false) {
            note.textContent = "You have limited access: reload, reconcile, up and down need administrative access " +
                "(or a polkit rule for org.flatnet.flatnet1.manage); flatnetd will refuse them otherwise. " +
                "Saving a drop-in needs administrative access.";
            note.hidden = false;
        } else {
            note.hidden = true;
        }
        updateSave();
    }
    admin.addEventListener("changed", updateAccess);

    // ---- overview ----

    function stateClass(state) {
        switch (state) {
        case "configured": return "fn-ok";
        case "probing": case "no-carrier": case "waiting-for-parent": case "degraded": case "down": return "fn-warn";
        default: return "fn-bad";
        }
    }

    function stateLabel(state) {
        return {
            "configured": "Configured",
            "probing": "Probing the LAN",
            "no-carrier": "No carrier",
            "waiting-for-parent": "Waiting for parent",
            "degraded": "Degraded",
            "failed": "Failed",
            "down": "Down",
            "invalid": "Invalid drop-in",
        }[state] || state || "Unknown";
    }

    function when(usec) {
        const n = Number(usec || 0);
        return n > 0 ? new Date(n / 1000).toLocaleString() : "never";
    }

    function row(term, value, key) {
        const dd = el("dd", { "data-key": key });
        if (Array.isArray(value)) dd.append(value.length ? value.join(", ") : "none");
        else dd.append(value === "" || value === undefined || value === null ? "none" : value);
        return [el("dt", { text: term }), dd];
    }

    /**
     * LAN conflicts: another host answering for a shim's address (flatnetd's
     * ARP probe files them as address-in-use diagnostics of the network). A
     * flatnetd without the probe has none, and the row says "none".
     */
    function lanConflicts(name) {
        return (manager.Diagnostics || [])
            .filter((d) => dv(d, "Network") === name && dv(d, "Code") === "address-in-use")
            .map(diagText);
    }

    function networkCard(p) {
        const name = p.Name;
        const state = p.State;
        const card = el("article", { class: "pf-c-card fn-network", "data-network": name, "aria-labelledby": "net-" + p.path });
        const title = el("h3", { id: "net-" + p.path },
            el("span", { text: name }), " ",
            el("span", { class: "fn-state " + stateClass(state), "data-key": "State", text: stateLabel(state) }));
        card.append(title);
        if (p.LastError) card.append(el("p", { class: "fn-error-text", "data-key": "LastError", text: p.LastError }));
        const vlan = p.VLAN ? String(p.VLAN) : "none";
        const dl = el("dl", { class: "fn-props" });
        const drift = (p.EngineDiagnostics || []).map(diagText);
        const conflicts = lanConflicts(name);
        const reattach = String(p.ReattachCount || 0) + (p.ReattachPending ? ` (${p.ReattachPending} pending)` : "") +
            (p.LastReattachUSec ? `, last ${when(p.LastReattachUSec)}` : "");
        for (const [t, v, k] of [
            ["Drop-in", p.ConfigFile, "ConfigFile"],
            ["Parent", p.Parent + (!p.ParentIfIndex ? " (not present)" : p.Carrier ? " (carrier)" : " (no carrier)"), "Parent"],
            ["VLAN", vlan, "VLAN"],
            ["Driver", `${p.Driver} ${p.Mode}`, "Driver"],
            ["Shim", p.Shim || "none", "Shim"],
            ["Addresses", p.Addresses || [], "Addresses"],
            ["Live addresses", p.LiveAddresses || [], "LiveAddresses"],
            ["Routes", p.Routes || [], "Routes"],
            ["Container range", p.IPRanges || [], "IPRanges"],
            ["Restores", String(p.RestoreCount || 0), "RestoreCount"],
            ["Re-attached containers", reattach, "ReattachCount"],
            ["Engine drift", drift, "EngineDiagnostics"],
            ["LAN conflicts", conflicts, "Conflicts"],
            ["Last change", when(p.LastChangeUSec), "LastChangeUSec"],
        ]) dl.append(...row(t, v, k));
        if (p.ReattachError) dl.append(...row("Re-attach error", p.ReattachError, "ReattachError"));
        card.append(dl);
        const down = state === "down";
        card.append(el("div", { class: "fn-toolbar" },
            el("button", {
                type: "button", class: "pf-c-button pf-m-secondary", "data-mutating": "yes", "aria-describedby": "access",
                "aria-label": (down ? "Bring up " : "Take down ") + name,
                onclick: () => (down ? upNetwork(p) : downNetwork(p)),
                text: down ? "Up" : "Down",
            }),
            el("button", {
                type: "button", class: "pf-c-button pf-m-link", "aria-label": "Commands for " + name,
                onclick: () => showCommands(name), text: "Docker / Podman / CNI",
            }),
            // Offered only by a flatnetd that has Manager.Probe (the LAN scan).
            typeof manager.Probe === "function" ? el("button", {
                type: "button", class: "pf-c-button pf-m-link", "data-mutating": "yes", "aria-describedby": "access",
                "aria-label": "Scan the LAN range of " + name, onclick: () => probe(name), text: "Scan the LAN",
            }) : null,
            p.ConfigFile ? el("button", {
                type: "button", class: "pf-c-button pf-m-link", "aria-label": "Edit " + p.ConfigFile,
                onclick: () => openEditor(p.ConfigFile), text: "Edit drop-in",
            }) : null));
        return card;
    }

    function renderNetworks() {
        const list = Object.values(networks).filter((p) => p && p.valid !== false && typeof p.Name === "string");
        list.sort((a, b) => a.Name.localeCompare(b.Name));
        const box = $("networks");
        // Keep the focus where it was across a re-render (a live update must not steal a keyboard user's place).
        const focused = document.activeElement;
        const focusKey = focused && box.contains(focused) ? focused.getAttribute("aria-label") : null;
        box.replaceChildren(...list.map(networkCard));
        $("nets-none").hidden = list.length > 0 || !manager.valid;
        if (focusKey) {
            const again = [...box.querySelectorAll("button")].find((b) => b.getAttribute("aria-label") === focusKey);
            if (again) again.focus();
        }
    }

    function renderManager() {
        if (!manager.valid) return;
        const runs = manager.Runs !== undefined ? `, ${manager.Runs} reconciles` : "";
        const engines = (manager.Engines || []).map((e) => `${dv(e, "Engine") || dv(e, "Socket")}: ${dv(e, "State")}` +
            (dv(e, "Message") ? ` (${dv(e, "Message")})` : ""));
        $("daemon").textContent = `flatnetd ${manager.Version}: ${manager.State}${runs}` +
            (engines.length ? `; engines: ${engines.join("; ")}` : "");
        const diags = manager.Diagnostics || [];
        $("diag-none").hidden = diags.length > 0;
        $("diagnostics").replaceChildren(...diags.map((d) => {
            const file = dv(d, "File");
            const sev = dv(d, "Severity");
            return el("li", { class: "fn-diag fn-" + sev, "data-file": file, "data-line": dv(d, "Line") },
                el("span", { class: "fn-sev", text: sev }), " ",
                el("code", { text: diagText(d) }),
                file && file.endsWith(".conf")
                    ? el("button", {
                        type: "button", class: "pf-c-button pf-m-link pf-m-inline", "aria-label": "Edit " + file,
                        onclick: () => openEditor(file), text: "Edit",
                    })
                    : null);
        }));
        renderNetworks();
        document.querySelector("main").setAttribute("aria-busy", "false");
    }

    manager.addEventListener("changed", renderManager);
    networks.addEventListener("added", renderNetworks);
    networks.addEventListener("changed", renderNetworks);
    networks.addEventListener("removed", renderNetworks);
    manager.wait(() => {
        if (!manager.valid) {
            $("daemon").textContent = "flatnetd is not running (no org.flatnet.flatnet1 on the system bus).";
            document.querySelector("main").setAttribute("aria-busy", "false");
        }
        renderManager();
    });
    client.addEventListener("owner", (_ev, owner) => {
        if (owner === null) $("daemon").textContent = "flatnetd has left the system bus; waiting for it to come back.";
    });

    // ---- actions: the dry run first ----

    function planOpText(op) {
        const nets = dv(op, "Networks") || [];
        return `${dv(op, "Description")}` + (nets.length ? ` [${nets.join(", ")}]` : "") + ` (${dv(op, "Reason")})`;
    }

    /** Show `intro` and the daemon's dry run; resolve when the person applies, reject on cancel. */
    function review(intro, ops, blocked) {
        const dialog = $("plan");
        $("plan-intro").textContent = intro;
        $("plan-ops").replaceChildren(...ops.map((t) => el("li", { text: t })));
        if (ops.length === 0) $("plan-ops").append(el("li", { class: "fn-muted", text: "No link, address or route changes." }));
        $("plan-blocked").replaceChildren(...blocked.map((b) => el("li", { class: "fn-warn-text", text: b })));
        return new Promise((resolve) => {
            const done = (ok) => {
                $("plan-apply").onclick = null;
                $("plan-cancel").onclick = null;
                dialog.onclose = null;
                if (dialog.open) dialog.close();
                resolve(ok);
            };
            $("plan-apply").onclick = () => done(true);
            $("plan-cancel").onclick = () => done(false);
            dialog.onclose = () => done(false);
            dialog.showModal();
            $("plan-apply").focus();
        });
    }

    async function withPlan(intro, what, run) {
        let plan;
        try {
            plan = await call("Plan");
        } catch (ex) {
            alertError("Plan", ex);
            return;
        }
        const [ops, blocked] = plan;
        const ok = await review(intro, ops.map(planOpText),
            blocked.map((b) => `${dv(b, "Network")}: ${dv(b, "State")}: ${dv(b, "Reason")}`));
        if (!ok) return;
        try {
            await run();
            say(what + " done.");
        } catch (ex) {
            alertError(what, ex);
        }
    }

    $("reconcile").addEventListener("click", () =>
        withPlan("flatnetd will look at the kernel again and make these changes now:", "Reconcile", () => call("Reconcile")));
    $("reload").addEventListener("click", () =>
        withPlan("flatnetd will re-read the drop-ins and reconcile. With the drop-ins loaded now, that means:",
            "Reload", () => call("Reload")));

    /** What a network's drop-in has flatnetd make (its links, addresses, routes), for the dialogs. */
    function madeFor(p) {
        const links = [p.VLAN ? p.Parent : "", p.Shim ? `${p.Shim} on ${p.Parent}` : ""].filter((x) => x);
        const addrs = (p.Addresses || []).join(", ");
        const routes = (p.Routes || []).join(", ");
        return [links.join(", "), addrs && `address ${addrs}`, routes && `routes to ${routes}`].filter((x) => x).join("; ");
    }

    function upNetwork(p) {
        // Plan leaves a network that is down out (it is blocked): say what Up makes from its drop-in.
        const made = madeFor(p);
        const intro = `Bring ${p.Name} up: flatnetd makes again what its drop-in says` + (made ? ` (${made})` : "") +
            ". Other pending changes:";
        return withPlan(intro, `Up ${p.Name}`, () => call("Up", [p.Name], "s"));
    }

    function downNetwork(p) {
        const made = [p.Shim, p.VLAN ? p.Parent : ""].filter((x) => x);
        const intro = `Take ${p.Name} down: flatnetd removes what it made for it` +
            (made.length ? ` (${made.join(", ")})` : "") +
            ", and its containers lose the host's shim until Up or a reload. Other pending changes:";
        return withPlan(intro, `Down ${p.Name}`, () => call("Down", [p.Name], "s"));
    }

    /** Manager.Probe: who answers on the LAN for the network's range (ARP): (scanned, occupants, errors). */
    async function probe(name) {
        say(`Scanning the LAN range of ${name}…`);
        try {
            const [scanned, occupants, errors] = await call("Probe", [name, false], "sb");
            const lines = (occupants || []).map((o) => `${dv(o, "Address")} ${dv(o, "MACAddress")} ${dv(o, "Owner")}${dv(o, "Detail") ? " (" + dv(o, "Detail") + ")" : ""}`);
            say(`${name}: ${scanned} addresses scanned; ` + (lines.length ? `answering: ${lines.join("; ")}` : "none answered") +
                ((errors || []).length ? `; could not probe: ${errors.join("; ")}` : ""));
        } catch (ex) {
            alertError("Scanning " + name, ex);
        }
    }

    // ---- commands to copy ----

    let commandsFor = null;

    async function showEmit(method) {
        for (const tab of document.querySelectorAll("#commands [role=tab]")) {
            tab.setAttribute("aria-selected", String(tab.dataset.emit === method));
        }
        const pre = $("commands-text");
        pre.textContent = "…";
        try {
            const [out] = await call(method, [commandsFor], "s");
            pre.textContent = Array.isArray(out) ? out.map(quote).join(" ") : out;
        } catch (ex) {
            pre.textContent = errorText(ex);
        }
    }

    function showCommands(name) {
        commandsFor = name;
        $("commands-net").textContent = name;
        $("commands").hidden = false;
        showEmit("DockerArgs");
        $("tab-docker").focus();
    }

    for (const tab of document.querySelectorAll("#commands [role=tab]")) {
        tab.addEventListener("click", () => showEmit(tab.dataset.emit));
    }
    $("commands-copy").addEventListener("click", () => {
        const text = $("commands-text").textContent;
        if (navigator.clipboard) navigator.clipboard.writeText(text).then(() => say("Copied."), () => say("Select the text to copy it."));
    });
    $("commands-close").addEventListener("click", () => { $("commands").hidden = true; });

    // ---- the drop-in editor ----

    const editor = { path: null, tag: undefined, checked: null, valid: false, seq: 0, timer: null };

    function fileName(path) {
        return path.slice(path.lastIndexOf("/") + 1);
    }

    function updateSave() {
        const why = !editor.checked ? "Checking…"
            : !editor.valid ? "Fix the errors above to save."
                : admin.allowed === false ? "Saving needs administrative access."
                    : "";
        $("editor-save").disabled = why !== "";
        $("editor-why").textContent = why;
    }

    function renderProblems(diags) {
        const text = $("editor-text").value;
        const lines = Math.max(1, text.split("\n").length);
        const bad = new Map();
        for (const d of diags) if (dv(d, "Line")) bad.set(dv(d, "Line"), dv(d, "Severity"));
        const gutter = [];
        for (let i = 1; i <= lines; i++) gutter.push((bad.has(i) ? (bad.get(i) === "error" ? "✖" : "▲") : " ") + String(i).padStart(3));
        $("editor-gutter").textContent = gutter.join("\n");
        $("editor-problems").replaceChildren(...diags.map((d) => el("li", {
            class: "fn-diag fn-" + dv(d, "Severity"), "data-line": dv(d, "Line"),
        }, el("span", { class: "fn-sev", text: dv(d, "Line") ? `line ${dv(d, "Line")}` : dv(d, "Severity") }), " ",
        el("span", { text: (dv(d, "Key") ? `${dv(d, "Key")}=${dv(d, "Value")}: ` : "") + dv(d, "Message") }))));
        $("editor-text").setAttribute("aria-invalid", String(diags.some((d) => dv(d, "Severity") === "error")));
    }

    async function check() {
        const seq = ++editor.seq;
        const name = $("editor-name").value.trim();
        const text = $("editor-text").value;
        editor.checked = null;
        updateSave();
        let path, diags;
        try {
            [path, diags] = await call("Check", [name, text], "ss");
        } catch (ex) {
            if (seq !== editor.seq) return;
            editor.checked = true;
            editor.valid = false;
            $("editor-path").textContent = "";
            renderProblems([{ Severity: { t: "s", v: "error" }, Message: { t: "s", v: errorText(ex) } }]);
            updateSave();
            return;
        }
        if (seq !== editor.seq) return; // a later keystroke's check is on its way
        editor.checked = { path, text };
        editor.valid = !diags.some((d) => dv(d, "Severity") === "error");
        $("editor-path").textContent = "Saved as " + path;
        renderProblems(diags);
        updateSave();
    }

    function scheduleCheck() {
        editor.checked = null;
        updateSave();
        clearTimeout(editor.timer);
        editor.timer = setTimeout(check, CHECK_DELAY_MS);
    }

    async function openEditor(path) {
        $("editor").hidden = false;
        $("editor-name").value = path ? fileName(path) : "";
        $("editor-text").value = "";
        editor.path = path;
        editor.tag = undefined;
        if (path) {
            try {
                const file = cockpit.file(path, { superuser: "try" });
                const [text, tag] = await new Promise((resolve, reject) =>
                    file.read().then((t, g) => resolve([t, g]), reject));
                file.close();
                $("editor-text").value = text || "";
                editor.tag = tag;
            } catch (ex) {
                alertError("Reading " + path, ex);
            }
        } else {
            $("editor-text").value = "[Network]\nName=\nParent=\nSubnet=\nIPRange=\n\n[Shim]\nAddress=\n";
        }
        $("editor-text").focus();
        await check();
    }

    async function save() {
        await check();
        if (!editor.valid || !editor.checked) return;
        const { path, text } = editor.checked;
        // The tag makes the write fail if the file changed since it was read (another editor, the shell).
        const tag = editor.path === path ? editor.tag : undefined;
        try {
            const file = cockpit.file(path, { superuser: "try" });
            editor.tag = await file.replace(text, tag);
            file.close();
            editor.path = path;
            say(`Saved ${path}; flatnetd reads it on its own.`);
        } catch (ex) {
            alertError("Saving " + path, ex);
        }
    }

    $("editor-text").addEventListener("input", scheduleCheck);
    $("editor-name").addEventListener("input", scheduleCheck);
    $("editor-save").addEventListener("click", save);
    $("editor-close").addEventListener("click", () => { $("editor").hidden = true; });
    $("new-dropin").addEventListener("click", () => openEditor(null));
    $("editor-text").addEventListener("scroll", () => { $("editor-gutter").scrollTop = $("editor-text").scrollTop; });

    updateAccess();
}());
