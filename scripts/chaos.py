#!/usr/bin/env python3
"""Helpers of scripts/chaos.sh: the seeded fault plan, the background REST/status monitor, the
recovery wait, the sink drain and the final audit. Only the standard library is used.

  chaos.py plan SEED FAULTS
  chaos.py monitor WORK                 (runs until WORK/monitor.stop exists)
  chaos.py wait-recovered WORK BOUND_S  (prints the seconds it took; exit 1 on timeout)
  chaos.py idle WORK                    (prints the nodes that run no task)
  chaos.py drain WORK SINK_FILE BOUND_S
  chaos.py audit WORK SINK_FILE         (prints the table; exit 1 on any violation)

WORK holds nodes.txt ("name url worker_id" lines), expect.json, down (nodes now faulted, one a line;
the monitor and the checks leave them out), events.jsonl (written by chaos.sh) and the outputs.
"""
import base64
import json
import os
import random
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request

REQUIRED = ["kill_leader", "kill_follower", "freeze", "cut_follower", "cut_leader", "rolling_restart", "full_restart"]
REST_LIMIT = 2.0  # a request on the majority side must answer within this many seconds
CONFLICT_RETRY = 10.0  # a 409 must be resolved by retries within this many seconds
WRITE_TIMEOUT = 100.0  # the monitor waits this long for a write, to measure how long one hangs
LAG_TOLERANCE = 2.0  # nodes may disagree about a task's worker this long (replication lag)


# ----------------------------------------------------------------------------------------- util
def load_nodes(work):
    nodes = []
    with open(os.path.join(work, "nodes.txt")) as f:
        for line in f:
            if line.strip():
                name, url, wid = line.split()
                nodes.append({"name": name, "url": url, "worker": wid})
    return nodes


def down_set(work):
    try:
        with open(os.path.join(work, "down")) as f:
            return {l.strip() for l in f if l.strip()}
    except FileNotFoundError:
        return set()


# SECURE=1 (scripts/secure.sh): the cluster's CA and REST credentials.
TLS = ssl.create_default_context(cafile=os.environ["CONNECTD_CA"]) if os.environ.get("CONNECTD_CA") else None
AUTH = os.environ.get("CONNECTD_AUTH", "")


def http(method, url, body=None, timeout=REST_LIMIT):
    """Returns (code, parsed body or text, seconds); code 0 when no answer came in time."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if AUTH:
        headers["Authorization"] = "Basic " + base64.b64encode(AUTH.encode()).decode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=TLS) as r:
            raw = r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        raw, code = e.read(), e.code
    except Exception as e:  # timeout, refused, reset
        return 0, str(e), time.time() - t0
    dt = time.time() - t0
    try:
        return code, json.loads(raw) if raw else None, dt
    except ValueError:
        return code, raw.decode(errors="replace"), dt


def summarize(status):
    """{connector: {"state", "worker", "tasks": {id: [state, worker]}}} from ?expand=status."""
    out = {}
    for name, v in (status or {}).items():
        s = v.get("status", {})
        out[name] = {"state": s.get("connector", {}).get("state"), "worker": s.get("connector", {}).get("worker_id"),
                     "tasks": {str(t["id"]): [t["state"], t.get("worker_id")] for t in s.get("tasks", [])}}
    return out


# ----------------------------------------------------------------------------------------- plan
def plan(seed, faults):
    rng = random.Random(seed)
    kinds = REQUIRED[:]
    rng.shuffle(kinds)
    kinds += [rng.choice(REQUIRED) for _ in range(max(0, faults - len(REQUIRED)))]
    for k in kinds:
        # hold: how long the fault lasts, as a fraction of (lease + skew + delay) drawn later by
        # chaos.sh; pick chooses a node among the candidates; order permutes a rolling restart.
        print(k, "%.3f" % rng.random(), "%.3f" % rng.random(), "".join(rng.sample("123", 3)))


# -------------------------------------------------------------------------------------- monitor
def monitor(work):
    nodes = load_nodes(work)
    out = open(os.path.join(work, "monitor.jsonl"), "a", buffering=1)
    lock = threading.Lock()
    stop = os.path.join(work, "monitor.stop")

    def emit(rec):
        with lock:
            out.write(json.dumps(rec) + "\n")

    def probe_write(node):
        """PUT a cluster-scoped logger level: a Raft write, forwarded to the leader by followers.
        A 409 is retried. The timeout is long so that a hanging request shows how long it hangs."""
        url = node["url"] + "/admin/loggers/chaos.probe?scope=cluster"
        t0 = time.time()
        attempts, worst, codes = 0, 0.0, []
        while True:
            attempts += 1
            code, body, dt = http("PUT", url, {"level": "INFO"}, timeout=WRITE_TIMEOUT)
            worst = max(worst, dt)
            codes.append(code)
            if code == 409 and time.time() - t0 < CONFLICT_RETRY and dt <= REST_LIMIT:
                time.sleep(0.1)
                continue
            return {"code": code, "attempts": attempts, "lat": round(worst, 3), "total": round(time.time() - t0, 3),
                    "codes": codes[-5:], "err": None if 200 <= code < 300 else str(body)[:300]}

    def reads(node):
        while not os.path.exists(stop):
            if node["name"] in down_set(work):
                time.sleep(0.1)
                continue
            t0 = time.time()
            code, body, dt = http("GET", node["url"] + "/connectors?expand=status")
            rec = {"t": round(t0, 3), "node": node["name"], "op": "read", "code": code, "lat": round(dt, 3)}
            if code == 200:
                rec["status"] = summarize(body)
            else:
                rec["err"] = str(body)[:300]
            rec["down"] = node["name"] in down_set(work)
            emit(rec)
            time.sleep(0.25)

    def writes(node):
        while not os.path.exists(stop):
            if node["name"] in down_set(work):
                time.sleep(0.1)
                continue
            t0 = time.time()
            w = probe_write(node)
            w.update({"t": round(t0, 3), "node": node["name"], "op": "write", "down": node["name"] in down_set(work)})
            emit(w)
            time.sleep(0.5)

    threads = [threading.Thread(target=f, args=(n,), daemon=True) for n in nodes for f in (reads, writes)]
    for t in threads:
        t.start()
    while not os.path.exists(stop):
        time.sleep(0.2)
    time.sleep(1)  # let requests in flight finish; a hanging one is abandoned


def idle(work):
    """Prints the nodes that run no task, as the first answering node sees it."""
    nodes = load_nodes(work)
    for n in nodes:
        code, body, _ = http("GET", n["url"] + "/connectors?expand=status")
        if code != 200:
            continue
        busy = {t[1] for c in summarize(body).values() for t in c["tasks"].values()}
        for m in nodes:
            if m["worker"] not in busy:
                print(m["name"])
        return 0
    return 1


# ------------------------------------------------------------------------------------- recovery
def check_view(view, expect, workers):
    """Returns None when a node's view shows everything as expected and balanced, else why not."""
    for name, e in expect["connectors"].items():
        c = view.get(name)
        if c is None:
            return "%s missing" % name
        if c["state"] != e["state"]:
            return "%s is %s" % (name, c["state"])
        if len(c["tasks"]) != e["tasks"]:
            return "%s has %d tasks" % (name, len(c["tasks"]))
        for tid, (st, w) in c["tasks"].items():
            if st != e["task_state"]:
                return "%s task %s is %s" % (name, tid, st)
            if w not in workers:
                return "%s task %s on unknown worker %s" % (name, tid, w)
    counts = {w: 0 for w in workers}
    for name in expect["connectors"]:
        for st, w in view[name]["tasks"].values():
            counts[w] += 1
    if max(counts.values()) - min(counts.values()) > 1:
        return "unbalanced tasks %s" % counts
    return None


def wait_recovered(work, bound):
    nodes = load_nodes(work)
    expect = json.load(open(os.path.join(work, "expect.json")))
    workers = {n["worker"] for n in nodes}
    t0 = time.time()
    good, why = 0, "no answer yet"
    while time.time() - t0 < bound:
        down = down_set(work)
        views, why = [], None
        for n in nodes:
            if n["name"] in down:
                continue
            code, body, _ = http("GET", n["url"] + "/connectors?expand=status")
            if code != 200:
                why = "%s answered %s" % (n["name"], code)
                break
            v = summarize(body)
            views.append(v)
            why = check_view(v, expect, workers)
            if why:
                why = "%s: %s" % (n["name"], why)
                break
        if why is None and views and any(json.dumps(v, sort_keys=True) != json.dumps(views[0], sort_keys=True) for v in views):
            why = "nodes disagree"
        good = good + 1 if why is None else 0
        if good >= 2:
            print("%.1f" % (time.time() - t0))
            return 0
        time.sleep(0.25)
    print("timeout after %.0fs: %s" % (bound, why))
    return 1


# ---------------------------------------------------------------------------------------- drain
def read_sink(path):
    """Yields (byte position, record) for every record in the sink file. A line torn by a writer that
    died mid-line is split at the last record start, and the fragment before it is counted."""
    torn = [0]

    def gen():
        pos = 0
        with open(path, "rb") as f:
            for raw in f:
                start = pos
                pos += len(raw)
                line = raw.decode(errors="replace").strip()
                if not line:
                    continue
                try:
                    yield start, json.loads(line)
                    continue
                except ValueError:
                    pass
                torn[0] += 1
                k = line.rfind('{"task":')
                if k > 0:
                    try:
                        yield start, json.loads(line[k:])
                    except ValueError:
                        pass
    return gen(), torn


def committed_offsets(work, connector):
    for n in load_nodes(work):
        if n["name"] in down_set(work):
            continue
        code, body, _ = http("GET", n["url"] + "/connectors/%s/offsets" % connector)
        if code == 200:
            return {int(o["partition"]["task"]): int(o["offset"]["seqno"]) for o in body.get("offsets", [])}
    return None


def drain(work, sink, bound):
    expect = json.load(open(os.path.join(work, "expect.json")))
    source = expect["source"]
    t0 = time.time()
    committed = None
    while committed is None and time.time() - t0 < bound:
        committed = committed_offsets(work, source)
        if committed is None:
            time.sleep(0.5)
    json.dump(committed or {}, open(os.path.join(work, "committed.json"), "w"))
    last_size, stable_since = -1, time.time()
    while time.time() - t0 < bound:
        size = os.path.getsize(sink) if os.path.exists(sink) else 0
        if size != last_size:
            last_size, stable_since = size, time.time()
        elif time.time() - stable_since >= 5:
            seen = {}
            recs, _ = read_sink(sink)
            for _, r in recs:
                if r.get("id") == source:
                    seen[r["task"]] = max(seen.get(r["task"], -1), r["seqno"])
            behind = {t: (seen.get(t, -1), s) for t, s in (committed or {}).items() if seen.get(t, -1) < s}
            if not behind:
                print("%.1f" % (time.time() - t0))
                return 0
            if time.time() - stable_since >= 30:
                print("sink stopped short of the committed source offsets (task: (in sink, committed)): %s" % behind)
                return 1
        time.sleep(0.5)
    print("sink still growing after %.0fs" % bound)
    return 1


# ---------------------------------------------------------------------------------------- audit
def load_jsonl(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def audit(work, sink):
    expect = json.load(open(os.path.join(work, "expect.json")))
    source, paused = expect["source"], expect["paused"]
    skew_ms = float(os.environ.get("SKEW_MS", "0"))
    events = load_jsonl(os.path.join(work, "events.jsonl"))
    mon = load_jsonl(os.path.join(work, "monitor.jsonl"))
    violations = []

    # Fault windows: from injection to recovery (or to the next fault).
    faults = {}
    for e in events:
        if "i" not in e:
            continue
        f = faults.setdefault(e["i"], {"i": e["i"], "kind": e.get("fault", ""), "node": "", "hold": None})
        if e["event"] == "inject":
            f.update(start=e["t"], node=e.get("node", ""), pos=e.get("sink_pos", 0), hold=e.get("hold"))
        elif e["event"] == "heal":
            f["heal"] = e["t"]
        elif e["event"] == "recovered":
            f["end"] = e["t"]
            f["recover"] = e.get("secs")
        elif e["event"] == "timeout":
            f["end"] = e["t"]
            f["recover"] = None
            violations.append("fault %d %s: not recovered within the bound: %s" % (e["i"], f["kind"], e.get("why", "")))
        elif e["event"] == "note":
            f.setdefault("notes", []).append(e.get("why", ""))
    order = [faults[k] for k in sorted(faults)]
    for f in order:
        f.setdefault("end", f.get("start", 0))

    def fault_at(t):
        for f in order:
            if f.get("start", 1e18) <= t <= f["end"] + 1:
                return f
        return None

    # REST availability on the majority side.
    for f in order:
        f.update(ok=0, total=0, worst=0.0, fails=[])
    quiet = {"ok": 0, "total": 0, "worst": 0.0, "fails": []}
    for r in mon:
        if r.get("down"):
            continue  # the node was faulted while the request ran
        lat = r["lat"]
        ok = 200 <= r["code"] < 300 and lat <= REST_LIMIT
        f = fault_at(r["t"]) or quiet
        f["total"] += 1
        f["worst"] = max(f["worst"], lat)
        if ok:
            f["ok"] += 1
        else:
            what = "%s %s at +%.1fs: code %s after %.2fs%s" % (r["node"], r["op"], r["t"] - f.get("start", r["t"]), r["code"],
                                                           r.get("total", lat), (" (" + str(r.get("err"))[:120] + ")") if r.get("err") else "")
            f["fails"].append(what)
            violations.append("fault %s %s: REST on the majority side: %s" % (f.get("i", "-"), f.get("kind", "between faults"), what))

    # No task RUNNING on two workers at once, as the nodes report it; the PAUSED connector stays paused.
    latest = {}
    streaks = {}
    worst_streak = {}
    paused_bad = []
    for r in sorted((r for r in mon if r["op"] == "read" and r["code"] == 200 and not r.get("down")), key=lambda r: r["t"]):
        st = r["status"]
        p = st.get(paused)
        if p and (p["state"] == "RUNNING" or any(s == "RUNNING" for s, _ in p["tasks"].values())):
            paused_bad.append("%s at %.1f: %s" % (r["node"], r["t"], p))
        latest[r["node"]] = (r["t"], st)
        for other, (t2, st2) in latest.items():
            if other == r["node"] or r["t"] - t2 > 1.0:
                continue
            for conn, c in st.items():
                c2 = st2.get(conn)
                if not c2:
                    continue
                for tid, (s, w) in c["tasks"].items():
                    s2, w2 = c2["tasks"].get(tid, (None, None))
                    if s == "RUNNING" and s2 == "RUNNING" and w != w2:
                        key = (conn, tid, tuple(sorted((w, w2))))
                        first, last = streaks.get(key, (r["t"], r["t"]))
                        if r["t"] - last > 1.5:
                            first = r["t"]
                        streaks[key] = (first, r["t"])
                        if r["t"] - first > worst_streak.get(key, (0, 0))[0]:
                            worst_streak[key] = (r["t"] - first, first)
    for key, (secs, first) in sorted(worst_streak.items()):
        if secs > LAG_TOLERANCE:
            violations.append("task %s-%s reported RUNNING on %s by one node and on %s by another for %.1fs from %.1f (fault %s)" %
                              (key[0], key[1], key[2][0], key[2][1], secs, first,
                               (lambda f: "%d %s" % (f["i"], f["kind"]) if f else "-")(fault_at(first))))
    if paused_bad:
        violations.append("%s was reported RUNNING %d times, first: %s" % (paused, len(paused_bad), paused_bad[0]))

    # The sink file: gaps, duplicates, interleaving.
    recs, torn = read_sink(sink)
    per_task = {}
    positions = []
    for pos, r in recs:
        if r.get("id") != source:
            continue
        per_task.setdefault(r["task"], []).append((pos, r))
        positions.append(pos)
    committed = {}
    try:
        committed = {int(k): v for k, v in json.load(open(os.path.join(work, "committed.json"))).items()}
    except (FileNotFoundError, ValueError):
        pass
    starts = [(f.get("pos", 0), f) for f in order if "pos" in f]

    def fault_by_pos(pos):
        hit = None
        for p, f in starts:
            if p <= pos:
                hit = f
        return hit

    for f in order:
        f.update(dups=0, redeliv=0)
    totals = {"records": 0, "unique": 0, "dups": 0, "redeliv": 0, "lost": 0}
    task_rows = []
    late_notes = []
    for task in sorted(per_task):
        rows = per_task[task]
        totals["records"] += len(rows)
        seen_seq, seen_off = {}, set()
        for pos, r in rows:
            off = (r.get("partition"), r.get("offset"))
            if r["seqno"] in seen_seq:
                f = fault_by_pos(pos)
                if off in seen_off:
                    totals["redeliv"] += 1
                    if f:
                        f["redeliv"] += 1
                else:
                    totals["dups"] += 1
                    if f:
                        f["dups"] += 1
            seen_seq[r["seqno"]] = r
            seen_off.add(off)
        top = max(seen_seq)
        missing = [s for s in range(0, top + 1) if s not in seen_seq]
        if task in committed and committed[task] > top:
            missing += list(range(top + 1, committed[task] + 1))
        totals["unique"] += len(seen_seq)
        totals["lost"] += len(missing)
        if missing:
            violations.append("source task %d: %d records lost, seqnos %s" % (task, len(missing), ranges(missing)))
        # Two nodes producing one task at once. Walking the task's records in production-time
        # order (time_ms), a record from node X that continues X's own sequence (the seqno right
        # after X's previous record) while another node produced records in between means X's
        # instance kept running after the task moved: a violation. A new instance would resume
        # after the last committed seqno instead.
        uniq = {}
        for _, r in rows:
            uniq[(r.get("partition") or 0, r.get("offset") or 0)] = r
        last = {}
        incidents = []
        for k, r in sorted(uniq.items(), key=lambda kv: (kv[1]["time_ms"], kv[0])):
            x = r["node"]
            p = last.get(x)
            if p and r["seqno"] == p["seqno"] + 1:
                others = [y for y, q in last.items() if y != x and q["time_ms"] > p["time_ms"] + skew_ms]
                if others:
                    inc = incidents[-1] if incidents and {incidents[-1]["x"], incidents[-1]["y"]} == {x, others[0]} and \
                        r["time_ms"] - incidents[-1]["t1"] < 2000 else None
                    if inc is None:
                        inc = {"x": x, "y": others[0], "t0": p["time_ms"], "s0": p["seqno"], "n": 0,
                               "y_seq": last[others[0]]["seqno"], "y_t": last[others[0]]["time_ms"]}
                        incidents.append(inc)
                    inc["t1"], inc["s1"] = r["time_ms"], r["seqno"]
                    inc["n"] += 1
            last[x] = r
        for inc in incidents[:5]:
            f = fault_at(inc["t0"] / 1000.0)
            violations.append("source task %d produced by two nodes at once: %s went on with seqnos %d-%d at %d-%d ms while %s "
                              "produced (its seqno %d at %d ms) (during fault %s)" %
                              (task, inc["x"], inc["s0"], inc["s1"], inc["t0"], inc["t1"], inc["y"], inc["y_seq"], inc["y_t"],
                               "%d %s" % (f["i"], f["kind"]) if f else "-"))
        if len(incidents) > 5:
            violations.append("source task %d: %d more such incidents" % (task, len(incidents) - 5))
        # Late deliveries: a record that reached Kafka after another node's newer record of the
        # same task (a previous owner's producer delivering a batch after the task moved on).
        newest = {}
        late, late_ms, late_first = 0, 0, None
        for k in sorted(uniq):
            r = uniq[k]
            t_other = max((t for y, t in newest.items() if y != r["node"]), default=None)
            if t_other is not None and t_other > r["time_ms"] + skew_ms:
                late += 1
                if t_other - r["time_ms"] > late_ms:
                    late_ms = t_other - r["time_ms"]
                late_first = late_first or (r["node"], r["seqno"], k[1], r["time_ms"])
            newest[r["node"]] = max(newest.get(r["node"], 0), r["time_ms"])
        if late:
            f = fault_at(late_first[3] / 1000.0)
            late_notes.append("source task %d: %d records reached Kafka after a newer record of another node, up to %.1fs late; "
                              "first: %s seqno %d at offset %d, produced during fault %s" %
                              (task, late, late_ms / 1000.0, late_first[0], late_first[1], late_first[2],
                               "%d %s" % (f["i"], f["kind"]) if f else "-"))
        overlaps = incidents
        seq_nodes = [uniq[k]["node"] for k in sorted(uniq)]
        changes = sum(1 for a, b in zip(seq_nodes, seq_nodes[1:]) if a != b)
        task_rows.append((task, len(rows), top, committed.get(task, "-"), len(missing), changes, len(overlaps)))
    if not per_task:
        violations.append("the sink file has no records of %s" % source)

    # Report.
    print()
    print("| # | fault | node | hold s | recover s | REST ok/total | worst s | dup | redeliv |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in order:
        rec = "%.1f" % f["recover"] if isinstance(f.get("recover"), (int, float)) else "TIMEOUT"
        avail = "%d/%d (%.0f%%)" % (f["ok"], f["total"], 100.0 * f["ok"] / f["total"]) if f["total"] else "-"
        hold = "%.1f" % f["hold"] if isinstance(f.get("hold"), (int, float)) else "-"
        print("| %d | %s | %s | %s | %s | %s | %.2f | %d | %d |" % (f["i"], f["kind"], f["node"] or "-", hold, rec, avail,
                                                                 f["worst"], f["dups"], f["redeliv"]))
    if quiet["total"]:
        print("| - | (between faults) | - | - | - | %d/%d | %.2f | - | - |" % (quiet["ok"], quiet["total"], quiet["worst"]))
    print()
    print("| source task | records in sink | max seqno | committed seqno | lost | node changes | two at once |")
    print("|---|---|---|---|---|---|---|")
    for row in task_rows:
        print("| %s | %s | %s | %s | %s | %s | %s |" % row)
    print()
    print("records %d, unique %d, lost %d, duplicates %d re-produced + %d redelivered, torn sink lines %d" %
          (totals["records"], totals["unique"], totals["lost"], totals["dups"], totals["redeliv"], torn[0]))
    for n in late_notes:
        print("note: " + n)
    for f in order:
        for n in f.get("notes", []):
            print("note: fault %d %s: %s" % (f["i"], f["kind"], n))
    covered = {f["kind"] for f in order if "start" in f}
    for k in REQUIRED:
        if k not in covered:
            violations.append("fault kind %s was not exercised" % k)
    if violations:
        print("\nVIOLATIONS (%d):" % len(violations))
        for v in violations[:60]:
            print("  - " + v)
        if len(violations) > 60:
            print("  ... and %d more" % (len(violations) - 60))
        return 1
    print("\nno violations")
    return 0


def ranges(nums):
    out, start, prev = [], None, None
    for n in sorted(nums):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append("%d-%d" % (start, prev) if start != prev else str(start))
            start = prev = n
    if start is not None:
        out.append("%d-%d" % (start, prev) if start != prev else str(start))
    return ",".join(out[:10]) + (" ..." if len(out) > 10 else "")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "plan":
        plan(int(argv[2]), int(argv[3]))
        return 0
    if cmd == "monitor":
        monitor(argv[2])
        return 0
    if cmd == "idle":
        return idle(argv[2])
    if cmd == "wait-recovered":
        return wait_recovered(argv[2], float(argv[3]))
    if cmd == "drain":
        return drain(argv[2], argv[3], float(argv[4]))
    if cmd == "audit":
        return audit(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
