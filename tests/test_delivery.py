"""Delivering reports by e-mail, against a real SMTP server on 127.0.0.1 (aiosmtpd).

Two clients, alpha and beta, each with a report that carries its own canary string. The tests check
what a recipient would: who got which message, its subject, body and attachment; that a refused
recipient or a slow server does not stop the other clients' mail; that a second send does nothing;
and that the guard stops any message that could reach another client or carry its data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from csnb.delivery.send import (
    Courier,
    MailLog,
    UnsafeMessageError,
    foreign_markers,
    guard,
    mail_settings,
    recipients,
    report_message,
    send_client,
)
from csnb.delivery.smtp import DEFAULT_SUBJECT
from csnb.errors import ConfigError, InputError
from csnb.plan.checks import GROUPS
from csnb.project.folder import Project
from csnb.report.onepager import ONEPAGER_MIME
from csnb.report.sections import BANNER_CLASS, BANNER_META

pytest.importorskip("aiosmtpd")
from commands import free_port  # noqa: E402
from mailkit import (  # noqa: E402
    AS_OF,
    CANARY,
    NAMES,
    Recorder,
    make_project,
    onepager,
    smtp_server,
    write_report,
)


@pytest.fixture
def project(tmp_path, smtp) -> Project:
    return make_project(tmp_path, smtp[1])


def test_each_client_gets_its_own_report_with_subject_body_and_attachment(project, smtp):
    recorder, _ = smtp
    for client in ("alpha", "beta"):
        done = send_client(client, project)
        assert [d.status for d in done] == ["sent"], done

    got = recorder.by_client()
    assert set(got) == {"alpha", "beta"}
    for client, other in (("alpha", "beta"), ("beta", "alpha")):
        [(rcpt, msg)] = got[client]
        assert sorted(rcpt) == ["dana@provider.example", f"ops@{client}.example"]  # not the boss: not listed
        assert msg["Subject"] == f"{NAMES[client]}: weekly-update for {AS_OF}"  # [mail] subject of mailkit
        body = msg.get_body(("html",)).get_content()
        assert CANARY[client] in body and "<script" not in body.lower()
        text = msg.get_body(("plain",)).get_content()
        assert CANARY[client] in text and "Metrics that moved" in text
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == f"{client}-operator-{AS_OF}.html"
        # the static edition by default: the report without JavaScript, kept beside the report it came from
        static = (project.root / "reports" / client / AS_OF / "operator.static.html").read_text()
        assert attachment.get_content() == static
        assert CANARY[client] in static and "<script" not in static.lower()
        raw = msg.as_string()
        assert CANARY[other] not in raw and NAMES[other] not in raw and f"@{other}.example" not in raw


def test_the_body_is_the_one_pager_worst_news_first(project):
    _, out, _ = build(project, "alpha")
    body = out.message.get_body(("html",)).get_content()
    text = out.message.get_body(("plain",)).get_content()
    # the order a reader meets it: verdict, health, goals (worst first), recovery, needed from you, changes
    order = [
        CANARY["alpha"],
        "Health 63 / 100",
        "Cut manual routing time",
        "Forecast demand",
        "Recovery plan",
        "Second routing workshop",
        "Needed from you",
        "Call recordings (overdue by 3 days)",
        "What changed",
        "What comes next",
    ]
    positions = [body.find(words) for words in order]
    assert -1 not in positions and positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert "Now 527 min · target 450 min by 31 Dec 2026" in body and "■</span> Off track" in body
    assert "No data yet: expected from 1 Nov 2026 (Warehouse)" in body  # a goal without data says so
    assert "The full report, with every chart, milestone and risk, is attached" in body
    # the client is named once at the top, in its heading, before the verdict (which here names it too)
    top = body[body.index("<h1") : body.rindex(f"{NAMES['alpha']} is on track")]
    assert re.search(r"<h1[^>]*>Alpha Freight Group</h1>", top) and top.count(NAMES["alpha"]) == 1
    assert 'style="' in body and "<style" not in body and "max-width:640px" in body.replace(" ", "")
    assert 'width="700"' not in body and len(body.encode()) < 100_000
    for words in ("RECOVERY PLAN", "- ■ Off track: Cut manual routing time", "OVERDUE: Call recordings"):
        assert words in text


def test_the_default_subject_names_client_ritual_date_and_status(project):
    courier = Courier(project, dry_run=True)
    settings = replace(courier.settings, subject=DEFAULT_SUBJECT)
    plan = project.plan("alpha")
    html = project.root / "reports" / "alpha" / AS_OF / "operator.html"
    out = report_message(project, plan, plan.cadence[0], html, html.with_suffix(".ipynb"), settings)
    assert out.message["Subject"] == "Alpha Freight Group · weekly update · 15 Oct 2026 · Amber"


def test_what_a_user_typed_is_escaped_in_the_body(project):
    write_report(project.root, "alpha", f"Rosa & <b>Co</b> <img src=x onerror=alert(1)> {CANARY['alpha']}")
    _, out, _ = build(project, "alpha")
    body = out.message.get_body(("html",)).get_content()
    assert "Rosa &amp; &lt;b&gt;Co&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;" in body
    assert "<b>Co" not in body and "<img src=x" not in body


def test_sparklines_are_inline_cid_images_not_attachments(project, smtp):
    recorder, _ = smtp
    send_client("alpha", project)
    [(_, msg)] = recorder.received()
    body = msg.get_body(("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    # one sparkline: the second goal has no values to draw
    assert len(images) == 1 and images[0].get_content().startswith(b"\x89PNG")
    [image] = images
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in body and 'alt="Recent trend of Cut manual routing time"' in body
    assert image.get_content_disposition() == "inline" and image.get_filename() is None
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    assert image in related.get_payload()
    assert [a.get_content_type() for a in msg.iter_attachments()] == ["text/html"]  # the report only
    assert "<svg" not in body


def test_the_interactive_edition_is_attached_on_request(project, smtp):
    recorder, _ = smtp
    [done] = send_client("alpha", project, attach="interactive")
    assert done.status == "sent", done
    [(_, msg)] = recorder.received()
    [attachment] = list(msg.iter_attachments())
    interactive = (project.root / "reports" / "alpha" / AS_OF / "operator.html").read_text()
    assert attachment.get_content() == interactive
    with pytest.raises(InputError, match="--attach: use static or interactive"):
        send_client("alpha", project, attach="pdf")


def test_a_report_without_a_one_pager_is_not_sent(project, smtp):
    recorder, _ = smtp
    write_report(project.root, "alpha", f"Made by an older csnb. {CANARY['alpha']}", summary=False)
    [alpha] = send_client("alpha", project)
    assert alpha.status == "failed" and recorder.messages == []
    assert "no one-pager in operator.ipynb, executive.ipynb" in alpha.error
    assert "run the report again" in alpha.error


def test_the_other_editions_one_pager_serves_when_the_rituals_lacks_it(project, smtp):
    recorder, _ = smtp
    folder = write_report(project.root, "alpha", f"Old operator. {CANARY['alpha']}", summary=False).parent
    executive = nbformat.read(folder / "operator.ipynb", as_version=4)
    verdict = f"From the executive edition. {CANARY['alpha']}"
    executive.cells[0].outputs[0].data[ONEPAGER_MIME] = onepager("alpha", verdict)
    nbformat.write(executive, folder / "executive.ipynb")
    [alpha] = send_client("alpha", project)
    assert alpha.status == "sent", alpha.error
    [(_, msg)] = recorder.received()
    assert "From the executive edition." in msg.get_body(("html",)).get_content()


def test_a_report_made_without_a_source_carries_the_banner_in_the_body(project):
    folder = write_report(project.root, "alpha", f"Partial. {CANARY['alpha']}").parent
    nb = nbformat.read(folder / "operator.ipynb", as_version=4)
    header = new_output(
        "display_data",
        data={"text/html": f"<div class='{BANNER_CLASS}'>Data missing: source “warehouse”</div>"},
        metadata={BANNER_META: ["warehouse"]},
    )
    nb.cells.insert(0, new_code_cell("report.show('header')", outputs=[header]))
    nbformat.write(nb, folder / "operator.ipynb")
    _, out, _ = build(project, "alpha")
    body = out.message.get_body(("html",)).get_content()
    assert BANNER_CLASS in body and "Data missing: source “warehouse” could not be read" in body
    assert 'DATA MISSING: source "warehouse"' in out.message.get_body(("plain",)).get_content()


def test_a_second_send_does_nothing_unless_forced(project, smtp):
    recorder, _ = smtp
    send_client("alpha", project)
    again = send_client("alpha", project)
    assert [d.status for d in again] == ["skipped"] and len(recorder.messages) == 1
    forced = send_client("alpha", project, force=True)
    assert [d.status for d in forced] == ["sent"] and len(recorder.messages) == 2
    rows = MailLog(project.config.store_url).rows("alpha")
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 2)]
    assert rows[0]["message_id"] and rows[0]["report"].endswith("operator.html")


def test_a_refused_recipient_does_not_stop_the_others_and_is_retried(project, smtp):
    recorder, _ = smtp
    recorder.reject.add("ops@alpha.example")
    [alpha] = send_client("alpha", project)
    [beta] = send_client("beta", project)
    assert alpha.status == "partial" and "ops@alpha.example" in alpha.refused and "550" in alpha.error
    assert beta.status == "sent"
    assert [sorted(r) for r, _ in recorder.messages] == [
        ["dana@provider.example"],
        ["dana@provider.example", "ops@beta.example"],
    ]
    first_id = recorder.received()[0][1]["Message-ID"]

    recorder.reject.clear()
    [retry] = send_client("alpha", project)
    assert retry.status == "sent"
    rcpt, msg = recorder.received()[-1]
    assert rcpt == ["ops@alpha.example"] and msg["Message-ID"] == first_id  # only the refused, same message


@pytest.mark.slow
def test_a_timeout_is_recorded_and_the_other_clients_mail_still_goes(project, smtp):
    recorder, _ = smtp
    recorder.stall.add("ops@alpha.example")
    [alpha] = send_client("alpha", project)
    [beta] = send_client("beta", project)
    assert alpha.status == "failed" and "timed out" in alpha.error
    assert beta.status == "sent"
    assert MailLog(project.config.store_url).rows("alpha")[0]["status"] == "failed"


def test_failed_messages_are_retried_by_the_next_run(project, smtp):
    from csnb.delivery.send import deliver
    from csnb.run.job import Result

    recorder, _ = smtp
    recorder.reject.add("ops@beta.example")
    recorder.reject.add("dana@provider.example")
    assert [d.status for d in send_client("beta", project)] == ["failed"]  # every recipient refused
    recorder.reject.clear()
    html = str(project.root / "reports" / "alpha" / AS_OF / "operator.html")
    done = deliver(
        [Result("alpha", "operator", AS_OF, "ok", 1.0, html=html, ritual="weekly-update")], project
    )
    assert {(d.client, d.status) for d in done} == {("alpha", "sent"), ("beta", "sent")}
    assert set(recorder.by_client()) == {"alpha", "beta"}


def test_dry_run_writes_eml_files_next_to_the_report_and_sends_nothing(project, smtp):
    recorder, _ = smtp
    [d] = send_client("alpha", project, dry_run=True)
    path = project.root / "reports" / "alpha" / AS_OF / "weekly-update.eml"
    assert d.status == "written" and Path(d.path) == path
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["X-Csnb-Client"] == "alpha" and CANARY["alpha"] in msg.get_body(("html",)).get_content()
    assert recorder.messages == [] and MailLog(project.config.store_url).rows() == []


def test_the_guard_stops_a_report_that_mentions_another_client(project, smtp):
    recorder, _ = smtp
    write_report(project.root, "alpha", f"Benchmarked against {NAMES['beta']}. {CANARY['alpha']}")
    [alpha] = send_client("alpha", project)
    [beta] = send_client("beta", project)
    assert alpha.status == "unsafe" and NAMES["beta"] in alpha.error
    assert beta.status == "sent"
    assert set(recorder.by_client()) == {"beta"}
    assert (
        MailLog(project.config.store_url).rows("alpha")[0]["status"] == "failed"
    )  # retried, and stopped again


def build(project: Project, client: str):
    courier = Courier(project, dry_run=True)
    plan = project.plan(client)
    html = project.root / "reports" / client / AS_OF / "operator.html"
    out = report_message(project, plan, plan.cadence[0], html, html.with_suffix(".ipynb"), courier.settings)
    return plan, out, foreign_markers(project, plan)


def test_the_guard_refuses_an_address_outside_the_plan(project):
    plan, out, markers = build(project, "alpha")
    guard(out, plan, markers, project.config.reports)  # as built: fine
    del out.message["To"]
    out.message["To"] = "ops@alpha.example, ops@beta.example"
    out.envelope = ("ops@alpha.example", "ops@beta.example")
    with pytest.raises(UnsafeMessageError, match="ops@beta.example is not in this plan's people"):
        guard(out, plan, markers, project.config.reports)


def test_the_guard_refuses_another_clients_report_file_or_hidden_recipients(project):
    plan, out, markers = build(project, "alpha")
    out.envelope = out.envelope + (
        "dana@provider.example",
        "boss@alpha.example",
    )  # boss is not in the headers
    with pytest.raises(UnsafeMessageError, match="envelope"):
        guard(out, plan, markers, project.config.reports)

    plan, out, markers = build(project, "alpha")
    beta_html = project.root / "reports" / "beta" / AS_OF / "operator.html"
    out.sources = (beta_html,)
    with pytest.raises(UnsafeMessageError, match="not in this client's report folder"):
        guard(out, plan, markers, project.config.reports)

    plan, out, markers = build(project, "beta")  # a beta message handed to alpha's plan
    with pytest.raises(UnsafeMessageError, match="built for client 'beta'"):
        guard(out, project.plan("alpha"), markers, project.config.reports)


def test_the_guard_refuses_an_attachment_swapped_for_another_file(project):
    plan, out, markers = build(project, "alpha")
    [attachment] = list(out.message.iter_attachments())
    attachment.set_content("<p>something else</p>", subtype="html")
    with pytest.raises(UnsafeMessageError, match="not a file of this client's report"):
        guard(out, plan, markers, project.config.reports)


def test_recipient_groups_expand_from_the_plan(project):
    plan = project.plan("alpha")
    review = plan.cadence[1]
    assert [p.id for p in recipients(plan, review)] == ["boss"]
    assert set(GROUPS) == {"client", "provider", "client-executives", "provider-executives", "everyone"}


def test_mail_settings_refuse_a_password_in_the_file_and_unknown_keys():
    with pytest.raises(ConfigError, match="password_env"):
        mail_settings({"mail": {"password": "hunter2"}})
    with pytest.raises(ConfigError, match="mail.hots"):
        mail_settings({"mail": {"hots": "x"}})
    with pytest.raises(ConfigError, match="unknown field"):
        mail_settings({"mail": {"subject": "{client_name.__class__}"}})
    s = mail_settings({"mail": {"security": "ssl", "copies": ["Archive@Provider.example"]}})
    assert s.smtp_port == 465 and s.copies == ("archive@provider.example",)
    with pytest.raises(ConfigError, match="mail.attach: use static or interactive"):
        mail_settings({"mail": {"attach": "pdf"}})
    with pytest.raises(ConfigError, match="mail.attach_pdf: use true or false"):
        mail_settings({"mail": {"attach_pdf": "yes"}})
    s = mail_settings({"mail": {"attach": "interactive", "attach_pdf": True}})
    assert (s.attach, s.attach_pdf, mail_settings({}).attach) == ("interactive", True, "static")
    assert mail_settings({}).subject == "{client_name} · {ritual_name} · {date} · {status}"


def test_provider_copies_are_bcc_and_never_shown_to_the_client(tmp_path, smtp):
    recorder, port = smtp
    project = make_project(tmp_path, port, mail='copies = ["archive@provider.example"]')
    [d] = send_client("alpha", project)
    assert d.status == "sent"
    [(rcpt, msg)] = recorder.received()
    assert "archive@provider.example" in rcpt and "Bcc" not in msg and "archive" not in msg["To"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_password_comes_from_the_environment_and_is_never_printed(tmp_path, monkeypatch):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret-pw"
        seen.append(ok)
        return AuthResult(success=ok)

    port = free_port()
    auth = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
    with smtp_server(Recorder(), port, **auth) as recorder:
        project = make_project(tmp_path, port, mail='user = "cs"\npassword_env = "CSNB_TEST_SMTP_PASSWORD"')
        with pytest.raises(ConfigError, match="CSNB_TEST_SMTP_PASSWORD"):
            send_client("alpha", project)
        monkeypatch.setenv("CSNB_TEST_SMTP_PASSWORD", "s3cret-pw")
        [d] = send_client("alpha", project)
    assert d.status == "sent" and seen == [True] and len(recorder.messages) == 1
    assert "s3cret-pw" not in repr(project.config) and "s3cret-pw" not in str(d)


def test_cli_send_dry_run_and_exit_status(project, smtp, monkeypatch):
    from typer.testing import CliRunner

    from csnb.cli import app

    monkeypatch.chdir(project.root)
    result = CliRunner().invoke(app, ["send", "alpha", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "written report alpha weekly-update" in result.output
    result = CliRunner().invoke(app, ["send", "alpha", "--ritual", "monthly-review"])
    assert result.exit_code == 2 or "meeting" in str(result.exception)
    assert dt.date.fromisoformat(AS_OF)


def test_the_guard_reads_the_page_an_attached_pdf_was_printed_from(project):
    folder = project.root / "reports" / "alpha" / AS_OF
    (folder / "executive.html").write_text(f"<p>Compared with {NAMES['beta']}.</p>", encoding="utf-8")
    (folder / "executive.pdf").write_bytes(b"%PDF-1.4 a page printed from executive.html")  # newer: kept
    plan = project.plan("alpha")
    settings = replace(Courier(project, dry_run=True).settings, attach_pdf=True)
    html = folder / "operator.html"
    out = report_message(project, plan, plan.cadence[0], html, html.with_suffix(".ipynb"), settings)
    assert [a.get_filename() for a in out.message.iter_attachments()][1] == f"alpha-summary-{AS_OF}.pdf"
    with pytest.raises(UnsafeMessageError, match="mentions another client"):
        guard(out, plan, foreign_markers(project, plan), project.config.reports)
