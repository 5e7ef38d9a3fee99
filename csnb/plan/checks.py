"""Cross-checks of a plan: references, duplicates, cycles, dates and environment variables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from csnb.errors import Issue
from csnb.plan.located import Located
from csnb.plan.people import GROUPS, domain_of, recipients, within
from csnb.plan.suggest import did_you_mean
from csnb.registry import sources as registry

Parts = dict[str, list[tuple[Any, Any]]]
Add = Callable[[tuple, str], None]


def _raw_ids(doc: Located, section: str) -> set[str]:
    """Ids present in the raw file, so an element that failed validation is not also reported unknown."""
    items = doc.data.get(section) if isinstance(doc.data, dict) else None
    if section == "sources":
        return {str(k) for k in items} if isinstance(items, dict) else set()
    key = "ritual" if section == "cadence" else "id"
    return {
        str(i[key]) for i in (items if isinstance(items, list) else []) if isinstance(i, dict) and key in i
    }


def cross_check(doc: Located, parts: Parts, env: Any) -> list[Issue]:
    """Every cross-reference problem in the plan, located in its file."""
    issues: list[Issue] = []

    def add(path: tuple, message: str) -> None:
        issues.append(doc.issue(path, message))

    known = {name: _raw_ids(doc, name) for name in ("people", "metrics", "milestones", "sources")}
    raw = doc.data if isinstance(doc.data, dict) else {}
    check_people = isinstance(raw.get("people"), list)  # a missing people list is reported once, not per ref
    _duplicates(parts, add)
    _metric_checks(parts, known, add)
    _milestone_checks(parts, known, add)
    if check_people:
        _people_refs(parts, known, add)
    _change_checks(parts, known, add)
    _source_checks(parts, env, add)
    _domain_checks(parts, add)
    return issues


def _domain_checks(parts: Parts, add: Add) -> None:
    """With ``client.domains``, every client-side address is in one of them (or a subdomain)."""
    domains = [c.domains for _, c in parts.get("client", [])]
    if not domains or not domains[0]:
        return
    for i, person in parts.get("people", []):
        if person.side == "client" and person.email:
            domain = domain_of(person.email)
            if not any(within(domain, d) for d in domains[0]):
                add(
                    ("people", i, "email"),
                    f"{person.email} is not in the client's domains ({', '.join(domains[0])}); a client-side "
                    "address must be in client.domains",
                )


def plan_warnings(plan: Any, doc: Located) -> list[Issue]:
    """What is allowed but probably wrong: e-mail rituals without client domains, or that reach no one;
    a data file that does not exist (yet)."""
    rituals = [(i, r) for i, r in enumerate(plan.cadence) if r.channel == "email"]
    found = _missing_files(plan, doc)
    if rituals and not plan.client.domains:
        found.append(
            doc.issue(
                ("client",),
                "warning: the plan e-mails reports but declares no client.domains; list the client's e-mail "
                "domains so that an address outside them is refused",
            )
        )
    for i, ritual in rituals:
        if not any(p.email for p in recipients(plan, ritual)):
            found.append(
                doc.issue(
                    ("cadence", i, "recipients"),
                    f"warning: e-mail ritual {ritual.ritual!r} reaches no one: none of its recipients has an "
                    "e-mail address",
                )
            )
    return found


def _missing_files(plan: Any, doc: Located) -> list[Issue]:
    """A warning per file source whose file is not there yet.

    A warning, not an error, since an export may write the file later; a run that still finds no file fails
    naming the source (fail closed), so the warning says so now rather than at report time.
    """
    folder = plan.path.parent if plan.path is not None else None
    found = []
    for name, source in plan.sources.items():
        path = source.path
        if folder is None or not path or "${" in path or "://" in path:
            continue  # an environment variable or a URL is resolved at pull time
        if not (folder / path).exists():
            found.append(
                doc.issue(
                    ("sources", name, "path"),
                    f"warning: data file {path} does not exist (yet); fine if it is written before the "
                    "next run, else the report of this plan fails naming source " + repr(name),
                )
            )
    return found


def _duplicates(parts: Parts, add: Add) -> None:
    for section, key in (
        ("people", "id"),
        ("goals", "id"),
        ("metrics", "id"),
        ("milestones", "id"),
        ("risks", "id"),
        ("cadence", "ritual"),
        ("changes", "id"),
        ("escalation", "level"),
    ):
        seen: dict[Any, int] = {}
        for i, item in parts.get(section, []):
            value = getattr(item, key)
            if value in seen:
                add((section, i, key), f"duplicate {key} {value!r} (first used at {section}[{seen[value]}])")
            else:
                seen[value] = i


def _metric_checks(parts: Parts, known: dict[str, set[str]], add: Add) -> None:
    kinds: dict[str, str] = {}
    for _, m in parts.get("metrics", []):
        kinds.setdefault(m.id, m.kind)  # a duplicate id is reported; the first definition counts
    for i, goal in parts.get("goals", []):
        for j, ref in enumerate(goal.metrics):
            if ref not in known["metrics"]:
                add(
                    ("goals", i, "metrics", j),
                    f"unknown metric {ref!r}" + did_you_mean(ref, known["metrics"]),
                )
    for i, m in parts.get("metrics", []):
        if m.source not in known["sources"]:
            add(
                ("metrics", i, "source"),
                f"unknown source {m.source!r}"
                + (did_you_mean(m.source, known["sources"]) or " (define it under `sources:`)"),
            )
        _target_checks(i, m, add)
        if m.kind == "lead" and not m.leads:
            add(("metrics", i, "leads"), "a lead metric must name the lag metric(s) it leads")
        if m.kind == "lag" and m.leads:
            add(("metrics", i, "leads"), "only lead metrics lead; this metric is kind `lag`")
        _lead_refs(i, m, known, kinds, add)


def _target_checks(i: int, m: Any, add: Add) -> None:
    if m.target.date <= m.baseline.date:
        add(
            ("metrics", i, "target", "date"),
            f"target date {m.target.date} is not after baseline date {m.baseline.date}",
        )
    if m.target.value == m.baseline.value:
        add(
            ("metrics", i, "target", "value"),
            f"target equals baseline ({m.target.value:g}): progress cannot be measured",
        )
    elif (m.target.value - m.baseline.value) * m.better < 0:
        add(
            ("metrics", i, "target", "value"),
            f"target {m.target.value:g} is {'below' if m.better > 0 else 'above'} baseline "
            f"{m.baseline.value:g} but direction is {m.direction!r}",
        )


def _lead_refs(i: int, m: Any, known: dict[str, set[str]], kinds: dict[str, str], add: Add) -> None:
    for j, ref in enumerate(m.leads):
        if ref not in known["metrics"]:
            add(("metrics", i, "leads", j), f"unknown metric {ref!r}" + did_you_mean(ref, known["metrics"]))
        elif ref == m.id:
            add(("metrics", i, "leads", j), "a metric cannot lead itself")
        elif m.kind == "lead" and kinds.get(ref) == "lead":
            add(("metrics", i, "leads", j), f"{ref!r} is a lead metric; a lead must lead a lag metric")


def _milestone_checks(parts: Parts, known: dict[str, set[str]], add: Add) -> None:
    milestones = parts.get("milestones", [])
    for i, ms in milestones:
        _milestone_refs(i, ms, known, add)
    for i, risk in parts.get("risks", []):
        if risk.trigger and risk.trigger.metric not in known["metrics"]:
            add(
                ("risks", i, "trigger", "metric"),
                f"unknown metric {risk.trigger.metric!r}"
                + did_you_mean(risk.trigger.metric, known["metrics"]),
            )
    for index, cycle in _cycles({ms.id: (i, ms.depends_on) for i, ms in milestones}):
        add(("milestones", index, "depends_on"), "dependency cycle: " + " -> ".join(cycle))


def _milestone_refs(i: int, ms: Any, known: dict[str, set[str]], add: Add) -> None:
    if ms.due < ms.start:
        add(("milestones", i, "due"), f"due date {ms.due} is before start {ms.start}")
    for j, dep in enumerate(ms.depends_on):
        if dep not in known["milestones"]:
            add(
                ("milestones", i, "depends_on", j),
                f"unknown milestone {dep!r}" + did_you_mean(dep, known["milestones"]),
            )
        elif dep == ms.id:
            add(("milestones", i, "depends_on", j), "a milestone cannot depend on itself")
    for j, crit in enumerate(ms.criteria):
        if crit.metric is not None and crit.metric not in known["metrics"]:
            add(
                ("milestones", i, "criteria", j, "metric"),
                f"unknown metric {crit.metric!r}" + did_you_mean(crit.metric, known["metrics"]),
            )


def _cycles(graph: dict[str, tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """Each dependency cycle once, as (index of its first milestone, [ids..., first id again])."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = finished
    reported: set[frozenset[str]] = set()
    for root in graph:
        if root in state:
            continue
        # an explicit stack, not recursion: a long chain of milestones must not overflow Python's stack
        path, todo = [root], [iter(graph[root][1])]
        state[root] = 1
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                state[path.pop()] = 2
                todo.pop()
            elif dep in graph and dep != path[-1] and state.get(dep) == 1:
                cycle = path[path.index(dep) :] + [dep]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    yield graph[dep][0], cycle
            elif dep in graph and dep not in state:
                state[dep] = 1
                path.append(dep)
                todo.append(iter(graph[dep][1]))


def _milestone_people(i: int, ms: Any) -> Iterator[tuple[tuple, str]]:
    yield ("milestones", i, "owner"), ms.owner
    for role in ("responsible", "accountable", "consulted", "informed"):
        for j, ref in enumerate(getattr(ms.raci, role) if ms.raci else []):
            yield ("milestones", i, "raci", role, j), ref
    for j, ci in enumerate(ms.client_inputs):
        if ci.owner:
            yield ("milestones", i, "client_inputs", j, "owner"), ci.owner
    for j, action in enumerate(ms.recovery):
        yield ("milestones", i, "recovery", j, "owner"), action.owner


def _recovery_owners(parts: Parts) -> Iterator[tuple[tuple, str]]:
    for i, g in parts.get("goals", []):
        for j, action in enumerate(g.recovery):
            yield ("goals", i, "recovery", j, "owner"), action.owner


def _person_paths(parts: Parts) -> Iterator[tuple[tuple, str]]:
    yield from _recovery_owners(parts)
    for i, m in parts.get("metrics", []):
        if m.owner:
            yield ("metrics", i, "owner"), m.owner
    for i, ms in parts.get("milestones", []):
        yield from _milestone_people(i, ms)
    for i, r in parts.get("risks", []):
        yield ("risks", i, "owner"), r.owner
    for i, c in parts.get("changes", []):
        yield ("changes", i, "by"), c.by
        if c.decided_by:
            yield ("changes", i, "decided_by"), c.decided_by
    for section, key in (("escalation", "contacts"), ("decisions", "by")):
        for i, item in parts.get(section, []):
            for j, ref in enumerate(getattr(item, key)):
                yield (section, i, key, j), ref


def _people_refs(parts: Parts, known: dict[str, set[str]], add: Add) -> None:
    for path, ref in _person_paths(parts):
        if ref not in known["people"]:
            add(
                path,
                f"unknown person {ref!r}"
                + (did_you_mean(ref, known["people"]) or " (add them under `people:`)"),
            )
    for i, ritual in parts.get("cadence", []):
        for j, ref in enumerate(ritual.recipients):
            if ref not in known["people"] and ref not in GROUPS:
                add(
                    ("cadence", i, "recipients", j),
                    f"unknown recipient {ref!r}"
                    + (
                        did_you_mean(ref, [*known["people"], *GROUPS])
                        or f" (a person id or one of: {', '.join(GROUPS)})"
                    ),
                )
    people: dict[str, Any] = {}
    for _, person in parts.get("people", []):
        people.setdefault(person.id, person)  # a duplicate id is reported; the first definition counts
    for i, step in parts.get("escalation", []):
        for j, ref in enumerate(step.contacts):
            if ref in people and people[ref].side != "provider":
                add(
                    ("escalation", i, "contacts", j),
                    f"escalation contacts are provider-side; {ref!r} is a client",
                )


def _change_checks(parts: Parts, known: dict[str, set[str]], add: Add) -> None:
    targets = known["milestones"] | known["metrics"]
    for i, c in parts.get("changes", []):
        if c.status in ("approved", "rejected", "implemented") and c.decided_on is None:
            add(("changes", i, "decided_on"), f"a change with status {c.status!r} needs `decided_on`")
        if c.decided_on and c.decided_on < c.requested_on:
            add(
                ("changes", i, "decided_on"),
                f"decided on {c.decided_on}, before it was requested on {c.requested_on}",
            )
        for j, ref in enumerate(c.affects):
            if ref not in targets:
                add(
                    ("changes", i, "affects", j),
                    f"unknown milestone or metric {ref!r}"
                    + did_you_mean(ref, [*known["milestones"], *known["metrics"]]),
                )


def _source_checks(parts: Parts, env: Any, add: Add) -> None:
    used = {m.source for _, m in parts.get("metrics", [])}
    kinds = registry.kinds()
    for name, src in parts.get("sources", []):
        if src.kind not in kinds:
            add(("sources", name, "kind"), f"unknown source kind {src.kind!r} (known: {', '.join(kinds)})")
        elif src.kind == "sql" and not src.url:
            add(
                ("sources", name, "url"),
                "an sql source needs `url` (a SQLAlchemy URL, secrets via ${ENV_VAR})",
            )
        elif src.kind in ("csv", "parquet") and not src.path:
            add(("sources", name, "path"), f"a {src.kind} source needs `path` (relative to the plan file)")
        if name not in used:
            continue
        for field, var, has_default in src.env_refs():
            # name the variable, never its value nor any other variable's value
            if not has_default and var not in env:
                add(("sources", name, field), f"environment variable {var} is not set")
    sql_sources = {name for name, s in parts.get("sources", []) if s.kind == "sql"}
    for i, m in parts.get("metrics", []):
        if m.source in sql_sources and not m.query:
            add(("metrics", i, "query"), "a metric from an sql source needs `query`")
